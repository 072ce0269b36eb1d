#include "store/sqlite/sqlite_database.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <filesystem>
#include <list>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "store/active_transactions.h"

namespace lvyuan::store::sqlite {

using core::Error;
using core::ErrorCode;

namespace {

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;
using StatementHandle = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Maps an extended result code to an Error carrying message.
Error MapError(int code, std::string message) {
  switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return core::AlreadyExists(std::move(message));
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_FOREIGNKEY:
    case SQLITE_CONSTRAINT_TRIGGER:
    case SQLITE_CONSTRAINT_NOTNULL:
      return core::FailedPrecondition(std::move(message));
    case SQLITE_BUSY_SNAPSHOT:
      // A snapshot that can no longer be upgraded to a write: a serialization
      // conflict, which the caller may retry.
      return core::Aborted(std::move(message));
    default:
      break;
  }
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return core::Unavailable("数据库正忙：" + message);
    case SQLITE_CANTOPEN:
      return core::Unavailable("无法打开数据库：" + message);
    default:
      return core::Internal(std::move(message));
  }
}

Error LastError(sqlite3* db) { return MapError(sqlite3_extended_errcode(db), sqlite3_errmsg(db)); }

using internal::ActiveGuard;
using internal::IsActiveOnThisThread;
using internal::NestedTransactionError;

// Resets a statement and drops its bindings (which point into the caller's
// parameters) however the use ends.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* statement) : statement_(statement) {}
  ~StatementUse() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* statement_;
};

bool OnlyBlanksOrSemicolons(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';';
  });
}

std::int64_t NowUnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

constexpr std::string_view kCreateSchemaVersion =
    "CREATE TABLE IF NOT EXISTS schema_version ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";

}  // namespace

// One sqlite3 connection and its prepared statements. Used by one thread at a
// time (the writer under writer_mutex_, a reader while checked out).
class Connection {
 public:
  static Result<std::unique_ptr<Connection>> Open(const std::string& path,
                                                  const OpenOptions& options, bool reader) {
    const int busy_timeout_ms = options.busy_timeout_ms;
    // Readers open the file read-only as well as setting query_only, so that
    // a callback cannot switch query_only off and write. (The writer is open
    // first, so the -wal and -shm files a read-only WAL reader needs exist.)
    constexpr int kCommonFlags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int flags =
        kCommonFlags | (reader ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    // The handle exists (and must be closed) even when opening failed.
    DatabaseHandle db(raw);
    if (rc != SQLITE_OK) {
      std::string message = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc);
      return core::Unavailable("无法打开数据库文件 " + path + "：" + message);
    }
    sqlite3_extended_result_codes(db.get(), 1);
    sqlite3_busy_timeout(db.get(), std::max(0, busy_timeout_ms));
    auto connection = std::make_unique<Connection>(std::move(db));

    auto journal_mode = connection->QueryText("PRAGMA journal_mode=WAL");
    if (!journal_mode.ok()) return OpenFailure(path, journal_mode.error());
    if (*journal_mode != "wal") {
      return core::Unavailable("数据库文件 " + path + " 无法启用 WAL 日志（得到 " + *journal_mode +
                               "）");
    }
    std::string pragmas =
        std::string(options.sqlite_bulk_load ? "PRAGMA synchronous=NORMAL; "
                                               "PRAGMA wal_autocheckpoint=16384; "
                                             : "PRAGMA synchronous=FULL; ") +
        "PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY; "
        "PRAGMA cache_size=-" +
        std::to_string(std::int64_t{std::max(1, options.sqlite_cache_mib)} * 1024) +
        "; PRAGMA mmap_size=" +
        std::to_string(std::int64_t{std::max(0, options.sqlite_mmap_mib)} * 1024 * 1024) +
        "; PRAGMA journal_size_limit=" + std::to_string(SqliteDatabase::kJournalSizeLimit) + ";";
    if (reader) pragmas += " PRAGMA query_only=ON;";
    if (Status status = connection->ExecScript(pragmas); !status.ok()) {
      return OpenFailure(path, status.error());
    }
    return connection;
  }

  explicit Connection(DatabaseHandle db) : db_(std::move(db)) {}

  sqlite3* handle() const { return db_.get(); }

