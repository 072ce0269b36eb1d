#include "store/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <optional>
#include <pqxx/pqxx>
#include <thread>
#include <unordered_map>
#include <utility>

#include "store/active_transactions.h"

namespace lvyuan::store::postgres {

using core::Error;
using core::ErrorCode;

namespace {

// Type OIDs of the built-in types (pg_type.dat); stable across releases.
constexpr pqxx::oid kBoolOid = 16;
constexpr pqxx::oid kByteaOid = 17;
constexpr pqxx::oid kInt8Oid = 20;
constexpr pqxx::oid kInt2Oid = 21;
constexpr pqxx::oid kInt4Oid = 23;
constexpr pqxx::oid kOidOid = 26;
constexpr pqxx::oid kFloat4Oid = 700;
constexpr pqxx::oid kFloat8Oid = 701;
constexpr pqxx::oid kNumericOid = 1700;

bool IsIdentifierChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// The length of the dollar-quote tag ("$$", "$body$") starting at sql[at], or 0.
std::size_t DollarTagLength(std::string_view sql, std::size_t at) {
  if (at > 0 && IsIdentifierChar(sql[at - 1])) return 0;  // $ inside a name or after a digit
  std::size_t end = at + 1;
  if (end < sql.size() && std::isdigit(static_cast<unsigned char>(sql[end]))) return 0;  // $1
  while (end < sql.size() && IsIdentifierChar(sql[end])) ++end;
  if (end < sql.size() && sql[end] == '$') return end - at + 1;
  return 0;
}

std::int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The server's message without the "ERROR:  " severity and the CONTEXT
// trace of PL/pgSQL, on one line.
std::string CleanMessage(std::string_view text) {
  for (std::string_view prefix : {"ERROR:  ", "FATAL:  ", "ERROR: ", "FATAL: "}) {
    if (text.substr(0, prefix.size()) == prefix) {
      text.remove_prefix(prefix.size());
      break;
    }
  }
  if (std::size_t context = text.find("\nCONTEXT:"); context != std::string_view::npos) {
    text = text.substr(0, context);
  }
  std::string out;
  for (char c : text) {
    if (c == '\n') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Error MapSqlState(const std::string& state, std::string message) {
  if (state == "23505") return core::AlreadyExists(std::move(message));
  if (state == "23502" || state == "23503" || state == "23514" || state == "23001" ||
      state == "P0001" || state == "25006") {
    return core::FailedPrecondition(std::move(message));
  }
  if (state == "42501") return core::PermissionDenied(std::move(message));
  if (state == "40001" || state == "40P01") return core::Aborted(std::move(message));
  if (state == "57014") {
    return Error{ErrorCode::kDeadlineExceeded, "语句执行超时：" + message, {}};
  }
  if (state == "55P03") return core::Unavailable("数据库正忙：" + message);
  if (state.substr(0, 2) == "08" || state == "57P01" || state == "57P02" || state == "57P03" ||
      state == "53300") {
    return core::Unavailable("数据库连接不可用：" + message);
  }
  return core::Internal(std::move(message));
}

// Ok when libpq can parse url; InvalidArgument on field otherwise.
Status ParseConninfo(const std::string& url, std::string_view field) {
  char* raw_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &raw_error);
  std::unique_ptr<char, decltype(&PQfreemem)> error(raw_error, &PQfreemem);
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> info(parsed, &PQconninfoFree);
  if (!info) {
    std::string reason = error ? CleanMessage(error.get()) : "无法解析";
    return core::InvalidArgument("PostgreSQL 地址无效：" + reason, std::string(field));
  }
  return core::Ok();
}

using internal::ActiveGuard;
using internal::IsActiveOnThisThread;
using internal::NestedTransactionError;

// The cast that fixes the type of a parameter holding value ("" to let the
// server infer it).
std::string_view CastFor(const Value& value) {
  if (std::holds_alternative<std::int64_t>(value)) return "::bigint";
  if (std::holds_alternative<double>(value)) return "::double precision";
  if (std::holds_alternative<Blob>(value)) return "::bytea";
  return {};
}

// value in PostgreSQL's text input format; nullopt is NULL.
Result<std::optional<std::string>> EncodeParam(const Value& value) {
  if (const auto* number = std::get_if<std::int64_t>(&value)) return {std::to_string(*number)};
  if (const auto* real = std::get_if<double>(&value)) {
    if (std::isnan(*real)) return {std::string("NaN")};
    if (std::isinf(*real)) return {std::string(*real > 0 ? "Infinity" : "-Infinity")};
    char buffer[64];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, *real);
    if (error != std::errc()) return core::Internal("cannot format a REAL parameter");
    return {std::string(buffer, end)};
  }
  if (const auto* text = std::get_if<std::string>(&value)) {
    if (text->find('\0') != std::string::npos) {
      return core::InvalidArgument("文本中不能含有 NUL 字符");
    }
    return {*text};
  }
  if (const auto* blob = std::get_if<Blob>(&value)) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out = "\\x";
    out.reserve(2 + 2 * blob->size());
    for (std::uint8_t byte : *blob) {
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
    return {std::move(out)};
  }
  return {std::optional<std::string>()};
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Value DecodeField(const pqxx::field& field) {
  if (field.is_null()) return std::monostate{};
  const std::string_view text(field.c_str(), field.size());
  switch (field.type()) {
    case kBoolOid:
      return std::int64_t{text == "t" ? 1 : 0};
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
    case kOidOid: {
      std::int64_t number = 0;
      std::from_chars(text.data(), text.data() + text.size(), number);
      return number;
    }
    case kNumericOid:
      if (text.find_first_of(".eEN") == std::string_view::npos) {
        std::int64_t number = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
        if (error == std::errc() && end == text.data() + text.size()) return number;
      }
      [[fallthrough]];
    case kFloat4Oid:
    case kFloat8Oid:
      // strtod reads "Infinity", "-Infinity" and "NaN" as PostgreSQL writes them.
      return std::strtod(std::string(text).c_str(), nullptr);
    case kByteaOid: {
      Blob bytes;
      if (text.size() >= 2 && text[0] == '\\' && text[1] == 'x') {
        bytes.reserve((text.size() - 2) / 2);
        for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
          bytes.push_back(
              static_cast<std::uint8_t>(HexDigit(text[i]) * 16 + HexDigit(text[i + 1])));
        }
      }
      return bytes;
    }
    default:
      return std::string(text);
  }
}

// The first keyword of sql, upper-cased.
std::string FirstKeyword(std::string_view sql) {
  std::size_t at = 0;
  while (at < sql.size() && std::isspace(static_cast<unsigned char>(sql[at]))) ++at;
  std::string word;
  while (at < sql.size() && std::isalpha(static_cast<unsigned char>(sql[at]))) {
    word += static_cast<char>(std::toupper(static_cast<unsigned char>(sql[at])));
    ++at;
  }
  return word;
}

// True for a statement that would end or split the transaction a callback
// runs in (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, PREPARE TRANSACTION,
// ...): the backend owns those.
bool IsTransactionControl(std::string_view sql) {
  const std::string keyword = FirstKeyword(sql);
  if (keyword == "BEGIN" || keyword == "START" || keyword == "COMMIT" || keyword == "END" ||
      keyword == "ROLLBACK" || keyword == "ABORT" || keyword == "SAVEPOINT" ||
      keyword == "RELEASE") {
    return true;
  }
  if (keyword != "PREPARE") return false;
  const std::size_t at = sql.find_first_of("Pp");
  return FirstKeyword(sql.substr(at + keyword.size())) == "TRANSACTION";
}

}  // namespace

std::string RewritePlaceholders(std::string_view sql, std::span<const std::string_view> casts,
                                std::size_t* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  std::size_t placeholders = 0;
  std::size_t i = 0;
  // Copies sql[i, end) and moves i there.
  auto copy_to = [&](std::size_t end) {
    end = std::min(end, sql.size());
    out.append(sql.substr(i, end - i));
    i = end;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    const char next = i + 1 < sql.size() ? sql[i + 1] : '\0';
    if (c == '\'') {
      // E'...' allows backslash escapes; elsewhere only '' escapes a quote.
      const bool escapes = i > 0 && (sql[i - 1] == 'E' || sql[i - 1] == 'e') &&
                           (i == 1 || !IsIdentifierChar(sql[i - 2]));
      std::size_t end = i + 1;
      while (end < sql.size()) {
        if (escapes && sql[end] == '\\') {
          end += 2;
        } else if (sql[end] == '\'') {
          if (end + 1 < sql.size() && sql[end + 1] == '\'') {
            end += 2;
          } else {
            ++end;
            break;
          }
        } else {
          ++end;
        }
      }
      copy_to(end);
    } else if (c == '"') {
      std::size_t end = i + 1;
      while (end < sql.size()) {
        if (sql[end] == '"') {
          if (end + 1 < sql.size() && sql[end + 1] == '"') {
            end += 2;
            continue;
          }
          ++end;
          break;
        }
        ++end;
      }
      copy_to(end);
    } else if (c == '-' && next == '-') {
      const std::size_t end = sql.find('\n', i);
      copy_to(end == std::string_view::npos ? sql.size() : end);
    } else if (c == '/' && next == '*') {
      std::size_t end = i + 2;
      int depth = 1;
      while (end < sql.size() && depth > 0) {
        if (sql[end] == '/' && end + 1 < sql.size() && sql[end + 1] == '*') {
          ++depth;
          end += 2;
        } else if (sql[end] == '*' && end + 1 < sql.size() && sql[end + 1] == '/') {
          --depth;
          end += 2;
        } else {
          ++end;
        }
      }
      copy_to(end);
    } else if (c == '$' && DollarTagLength(sql, i) > 0) {
      const std::size_t tag_length = DollarTagLength(sql, i);
      const std::string_view tag = sql.substr(i, tag_length);
      const std::size_t close = sql.find(tag, i + tag_length);
      copy_to(close == std::string_view::npos ? sql.size() : close + tag_length);
    } else if (c == '?') {
      out += '$';
      out += std::to_string(placeholders + 1);
      if (placeholders < casts.size()) out.append(casts[placeholders]);
      ++placeholders;
      ++i;
    } else {
      out += c;
      ++i;
    }
  }
  if (count != nullptr) *count = placeholders;
  return out;
}

// One server connection and the statements prepared on it. Used by one
// thread at a time (while checked out of its pool).
class Connection {
 public:
  explicit Connection(std::unique_ptr<pqxx::connection> connection)
      : connection_(std::move(connection)) {}

  bool broken() const { return broken_ || !connection_->is_open(); }
  // Closes the connection when it goes back to its pool.
  void MarkBroken() { broken_ = true; }
  // The SQLSTATE of the last statement that failed with one since
  // ForgetSqlState ("" if none).
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  void ForgetSqlState() { last_sqlstate_.clear(); }

  // Runs one statement in tx. Errors as the header lists; a lost link marks
  // this connection broken.
  Result<pqxx::result> Run(pqxx::transaction_base& tx, std::string_view sql,
                           std::span<const Value> params) {
    std::vector<std::string_view> casts;
    casts.reserve(params.size());
    for (const Value& value : params) casts.push_back(CastFor(value));
    std::size_t expected = 0;
    std::string rewritten = RewritePlaceholders(sql, casts, &expected);
    if (expected != params.size()) {
      return core::Internal("statement takes " + std::to_string(expected) +
                            " parameters but was given " + std::to_string(params.size()));
    }
    std::vector<std::optional<std::string>> values;
    values.reserve(params.size());
    for (const Value& value : params) values.push_back(TRY(EncodeParam(value)));

    const std::string keyword = FirstKeyword(rewritten);
    const bool prepare = !params.empty() || keyword == "SELECT" || keyword == "INSERT" ||
                         keyword == "UPDATE" || keyword == "DELETE" || keyword == "WITH";
    try {
      if (!prepare) return tx.exec(rewritten);
      const std::string name = TRY(StatementName(std::move(rewritten)));
      return tx.exec_prepared(name, pqxx::prepare::make_dynamic_params(values));
    } catch (...) {
      return MapCurrentException();
    }
  }