  // Runs one statement to completion; returns the rows it changed.
  Result<std::int64_t> Execute(std::string_view sql, std::span<const Value> params) {
    sqlite3_stmt* statement = TRY(Prepare(sql));
    StatementUse use(statement);
    TRY(Bind(statement, params));
    const sqlite3_int64 total_before = sqlite3_total_changes64(db_.get());
    int rc = SQLITE_ROW;
    while (rc == SQLITE_ROW) rc = sqlite3_step(statement);
    if (rc != SQLITE_DONE) return LastError(db_.get());
    // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, so a
    // statement that changed nothing (DDL, DO NOTHING) must be told apart.
    if (sqlite3_total_changes64(db_.get()) == total_before) return std::int64_t{0};
    return static_cast<std::int64_t>(sqlite3_changes64(db_.get()));
  }

  // Runs one statement and returns every row.
  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) {
    sqlite3_stmt* statement = TRY(Prepare(sql));
    StatementUse use(statement);
    TRY(Bind(statement, params));
    const int columns = sqlite3_column_count(statement);
    std::vector<Row> rows;
    int rc = sqlite3_step(statement);
    for (; rc == SQLITE_ROW; rc = sqlite3_step(statement)) {
      std::vector<Value> values;
      values.reserve(static_cast<std::size_t>(columns));
      for (int i = 0; i < columns; ++i) values.push_back(ReadColumn(statement, i));
      rows.emplace_back(std::move(values));
    }
    if (rc != SQLITE_DONE) return LastError(db_.get());
    return rows;
  }

  // Runs one statement and calls fn with a view of each row; fields is the
  // caller's scratch space, reused from row to row. A failed statement is
  // returned as statement_error (and by the function); fn's error only by
  // the function.
  Status QueryEach(std::string_view sql, std::span<const Value> params, const RowCallback& fn,
                   std::vector<FieldView>& fields, std::optional<Error>& statement_error) {
    auto fail = [&](Error error) -> Status {
      statement_error = error;
      return error;
    };
    auto prepared = Prepare(sql);
    if (!prepared.ok()) return fail(prepared.error());
    sqlite3_stmt* statement = *prepared;
    StatementUse use(statement);
    if (Status bound = Bind(statement, params); !bound.ok()) return fail(bound.error());
    const int columns = sqlite3_column_count(statement);
    fields.resize(static_cast<std::size_t>(columns));
    int rc = sqlite3_step(statement);
    for (; rc == SQLITE_ROW; rc = sqlite3_step(statement)) {
      for (int i = 0; i < columns; ++i)
        fields[static_cast<std::size_t>(i)] = ViewColumn(statement, i);
      TRY(fn(RowView(fields)));
    }
    if (rc != SQLITE_DONE) return fail(LastError(db_.get()));
    return core::Ok();
  }

  // Runs a script of any number of statements (not cached).
  Status ExecScript(const std::string& script) {
    char* raw_message = nullptr;
    const int rc = sqlite3_exec(db_.get(), script.c_str(), nullptr, nullptr, &raw_message);
    std::unique_ptr<char, decltype(&sqlite3_free)> message(raw_message, &sqlite3_free);
    if (rc == SQLITE_OK) return core::Ok();
    return MapError(sqlite3_extended_errcode(db_.get()),
                    message ? message.get() : sqlite3_errstr(rc));
  }

  bool InTransaction() const { return sqlite3_get_autocommit(db_.get()) == 0; }

  // Rolls back the open transaction, if any. A failure here leaves nothing
  // to do: SQLite rolls back itself when it cannot.
  void Rollback() {
    if (InTransaction()) (void)ExecScript("ROLLBACK");
  }

 private:
  static Error OpenFailure(const std::string& path, const Error& error) {
    return core::Unavailable("无法打开数据库文件 " + path + "：" + error.message);
  }

  // The first column of the first row of sql, as text.
  Result<std::string> QueryText(std::string_view sql) {
    std::vector<Row> rows = TRY(Query(sql, {}));
    if (rows.empty()) return std::string();
    return rows.front().Text(0);
  }

  // A prepared statement for sql from the cache, preparing it on a miss.
  Result<sqlite3_stmt*> Prepare(std::string_view sql) {
    std::string key(sql);
    if (auto found = index_.find(key); found != index_.end()) {
      cache_.splice(cache_.begin(), cache_, found->second);
      return found->second->statement.get();
    }
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, &tail);
    StatementHandle statement(raw);
    if (rc != SQLITE_OK) return LastError(db_.get());
    if (!statement) return core::Internal("empty SQL statement");
    if (!OnlyBlanksOrSemicolons(sql.substr(static_cast<std::size_t>(tail - sql.data())))) {
      return core::Internal("one SQL statement at a time: " + key);
    }
    sqlite3_stmt* result = statement.get();
    cache_.push_front(CachedStatement{key, std::move(statement)});
    index_.emplace(std::move(key), cache_.begin());
    if (cache_.size() > SqliteDatabase::kStatementCacheSize) {
      index_.erase(cache_.back().sql);
      cache_.pop_back();
    }
    return result;
  }

  Status Bind(sqlite3_stmt* statement, std::span<const Value> params) {
    const int expected = sqlite3_bind_parameter_count(statement);
    if (expected != static_cast<int>(params.size())) {
      return core::Internal("statement takes " + std::to_string(expected) +
                            " parameters but was given " + std::to_string(params.size()));
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      const Value& value = params[i];
      int rc = SQLITE_OK;
      if (const auto* number = std::get_if<std::int64_t>(&value)) {
        rc = sqlite3_bind_int64(statement, index, static_cast<sqlite3_int64>(*number));
      } else if (const auto* real = std::get_if<double>(&value)) {
        rc = sqlite3_bind_double(statement, index, *real);
      } else if (const auto* text = std::get_if<std::string>(&value)) {
        // SQLITE_STATIC: the bindings are cleared before params goes away.
        rc = sqlite3_bind_text64(statement, index, text->data(), text->size(), SQLITE_STATIC,
                                 SQLITE_UTF8);
      } else if (const auto* blob = std::get_if<Blob>(&value)) {
        // An empty vector may have a null data(), which would bind NULL.
        rc = blob->empty()
                 ? sqlite3_bind_zeroblob(statement, index, 0)
                 : sqlite3_bind_blob64(statement, index, blob->data(), blob->size(), SQLITE_STATIC);
      } else {
        rc = sqlite3_bind_null(statement, index);
      }
      if (rc != SQLITE_OK) return LastError(db_.get());
    }
    return core::Ok();
  }

  static Value ReadColumn(sqlite3_stmt* statement, int column) {
    switch (sqlite3_column_type(statement, column)) {
      case SQLITE_INTEGER:
        return static_cast<std::int64_t>(sqlite3_column_int64(statement, column));
      case SQLITE_FLOAT:
        return sqlite3_column_double(statement, column);
      case SQLITE_TEXT: {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
        return text != nullptr ? std::string(text, size) : std::string();
      }
      case SQLITE_BLOB: {
        const auto* bytes =
            static_cast<const std::uint8_t*>(sqlite3_column_blob(statement, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
        return bytes != nullptr ? Blob(bytes, bytes + size) : Blob();
      }
      default:
        return std::monostate{};
    }
  }

  // The column in place; valid until the next step or reset.
  static FieldView ViewColumn(sqlite3_stmt* statement, int column) {
    switch (sqlite3_column_type(statement, column)) {
      case SQLITE_INTEGER:
        return {.type = FieldView::Type::kInteger,
                .integer = static_cast<std::int64_t>(sqlite3_column_int64(statement, column))};
      case SQLITE_FLOAT:
        return {.type = FieldView::Type::kReal, .real = sqlite3_column_double(statement, column)};
      case SQLITE_TEXT: {
        // As a blob: the bytes in place, where sqlite3_column_text may first
        // copy them to add a terminating NUL, which a view does not need.
        const auto* text = static_cast<const char*>(sqlite3_column_blob(statement, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
        return {.type = FieldView::Type::kText,
                .bytes = text != nullptr ? std::string_view(text, size) : std::string_view()};
      }
      case SQLITE_BLOB: {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(statement, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
        return {.type = FieldView::Type::kBlob,
                .bytes = bytes != nullptr ? std::string_view(bytes, size) : std::string_view()};
      }
      default:
        return {};
    }
  }

  struct CachedStatement {
    std::string sql;
    StatementHandle statement;
  };

  // Declared first so that it is closed after every statement is finalized.
  DatabaseHandle db_;
  // Most recently used first; index_ points into it by SQL text.
  std::list<CachedStatement> cache_;
  std::unordered_map<std::string, std::list<CachedStatement>::iterator> index_;
};

namespace {

// The Conn handed to a callback. After the first failed statement it refuses
// every other one, as PostgreSQL does in an aborted transaction.
class SqliteConn final : public Conn {
 public:
  explicit SqliteConn(Connection& connection) : connection_(connection) {}

  Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params) override {
    if (first_error_) return RefuseAfterFailure();
    auto result = connection_.Execute(sql, params);
    if (!result.ok()) first_error_ = result.error();
    return result;
  }

  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value> params) override {
    if (first_error_) return RefuseAfterFailure();
    auto result = connection_.Query(sql, params);
    if (!result.ok()) first_error_ = result.error();
    return result;
  }

  Status QueryEach(std::string_view sql, std::span<const Value> params,
                   const RowCallback& fn) override {
    if (first_error_) return RefuseAfterFailure();
    return connection_.QueryEach(sql, params, fn, fields_, first_error_);
  }

  const std::optional<Error>& first_error() const { return first_error_; }

 private:
  Error RefuseAfterFailure() const {
    return core::FailedPrecondition("本事务中先前的语句已失败，事务将回滚：" +
                                    first_error_->message);
  }

  Connection& connection_;
  std::optional<Error> first_error_;
  std::vector<FieldView> fields_;  // QueryEach's row, reused
};

// Runs fn on connection. An exception becomes Internal; a failed statement
// fails the callback even if it returned ok.
Status RunCallback(Connection& connection, const std::function<Status(Conn&)>& fn) {
  SqliteConn conn(connection);
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

Error TransactionEndedError() {
  return core::Internal("事务已被数据库自行回滚（或回调提交了事务）");
}

// True when the open transaction holds deferred foreign key violations, which
// would make its COMMIT fail.
bool HasUnresolvedForeignKeys(sqlite3* db) {
  int current = 0;
  int highwater = 0;
  sqlite3_db_status(db, SQLITE_DBSTATUS_DEFERRED_FKS, &current, &highwater, 0);
  return current != 0;
}

// Undoes and closes the savepoint of one callback of a batch.
Status RollbackToSavepoint(Connection& connection) {
  TRY(connection.Execute("ROLLBACK TO lvyuan_write", {}));
  TRY(connection.Execute("RELEASE lvyuan_write", {}));
  return core::Ok();
}

}  // namespace

Result<std::unique_ptr<SqliteDatabase>> SqliteDatabase::Open(std::string path,
                                                             const OpenOptions& options) {
  if (path.empty() || path == ":memory:") {
    return core::InvalidArgument("SQLite 数据库需要一个文件路径", "store.url");
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::create_directories(parent, error);
    if (error) {
      return core::Unavailable("无法创建数据库目录 " + parent.string() + "：" + error.message());
    }
  }
  // The writer first: it switches the file to WAL before the readers open it.
  std::unique_ptr<Connection> writer = TRY(Connection::Open(path, options, /*reader=*/false));
  std::vector<std::unique_ptr<Connection>> readers;
  const int reader_count = std::max(1, options.reader_pool_size);
  for (int i = 0; i < reader_count; ++i) {
    readers.push_back(TRY(Connection::Open(path, options, /*reader=*/true)));
  }
  return std::make_unique<SqliteDatabase>(Token(), std::move(path),
                                          std::max(1, options.group_commit_max_batch),
                                          std::move(writer), std::move(readers));
}

SqliteDatabase::SqliteDatabase(Token, std::string path, int max_batch,
                               std::unique_ptr<Connection> writer,
                               std::vector<std::unique_ptr<Connection>> readers)
    : path_(std::move(path)),
      max_batch_(max_batch),
      writer_(std::move(writer)),
      queue_(max_batch_),
      readers_(std::move(readers)) {
  for (const auto& reader : readers_) idle_readers_.push_back(reader.get());
}

SqliteDatabase::~SqliteDatabase() = default;

Status SqliteDatabase::Write(const std::function<Status(Conn&)>& fn) {
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  if (max_batch_ == 1) {
    std::lock_guard writer_lock(writer_mutex_);
    writes_.fetch_add(1, std::memory_order_relaxed);
    transactions_.fetch_add(1, std::memory_order_relaxed);
    return RunTransaction(*writer_, TransactionKind::kWrite, fn);
  }

  return queue_.Submit(fn, [this](internal::WriteQueue::Pending& self, bool alone) {
    std::lock_guard writer_lock(writer_mutex_);
    return alone ? RunAlone(self) : RunBatch();
  });
}

std::size_t SqliteDatabase::RunAlone(internal::WriteQueue::Pending& write) {
  writes_.fetch_add(1, std::memory_order_relaxed);
  transactions_.fetch_add(1, std::memory_order_relaxed);
  write.result = RunTransaction(*writer_, TransactionKind::kWrite, write.fn);
  return 1;
}

std::size_t SqliteDatabase::RunBatch() {
  ActiveGuard active(this);
  Connection& connection = *writer_;
  // The callbacks that succeeded in the open transaction, awaiting its COMMIT.
  std::vector<internal::WriteQueue::Pending*> held;
  bool open = false;
  // Ends the open transaction without committing; every held callback fails.
  auto abandon = [&](const Error& error) {
    connection.Rollback();
    for (internal::WriteQueue::Pending* write : held) write->result = error;
    held.clear();
    open = false;
  };

  std::size_t taken = 0;
  for (internal::WriteQueue::Pending* next = queue_.At(0); next != nullptr;
       next = queue_.At(taken)) {
    internal::WriteQueue::Pending& write = *next;
    ++taken;
    writes_.fetch_add(1, std::memory_order_relaxed);
    if (!open) {
      transactions_.fetch_add(1, std::memory_order_relaxed);
      if (Result<std::int64_t> begin = connection.Execute("BEGIN IMMEDIATE", {}); !begin.ok()) {
        // The writes queued behind this one are left to the next leader.
        write.result = begin.error();
        return taken;
      }
      open = true;
    }
    if (Result<std::int64_t> savepoint = connection.Execute("SAVEPOINT lvyuan_write", {});
        !savepoint.ok()) {
      write.result = savepoint.error();
      abandon(savepoint.error());
      continue;
    }
    Status result = RunCallback(connection, write.fn);
    if (!connection.InTransaction()) {
      // The callback ended the transaction (or SQLite rolled it back after
      // an I/O error): the work of the callbacks before it is gone too.
      if (result.ok()) result = TransactionEndedError();
      abandon(core::Aborted("同批提交的事务已被回滚，本次写入未保存：" + result.error().message));
      write.result = std::move(result);
      continue;
    }
    // A deferred foreign key left unresolved would fail the shared COMMIT.
    if (result.ok() && HasUnresolvedForeignKeys(connection.handle())) {
      result = core::FailedPrecondition("FOREIGN KEY constraint failed");
    }
    if (result.ok()) {
      if (Result<std::int64_t> release = connection.Execute("RELEASE lvyuan_write", {});
          !release.ok()) {
        write.result = release.error();
        abandon(release.error());
        continue;
      }
      held.push_back(&write);
      continue;
    }
    write.result = std::move(result);
    if (Status undo = RollbackToSavepoint(connection); !undo.ok()) abandon(undo.error());
  }

  if (!open) return taken;
  if (held.empty()) {
    connection.Rollback();
    return taken;
  }
  if (Result<std::int64_t> commit = connection.Execute("COMMIT", {}); !commit.ok()) {
    abandon(commit.error());
    return taken;
  }
  for (internal::WriteQueue::Pending* write : held) write->result = core::Ok();
  return taken;
}

SqliteDatabase::WriteCounters SqliteDatabase::write_counters() const {
  return {.writes = writes_.load(std::memory_order_relaxed),
          .transactions = transactions_.load(std::memory_order_relaxed)};
}

std::size_t SqliteDatabase::queued_writes() const { return queue_.size(); }

Status SqliteDatabase::Read(const std::function<Status(Conn&)>& fn) {
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  Connection& reader = CheckOutReader();
  struct Return {
    SqliteDatabase* database;
    Connection* reader;
    ~Return() { database->ReturnReader(*reader); }
  } give_back{this, &reader};
  return RunTransaction(reader, TransactionKind::kRead, fn);
}

Status SqliteDatabase::RunTransaction(Connection& connection, TransactionKind kind,
                                      const std::function<Status(Conn&)>& fn) {
  ActiveGuard active(this);
  TRY(connection.Execute(kind == TransactionKind::kWrite ? "BEGIN IMMEDIATE" : "BEGIN", {}));
  // A deferred BEGIN takes its snapshot at the first read; read now so that
  // a Read sees the database as it was when the Read started.
  if (kind == TransactionKind::kRead) {
    if (Result<std::vector<Row>> first_read =
            connection.Query("SELECT 1 FROM sqlite_schema LIMIT 1", {});
        !first_read.ok()) {
      connection.Rollback();
      return std::move(first_read).error();
    }
  }
  Status result = RunCallback(connection, fn);
  if (!result.ok()) {
    connection.Rollback();
    return result;
  }
  if (!connection.InTransaction()) return TransactionEndedError();
  if (Result<std::int64_t> commit = connection.Execute("COMMIT", {}); !commit.ok()) {
    connection.Rollback();
    return std::move(commit).error();
  }
  return core::Ok();
}

Connection& SqliteDatabase::CheckOutReader() {
  std::unique_lock lock(readers_mutex_);
  reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
  Connection* reader = idle_readers_.back();
  idle_readers_.pop_back();
  return *reader;
}

void SqliteDatabase::ReturnReader(Connection& reader) {
  {
    std::lock_guard lock(readers_mutex_);
    idle_readers_.push_back(&reader);
  }
  reader_returned_.notify_one();
}

Status SqliteDatabase::Ping() {
  return Read([](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT 1"));
    if (!row || row->Int(0) != 1) return core::Unavailable("数据库未正确应答");
    return core::Ok();
  });
}

namespace {

// The highest recorded version; schema_version must exist.
Result<int> RecordedVersion(Conn& conn) {
  std::optional<Row> row =
      TRY(conn.QueryOne("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  return row ? static_cast<int>(row->Int(0)) : 0;
}

Error NewerSchemaError(int recorded, int highest_known) {
  return core::FailedPrecondition("数据库结构版本为 " + std::to_string(recorded) +
                                  "，比本程序支持的最高版本 " + std::to_string(highest_known) +
                                  " 更新；请使用更新的程序版本");
}

}  // namespace

Result<int> SqliteDatabase::SchemaVersion() {
  int version = 0;
  TRY(Read([&version](Conn& conn) -> Status {
    std::optional<Row> table = TRY(conn.QueryOne(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'"));
    if (table) version = TRY(RecordedVersion(conn));
    return core::Ok();
  }));
  return version;
}

Status SqliteDatabase::Migrate() { return Migrate(SqliteMigrations()); }

Result<std::vector<TableInfo>> SqliteDatabase::ListTables() {
  std::vector<TableInfo> tables;
  TRY(Read([&tables](Conn& conn) -> Status {
    tables.clear();
    const std::vector<Row> names = TRY(conn.Query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' ORDER BY name"));
    for (const Row& name : names) {
      TableInfo table{.name = name.Text(0), .columns = {}};
      const std::vector<Value> params = {table.name};
      const std::vector<Row> columns = TRY(conn.Query(
          "SELECT name, upper(type), pk FROM pragma_table_info(?) ORDER BY cid", params));
      for (const Row& column : columns) {
        table.columns.push_back({.name = column.Text(0),
                                 .type = column.Text(1),
                                 .primary_key = static_cast<int>(column.Int(2))});
      }
      tables.push_back(std::move(table));
    }
    return core::Ok();
  }));
  return tables;
}

Status SqliteDatabase::Migrate(std::span<const Migration> migrations) {
  TRY(CheckMigrationOrder(migrations));
  if (IsActiveOnThisThread(this)) return NestedTransactionError();
  const int highest_known = HighestMigration(migrations);
  std::lock_guard lock(writer_mutex_);

  int recorded = 0;
  TRY(RunTransaction(*writer_, TransactionKind::kWrite, [&recorded](Conn& conn) -> Status {
    TRY(conn.Exec(kCreateSchemaVersion));
    recorded = TRY(RecordedVersion(conn));
    return core::Ok();
  }));
  if (recorded > highest_known) return NewerSchemaError(recorded, highest_known);

  for (const Migration& migration : migrations) {
    if (migration.number <= recorded) continue;
    TRY(RunTransaction(*writer_, TransactionKind::kWrite, [&](Conn& conn) -> Status {
      // Another process may have migrated since the check above.
      const int now = TRY(RecordedVersion(conn));
      if (now > highest_known) return NewerSchemaError(now, highest_known);
      if (now >= migration.number) return core::Ok();
      const std::string label = std::to_string(migration.number) + "_" + migration.name;
      if (Status script = writer_->ExecScript(std::string(migration.sql)); !script.ok()) {
        return Error{script.error().code, "迁移 " + label + " 失败：" + script.error().message, {}};
      }
      if (!writer_->InTransaction()) {
        return core::Internal("迁移 " + label + " 不得包含 BEGIN/COMMIT");
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

}  // namespace lvyuan::store::sqlite