  // Runs a script of any number of statements with the simple protocol.
  Status RunScript(pqxx::transaction_base& tx, const std::string& script) {
    try {
      tx.exec(script);
      return core::Ok();
    } catch (...) {
      return MapCurrentException();
    }
  }

  pqxx::connection& raw() { return *connection_; }

  // Maps the exception being handled to an Error, marking the connection
  // broken when the link is gone.
  Error MapCurrentException() {
    try {
      throw;
    } catch (const pqxx::broken_connection& exception) {
      broken_ = true;
      return core::Unavailable("数据库连接已断开：" + CleanMessage(exception.what()));
    } catch (const pqxx::in_doubt_error& exception) {
      broken_ = true;
      return core::Unavailable("数据库连接在提交时断开，提交结果未知：" +
                               CleanMessage(exception.what()));
    } catch (const pqxx::statement_completion_unknown& exception) {
      broken_ = true;
      return core::Unavailable("数据库连接中断，语句结果未知：" + CleanMessage(exception.what()));
    } catch (const pqxx::transaction_rollback& exception) {
      // libpqxx 6 throws these (40001, 40P01, ...) without the SQLSTATE.
      return core::Aborted(CleanMessage(exception.what()));
    } catch (const pqxx::insufficient_privilege& exception) {
      // libpqxx 6 throws this one (42501) without the SQLSTATE too.
      return core::PermissionDenied(CleanMessage(exception.what()));
    } catch (const pqxx::sql_error& exception) {
      if (!connection_->is_open()) broken_ = true;
      last_sqlstate_ = exception.sqlstate();
      return MapSqlState(exception.sqlstate(), CleanMessage(exception.what()));
    } catch (const std::exception& exception) {
      if (!connection_->is_open()) {
        broken_ = true;
        return core::Unavailable("数据库连接已断开：" + CleanMessage(exception.what()));
      }
      return core::Internal(CleanMessage(exception.what()));
    } catch (...) {
      broken_ = true;
      return core::Internal("数据库驱动抛出未知异常");
    }
  }

 private:
  // The name of the prepared statement for sql, preparing it on first use.
  Result<std::string> StatementName(std::string sql);

  std::unique_ptr<pqxx::connection> connection_;
  bool broken_ = false;
  std::string last_sqlstate_;
  std::unordered_map<std::string, std::string> statements_;  // SQL -> name
  std::int64_t next_statement_ = 0;
};

Result<std::string> Connection::StatementName(std::string sql) {
  if (auto found = statements_.find(sql); found != statements_.end()) return found->second;
  try {
    if (statements_.size() >= PostgresDatabase::kStatementCacheSize) {
      for (const auto& [text, name] : statements_) connection_->unprepare(name);
      statements_.clear();
    }
    std::string name = "lvyuan_" + std::to_string(++next_statement_);
    connection_->prepare(name, sql);
    statements_.emplace(std::move(sql), name);
    return name;
  } catch (...) {
    return MapCurrentException();
  }
}

namespace {

// The Conn handed to a callback. After the first failed statement it refuses
// every other one (PostgreSQL would answer 25P02 "current transaction is
// aborted" anyway, after a round trip).
class PgConn final : public Conn {
 public:
  PgConn(Connection& connection, pqxx::transaction_base& tx) : connection_(connection), tx_(tx) {}

  Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    if (first_error_) return RefuseAfterFailure();
    TRY(RefuseTransactionControl(sql));
    Result<pqxx::result> result = connection_.Run(tx_, sql, params);
    if (!result.ok()) {
      first_error_ = result.error();
      return std::move(result).error();
    }
    if (FirstKeyword(sql) == "SELECT") return std::int64_t{0};
    return static_cast<std::int64_t>(result->affected_rows());
  }

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) override {
    if (first_error_) return RefuseAfterFailure();
    TRY(RefuseTransactionControl(sql));
    Result<pqxx::result> result = connection_.Run(tx_, sql, params);
    if (!result.ok()) {
      first_error_ = result.error();
      return std::move(result).error();
    }
    std::vector<Row> rows;
    rows.reserve(result->size());
    const auto columns = static_cast<std::size_t>(result->columns());
    for (const pqxx::row& row : *result) {
      std::vector<Value> values;
      values.reserve(columns);
      for (const pqxx::field& field : row) values.push_back(DecodeField(field));
      rows.emplace_back(std::move(values));
    }
    return rows;
  }

  // Views the fields of each row in place; only BLOBs are decoded (from
  // PostgreSQL's hex text) into a buffer reused from row to row.
  Status QueryEach(std::string_view sql, std::span<const Value> params,
                   const RowCallback& fn) override {
    if (first_error_) return RefuseAfterFailure();
    TRY(RefuseTransactionControl(sql));
    Result<pqxx::result> result = connection_.Run(tx_, sql, params);
    if (!result.ok()) {
      first_error_ = result.error();
      return std::move(result).error();
    }
    const auto columns = static_cast<std::size_t>(result->columns());
    std::vector<FieldView> fields(columns);
    std::vector<Blob> blobs(columns);
    for (const pqxx::row& row : *result) {
      std::size_t i = 0;
      for (const pqxx::field& field : row) {
        Value value = DecodeField(field);
        FieldView& view = fields[i];
        view = FieldView{};
        if (const auto* number = std::get_if<std::int64_t>(&value)) {
          view.type = FieldView::Type::kInteger;
          view.integer = *number;
        } else if (const auto* real = std::get_if<double>(&value)) {
          view.type = FieldView::Type::kReal;
          view.real = *real;
        } else if (std::holds_alternative<std::string>(value)) {
          view.type = FieldView::Type::kText;
          view.bytes = std::string_view(field.c_str(), field.size());
        } else if (auto* blob = std::get_if<Blob>(&value)) {
          blobs[i] = std::move(*blob);
          view.type = FieldView::Type::kBlob;
          view.bytes =
              std::string_view(reinterpret_cast<const char*>(blobs[i].data()), blobs[i].size());
        }
        ++i;
      }
      TRY(fn(RowView(fields)));
    }
    return core::Ok();
  }

  // A script of several statements (migrations), simple protocol.
  Status ExecScript(const std::string& script) {
    if (first_error_) return RefuseAfterFailure();
    TRY(RefuseTransactionControl(script));
    Status status = connection_.RunScript(tx_, script);
    if (!status.ok()) first_error_ = status.error();
    return status;
  }

  const std::optional<Error>& first_error() const { return first_error_; }

 private:
  Error RefuseAfterFailure() const {
    return core::FailedPrecondition("本事务中先前的语句已失败，事务将回滚：" +
                                    first_error_->message);
  }

  // Fails the callback, as a failed statement does.
  Status RefuseTransactionControl(std::string_view sql) {
    if (!IsTransactionControl(sql)) return core::Ok();
    first_error_ = core::FailedPrecondition(
        "事务回调中不能执行事务控制语句（BEGIN、COMMIT、ROLLBACK、SAVEPOINT 等）：" +
        FirstKeyword(sql));
    return *first_error_;
  }

  Connection& connection_;
  pqxx::transaction_base& tx_;
  std::optional<Error> first_error_;
};

// Runs fn. An exception becomes Internal; a failed statement fails the
// callback even if it returned ok.
Status RunCallback(PgConn& conn, const std::function<Status(PgConn&)>& fn) {
  Status result;
  try {
    result = fn(conn);
  } catch (const std::exception& exception) {
    result = core::Internal(std::string("事务回调抛出异常：") + exception.what());
  } catch (...) {
    result = core::Internal("事务回调抛出未知异常");
  }
  if (result.ok() && conn.first_error()) result = *conn.first_error();
  return result;
}

constexpr std::string_view kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

Result<int> RecordedVersion(Conn& conn) {
  std::optional<Row> row =
      TRY(conn.QueryOne("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  return row ? static_cast<int>(row->Int(0)) : 0;
}

// The BEGIN of a write transaction: READ COMMITTED and the writer lock.
std::string BeginWrite() {
  return "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(" +
         std::to_string(PostgresDatabase::kWriterLockKey) + ")";
}

// True when the last failure of a write transaction's connection says the
// server is read-only (a standby after a failover, or one being demoted).
// During recovery BEGIN's advisory lock is refused with 55000, a write with
// 25006.
bool RefusedAsReadOnly(const Connection& connection, bool in_begin) {
  const std::string& state = connection.last_sqlstate();
  return state == "25006" || (in_begin && (state == "55000" || state == "0A000"));
}

// Drops the connection so the next Write connects to the new primary.
Error ReadOnlyError(Connection& connection, const Error& cause) {
  connection.MarkBroken();
  return core::Unavailable("PostgreSQL 服务器已变为只读（主备切换中），本次写入未执行：" +
                           cause.message);
}

// Between two callbacks of a batch: checks the callback's deferred
// constraints in an inner savepoint that is then rolled back (so the
// constraint modes and the pending checks stay as they were and the COMMIT
// checks again), then releases the callback's savepoint.
constexpr std::string_view kReleaseCallback =
    "SAVEPOINT lvyuan_check; SET CONSTRAINTS ALL IMMEDIATE; ROLLBACK TO lvyuan_check; "
    "RELEASE lvyuan_check; RELEASE lvyuan_write";
constexpr std::string_view kUndoCallback = "ROLLBACK TO lvyuan_write; RELEASE lvyuan_write";
constexpr std::string_view kNextSavepoint = "; SAVEPOINT lvyuan_write";

Error NewerSchemaError(int recorded, int highest_known) {
  return core::FailedPrecondition("数据库结构版本为 " + std::to_string(recorded) +
                                  "，比本程序支持的最高版本 " + std::to_string(highest_known) +
                                  " 更新；请使用更新的程序版本");
}

}  // namespace

PostgresDatabase::Pool::Pool(PostgresDatabase& database, std::string url, std::size_t size,
                             bool writer)
    : database_(database), url_(std::move(url)), size_(size), writer_(writer) {}

PostgresDatabase::Pool::~Pool() = default;

Result<std::unique_ptr<Connection>> PostgresDatabase::Pool::CheckOut() {
  std::unique_lock lock(mutex_);
  returned_.wait(lock, [this] { return !idle_.empty() || checked_out_ < size_; });
  if (!idle_.empty()) {
    std::unique_ptr<Connection> connection = std::move(idle_.back());
    idle_.pop_back();
    ++checked_out_;
    return connection;
  }
  ++checked_out_;
  lock.unlock();
  Result<std::unique_ptr<Connection>> connection = database_.Connect(url_, writer_);
  if (!connection.ok()) {
    lock.lock();
    --checked_out_;
    lock.unlock();
    returned_.notify_one();
  }
  return connection;
}

void PostgresDatabase::Pool::Return(std::unique_ptr<Connection> connection) {
  if (connection->broken()) connection.reset();  // closed outside the lock
  {
    std::lock_guard lock(mutex_);
    --checked_out_;
    if (connection) idle_.push_back(std::move(connection));
  }
  returned_.notify_one();
}

Result<std::unique_ptr<PostgresDatabase>> PostgresDatabase::Open(std::string url,
                                                                 const OpenOptions& options) {
  char* raw_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &raw_error);
  std::unique_ptr<char, decltype(&PQfreemem)> error(raw_error, &PQfreemem);
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> info(parsed, &PQconninfoFree);
  if (!info) {
    std::string reason = error ? CleanMessage(error.get()) : "无法解析";
    return core::InvalidArgument("PostgreSQL 地址无效：" + reason, "store.url");
  }
  for (const std::string& replica : options.replica_urls) {
    if (Status valid = ParseConninfo(replica, "store.replica_urls"); !valid.ok())
      return valid.error();
  }
  auto database = std::make_unique<PostgresDatabase>(Token(), std::move(url), options);
  // Connect once so that a wrong address fails here rather than at first use.
  std::unique_ptr<Connection> first = TRY(database->writers_.CheckOut());
  database->writers_.Return(std::move(first));
  return database;
}

PostgresDatabase::PostgresDatabase(Token, std::string url, const OpenOptions& options)
    : url_(std::move(url)),
      lock_timeout_ms_(std::max(0, options.busy_timeout_ms)),
      max_batch_(std::max(1, options.group_commit_max_batch)),
      queue_(max_batch_),
      writers_(*this, url_, 1, /*writer=*/true),
      readers_(*this, url_, static_cast<std::size_t>(std::max(1, options.reader_pool_size)),
               /*writer=*/false) {
  for (const std::string& replica : options.replica_urls) {
    replicas_.push_back(std::make_unique<Replica>(
        *this, replica, static_cast<std::size_t>(std::max(1, options.reader_pool_size))));
  }
}

PostgresDatabase::~PostgresDatabase() = default;

std::int64_t PostgresDatabase::connections_made() const {
  return connections_made_.load(std::memory_order_relaxed);
}

std::int64_t PostgresDatabase::replica_fallbacks() const {
  return replica_fallbacks_.load(std::memory_order_relaxed);
}

Result<std::unique_ptr<Connection>> PostgresDatabase::Connect(const std::string& url, bool writer) {
  const std::string settings =
      "SET statement_timeout = " + std::to_string(kStatementTimeoutMs) +
      "; SET lock_timeout = " + std::to_string(lock_timeout_ms_) +
      "; SET synchronous_commit = on; SET TIME ZONE 'UTC'; SET client_encoding = 'UTF8'";
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<pqxx::connection> raw;
    try {
      raw = std::make_unique<pqxx::connection>(url);
    } catch (const std::exception& exception) {
      return core::Unavailable("无法连接 PostgreSQL：" + CleanMessage(exception.what()));
    }
    auto connection = std::make_unique<Connection>(std::move(raw));
    connections_made_.fetch_add(1, std::memory_order_relaxed);
    bool read_only = false;
    try {
      pqxx::nontransaction tx(connection->raw());
      tx.exec(settings);
      if (writer) {
        const pqxx::result row = tx.exec(
            "SELECT pg_is_in_recovery() OR current_setting('transaction_read_only') = 'on'");
        read_only = row.size() == 1 && std::string_view(row[0][0].c_str()) == "t";
      }
    } catch (const std::exception& exception) {
      return core::Unavailable("PostgreSQL 连接设置失败：" + CleanMessage(exception.what()));
    }
    if (!read_only) return connection;
    // A standby (or a primary being demoted): not the one to write to. With
    // several hosts and target_session_attrs=read-write libpq skips it
    // itself; this catches a URL without it and a failover in progress.
    if (attempt >= kReadOnlyConnectAttempts) {
      return core::Unavailable(
          "PostgreSQL 服务器只读（备库），无法写入；多主机地址请加 "
          "target_session_attrs=read-write");
    }
    connection.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(kReadOnlyPauseMs));
  }
}

Status PostgresDatabase::ReadMayLag(const std::function<Status(Conn&)>& fn) {
  if (replicas_.empty()) return Read(fn);
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  const std::size_t count = replicas_.size();
  const std::size_t first =
      static_cast<std::size_t>(next_replica_.fetch_add(1, std::memory_order_relaxed) % count);
  for (std::size_t i = 0; i < count; ++i) {
    Replica& replica = *replicas_[(first + i) % count];
    if (NowUnixMillis() < replica.retry_at_ms.load(std::memory_order_relaxed)) continue;
    Status status = RunTransaction(TransactionKind::kRead, replica.pool, fn);
    if (status.ok()) {
      replica.retry_at_ms.store(0, std::memory_order_relaxed);
      return status;
    }
    if (status.error().code == ErrorCode::kUnavailable) {
      replica.retry_at_ms.store(NowUnixMillis() + kReplicaRetryMs, std::memory_order_relaxed);
    } else if (status.error().code != ErrorCode::kAborted) {
      return status;  // the callback's own error: the primary would answer the same
    }
  }
  replica_fallbacks_.fetch_add(1, std::memory_order_relaxed);
  return Read(fn);
}

Status PostgresDatabase::RunTransaction(TransactionKind kind, Pool& pool,
                                        const std::function<Status(Conn&)>& fn) {
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  ActiveGuard active(this);
  std::unique_ptr<Connection> connection = TRY(pool.CheckOut());
  struct Return {
    Pool& pool;
    std::unique_ptr<Connection>& connection;
    ~Return() { pool.Return(std::move(connection)); }
  } give_back{pool, connection};
  connection->ForgetSqlState();

  std::optional<pqxx::nontransaction> tx;
  try {
    tx.emplace(connection->raw());
  } catch (...) {
    return connection->MapCurrentException();
  }
  const std::string begin =
      kind == TransactionKind::kWrite
          ? BeginWrite()
          // The snapshot is taken by the first statement: take it now.
          : std::string("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT 1");
  auto rollback = [&] {
    if (!connection->broken()) (void)connection->RunScript(*tx, "ROLLBACK");
  };
  auto server_read_only = [&](bool in_begin) {
    return kind == TransactionKind::kWrite && RefusedAsReadOnly(*connection, in_begin);
  };
  if (Status status = connection->RunScript(*tx, begin); !status.ok()) {
    if (server_read_only(/*in_begin=*/true)) return ReadOnlyError(*connection, status.error());
    rollback();
    return status;
  }
  PgConn conn(*connection, *tx);
  Status result = RunCallback(conn, [&fn](PgConn& c) { return fn(c); });
  if (!result.ok()) {
    if (server_read_only(/*in_begin=*/false)) return ReadOnlyError(*connection, result.error());
    rollback();
    return result;
  }
  if (Status commit = connection->RunScript(*tx, "COMMIT"); !commit.ok()) {
    rollback();
    return commit;
  }
  return core::Ok();
}

Status PostgresDatabase::Write(const std::function<Status(Conn&)>& fn) {
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  if (max_batch_ == 1) {
    writes_.fetch_add(1, std::memory_order_relaxed);
    transactions_.fetch_add(1, std::memory_order_relaxed);
    return RunTransaction(TransactionKind::kWrite, writers_, fn);
  }

  return queue_.Submit(fn, [&](internal::WriteQueue::Pending& self, bool alone) -> std::size_t {
    if (!alone) return RunBatch();
    writes_.fetch_add(1, std::memory_order_relaxed);
    transactions_.fetch_add(1, std::memory_order_relaxed);
    self.result = RunTransaction(TransactionKind::kWrite, writers_, fn);
    return 1;
  });
}

std::size_t PostgresDatabase::RunBatch() {
  ActiveGuard active(this);
  internal::WriteQueue::Pending& leader = *queue_.At(0);
  writes_.fetch_add(1, std::memory_order_relaxed);
  transactions_.fetch_add(1, std::memory_order_relaxed);
  Result<std::unique_ptr<Connection>> checked_out = writers_.CheckOut();
  if (!checked_out.ok()) {
    // The writes queued behind the leader are left to the next one.
    leader.result = checked_out.error();
    return 1;
  }
  std::unique_ptr<Connection> connection = std::move(checked_out).value();
  struct Return {
    Pool& pool;
    std::unique_ptr<Connection>& connection;
    ~Return() { pool.Return(std::move(connection)); }
  } give_back{writers_, connection};
  connection->ForgetSqlState();
  std::optional<pqxx::nontransaction> tx;
  try {
    tx.emplace(connection->raw());
  } catch (...) {
    leader.result = connection->MapCurrentException();
    return 1;
  }
  auto rollback = [&] {
    if (!connection->broken()) (void)connection->RunScript(*tx, "ROLLBACK");
  };
  if (Status begun = connection->RunScript(*tx, BeginWrite() + std::string(kNextSavepoint));
      !begun.ok()) {
    leader.result = RefusedAsReadOnly(*connection, /*in_begin=*/true)
                        ? ReadOnlyError(*connection, begun.error())
                        : begun.error();
    rollback();
    return 1;
  }

  // The callbacks that succeeded, awaiting the COMMIT.
  std::vector<internal::WriteQueue::Pending*> held;
  // Ends the batch without committing: the held callbacks get error. The rest
  // of the queue is left to the next leader, on a fresh connection when this
  // one is broken.
  auto give_up = [&](const Error& error) {
    rollback();
    for (internal::WriteQueue::Pending* write : held) write->result = error;
  };
  auto lost = [&](const Error& cause) {
    return core::Unavailable("数据库连接已断开，同批写入未提交：" + cause.message);
  };

  std::size_t taken = 0;
  bool savepoint_open = true;  // the SAVEPOINT of the next callback has been sent
  for (internal::WriteQueue::Pending* next = queue_.At(0); next != nullptr;
       next = queue_.At(taken)) {
    internal::WriteQueue::Pending& write = *next;
    if (taken++ > 0) writes_.fetch_add(1, std::memory_order_relaxed);
    connection->ForgetSqlState();
    if (!savepoint_open) {
      if (Status savepoint = connection->RunScript(*tx, "SAVEPOINT lvyuan_write");
          !savepoint.ok()) {
        write.result = savepoint.error();
        give_up(connection->broken() ? lost(savepoint.error()) : savepoint.error());
        return taken;
      }
    }
    PgConn conn(*connection, *tx);
    Status result = RunCallback(conn, [&write](PgConn& c) { return write.fn(c); });
    if (!result.ok() && RefusedAsReadOnly(*connection, /*in_begin=*/false)) {
      write.result = ReadOnlyError(*connection, result.error());
      give_up(write.result.error());
      return taken;
    }
    if (connection->broken()) {
      write.result =
          result.ok() ? Status(core::Unavailable("数据库连接已断开")) : std::move(result);
      give_up(lost(write.result.error()));
      return taken;
    }
    // Whether the next callback's SAVEPOINT can travel with this one's end.
    const bool more = queue_.At(taken) != nullptr;
    const std::string_view after = more ? kNextSavepoint : std::string_view();
    if (result.ok()) {
      Status released =
          connection->RunScript(*tx, std::string(kReleaseCallback) + std::string(after));
      if (released.ok()) {
        held.push_back(&write);
        savepoint_open = more;
        continue;
      }
      // An unresolved deferred constraint: this callback alone is undone.
      result = std::move(released);
    }
    write.result = std::move(result);
    if (connection->broken()) {
      give_up(lost(write.result.error()));
      return taken;
    }
    if (Status undone = connection->RunScript(*tx, std::string(kUndoCallback) + std::string(after));
        !undone.ok()) {
      // The savepoint is gone: the transaction is not as the batch left it.
      connection->MarkBroken();
      give_up(
          core::Internal("同批写入的事务状态异常，本次写入的结果未知：" + undone.error().message));
      return taken;
    }
    savepoint_open = more;
  }

  if (held.empty()) {
    rollback();
    return taken;
  }
  if (Status commit = connection->RunScript(*tx, "COMMIT"); !commit.ok()) {
    give_up(commit.error());
    return taken;
  }
  for (internal::WriteQueue::Pending* write : held) write->result = core::Ok();
  return taken;
}

PostgresDatabase::WriteCounters PostgresDatabase::write_counters() const {
  return {.writes = writes_.load(std::memory_order_relaxed),
          .transactions = transactions_.load(std::memory_order_relaxed)};
}

std::size_t PostgresDatabase::queued_writes() const { return queue_.size(); }

Status PostgresDatabase::Read(const std::function<Status(Conn&)>& fn) {
  return RunTransaction(TransactionKind::kRead, readers_, fn);
}

Status PostgresDatabase::Ping() {
  return Read([](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT 1"));
    if (!row || row->Int(0) != 1) return core::Unavailable("数据库未正确应答");
    return core::Ok();
  });
}

Result<int> PostgresDatabase::SchemaVersion() {
  int version = 0;
  TRY(Read([&version](Conn& conn) -> Status {
    std::optional<Row> table =
        TRY(conn.QueryOne("SELECT to_regclass('schema_version') IS NOT NULL"));
    if (table && table->Int(0) == 1) version = TRY(RecordedVersion(conn));
    return core::Ok();
  }));
  return version;
}

Status PostgresDatabase::Migrate() { return Migrate(PostgresMigrations()); }

Status PostgresDatabase::Migrate(std::span<const Migration> migrations) {
  TRY(CheckMigrationOrder(migrations));
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  const int highest_known = HighestMigration(migrations);

  int recorded = 0;
  TRY(Write([&recorded](Conn& conn) -> Status {
    TRY(conn.Exec(kCreateSchemaVersion));
    recorded = TRY(RecordedVersion(conn));
    return core::Ok();
  }));
  if (recorded > highest_known) return NewerSchemaError(recorded, highest_known);

  for (const Migration& migration : migrations) {
    if (migration.number <= recorded) continue;
    TRY(Write([&](Conn& conn) -> Status {
      // Another process may have migrated since the check above; the writer
      // lock is held from here to the commit.
      const int now = TRY(RecordedVersion(conn));
      if (now > highest_known) return NewerSchemaError(now, highest_known);
      if (now >= migration.number) return core::Ok();
      const std::string label = std::to_string(migration.number) + "_" + migration.name;
      if (Status script = static_cast<PgConn&>(conn).ExecScript(std::string(migration.sql));
          !script.ok()) {
        return Error{script.error().code, "迁移 " + label + " 失败：" + script.error().message, {}};
      }
      const std::vector<Value> row = {std::int64_t{migration.number}, migration.name,
                                      NowUnixMillis()};
      TRY(conn.Exec("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                    row));
      return core::Ok();
    }));
  }
  return core::Ok();
}

std::span<const std::string_view> AppendOnlyTables() {
  static constexpr std::string_view kTables[] = {"record_events",      "record_nodes",
                                                 "record_checkpoints", "record_cosignatures",
                                                 "record_files",       "evidence"};
  return kTables;
}

Result<std::string> UserOfUrl(const std::string& url) {
  char* raw_error = nullptr;
  PQconninfoOption* parsed = PQconninfoParse(url.c_str(), &raw_error);
  std::unique_ptr<char, decltype(&PQfreemem)> error(raw_error, &PQfreemem);
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> info(parsed, &PQconninfoFree);
  if (!info) {
    std::string reason = error ? CleanMessage(error.get()) : "无法解析";
    return core::InvalidArgument("PostgreSQL 地址无效：" + reason, "store.url");
  }
  for (const PQconninfoOption* option = info.get(); option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "user" && option->val != nullptr) {
      return std::string(option->val);
    }
  }
  return std::string();
}

namespace {

// name as a double-quoted SQL identifier.
std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

}  // namespace

Status PostgresDatabase::GrantApplicationRole(std::string_view role) {
  if (role.empty()) return core::InvalidArgument("应用角色名不能为空", "store.url");
  if (role.find('\0') != std::string_view::npos) {
    return core::InvalidArgument("应用角色名中不能含有 NUL 字符", "store.url");
  }
  return Write([role](Conn& conn) -> Status {
    const std::vector<Value> name = {std::string(role)};
    std::optional<Row> found =
        TRY(conn.QueryOne("SELECT current_schema(), current_user, "
                          "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ?)",
                          name));
    if (!found || found->Int(2) == 0) {
      return core::NotFound("PostgreSQL 角色 " + std::string(role) + " 不存在");
    }
    if (found->Text(1) == role) {
      return core::InvalidArgument("应用角色不能是迁移所用的属主角色 " + std::string(role),
                                   "store.url");
    }
    const std::string schema = QuoteIdentifier(found->Text(0));
    const std::string grantee = QuoteIdentifier(role);
    std::string script = "GRANT USAGE ON SCHEMA " + schema + " TO " + grantee +
                         "; GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA " + schema + " TO " +
                         grantee + "; REVOKE ALL ON ALL TABLES IN SCHEMA " + schema + " FROM " +
                         grantee +
                         "; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " +
                         schema + " TO " + grantee;
    std::string append_only = schema + ".schema_version";
    for (std::string_view table : AppendOnlyTables()) {
      append_only += ", " + schema + "." + QuoteIdentifier(table);
    }
    script += "; REVOKE UPDATE, DELETE ON " + append_only + " FROM " + grantee;
    return static_cast<PgConn&>(conn).ExecScript(script);
  });
}

// ListTables and AdvanceIdentities serve store/copy.h (backups and moving a
// deployment between databases).
namespace {

std::string PortableType(std::string_view type) {
  if (type == "bigint" || type == "integer" || type == "smallint") return "INTEGER";
  if (type == "double precision" || type == "real") return "REAL";
  if (type == "text") return "TEXT";
  if (type == "bytea") return "BLOB";
  return std::string(type);
}

}  // namespace

Result<std::vector<TableInfo>> PostgresDatabase::ListTables() {
  std::vector<TableInfo> tables;
  TRY(Read([&tables](Conn& conn) -> Status {
    tables.clear();
    const std::vector<Row> rows = TRY(conn.Query(
        "SELECT c.relname::text, a.attname::text, format_type(a.atttypid, a.atttypmod), "
        "COALESCE((SELECT k.n FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n) "
        "WHERE k.attnum = a.attnum), 0)::bigint "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary "
        "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
        "ORDER BY c.relname, a.attnum"));
    for (const Row& row : rows) {
      if (tables.empty() || tables.back().name != row.Text(0)) {
        tables.push_back({.name = row.Text(0), .columns = {}});
      }
      tables.back().columns.push_back({.name = row.Text(1),
                                       .type = PortableType(row.Text(2)),
                                       .primary_key = static_cast<int>(row.Int(3))});
    }
    return core::Ok();
  }));
  // By name in bytes, as SQLite sorts them, whatever the server's collation.
  std::sort(tables.begin(), tables.end(),
            [](const TableInfo& a, const TableInfo& b) { return a.name < b.name; });
  return tables;
}

Status PostgresDatabase::AdvanceIdentities() {
  return Write([](Conn& conn) -> Status {
    const std::vector<Row> identities = TRY(conn.Query(
        "SELECT current_schema()::text, c.relname::text, a.attname::text "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE n.nspname = current_schema() AND a.attidentity IN ('a', 'd') "
        "ORDER BY c.relname, a.attnum"));
    for (const Row& identity : identities) {
      const std::string table =
          QuoteIdentifier(identity.Text(0)) + "." + QuoteIdentifier(identity.Text(1));
      const std::string column = QuoteIdentifier(identity.Text(2));
      const std::vector<Value> params = {table, identity.Text(2)};
      TRY(conn.Query("SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(" + column +
                         "), 0) + 1, false) FROM " + table,
                     params));
    }
    return core::Ok();
  });
}

}  // namespace lvyuan::store::postgres
