// The storage interface. Only src/store speaks SQL; layers above call the
// typed repository functions in store/*.h, which are written once against
// Conn in a portable SQL subset:
//   - '?' placeholders (a backend rewrites them, e.g. to $1 for PostgreSQL);
//   - INTEGER, REAL, TEXT, BLOB columns; times as INTEGER unix milliseconds;
//   - INSERT ... RETURNING, ON CONFLICT ... DO NOTHING/UPDATE;
//   - no backend-specific functions.
// Anything that cannot be written that way goes behind a virtual on Conn.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.h"

namespace lvyuan::store {

using core::Result;
using core::Status;

using Blob = std::vector<std::uint8_t>;
// std::monostate is SQL NULL.
using Value = std::variant<std::monostate, std::int64_t, double, std::string, Blob>;

inline Value Null() { return std::monostate{}; }

// One result row. Accessors take a 0-based column index; a type mismatch or
// NULL gives the fallback (0, "" ...), so callers test IsNull when it matters.
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  std::size_t size() const { return values_.size(); }
  bool IsNull(std::size_t i) const;
  std::int64_t Int(std::size_t i) const;
  double Real(std::size_t i) const;
  std::string Text(std::size_t i) const;
  Blob Bytes(std::size_t i) const;
  std::optional<std::int64_t> OptInt(std::size_t i) const;
  std::optional<std::string> OptText(std::size_t i) const;
  const Value& at(std::size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

// One column of a streamed row (Conn::QueryEach): the value in place, without
// a copy. text and bytes point into the backend's buffers and are valid only
// until the row callback returns.
struct FieldView {
  enum class Type { kNull, kInteger, kReal, kText, kBlob };
  Type type = Type::kNull;
  std::int64_t integer = 0;
  double real = 0.0;
  std::string_view bytes;  // kText and kBlob
};

// One streamed row; the accessors behave as Row's (a type mismatch or NULL
// gives the fallback) but return views valid only during the callback.
class RowView {
 public:
  explicit RowView(std::span<const FieldView> fields) : fields_(fields) {}
  std::size_t size() const { return fields_.size(); }
  bool IsNull(std::size_t i) const {
    return i >= fields_.size() || fields_[i].type == FieldView::Type::kNull;
  }
  std::int64_t Int(std::size_t i) const {
    return Is(i, FieldView::Type::kInteger) ? fields_[i].integer : 0;
  }
  std::optional<std::int64_t> OptInt(std::size_t i) const {
    if (!Is(i, FieldView::Type::kInteger)) return std::nullopt;
    return fields_[i].integer;
  }
  std::string_view Text(std::size_t i) const {
    return Is(i, FieldView::Type::kText) ? fields_[i].bytes : std::string_view();
  }
  std::span<const std::uint8_t> Bytes(std::size_t i) const {
    if (!Is(i, FieldView::Type::kBlob)) return {};
    const std::string_view b = fields_[i].bytes;
    return {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()};
  }
  // The field as it is (type and value), for code that copies rows without
  // knowing their columns (store/copy.h). Precondition: i < size().
  const FieldView& Field(std::size_t i) const { return fields_[i]; }

 private:
  bool Is(std::size_t i, FieldView::Type type) const {
    return i < fields_.size() && fields_[i].type == type;
  }
  std::span<const FieldView> fields_;
};

// Called once per row of Conn::QueryEach; an error stops the query and is
// returned by QueryEach.
using RowCallback = std::function<Status(const RowView&)>;

// A connection inside one transaction. Not thread-safe; valid only inside
// the Database::Write/Read callback that handed it out.
class Conn {
 public:
  virtual ~Conn() = default;
  // Runs a statement; returns the number of rows changed.
  // Errors: AlreadyExists for a UNIQUE/PRIMARY KEY violation (message names
  // the constraint), FailedPrecondition for a CHECK/FOREIGN KEY/trigger
  // refusal, Aborted for a serialization conflict, Unavailable when the
  // database cannot be reached, Internal otherwise.
  virtual Result<std::int64_t> Exec(std::string_view sql, std::span<const Value> params = {}) = 0;
  // Runs a query and returns every row.
  virtual Result<std::vector<Row>> Query(std::string_view sql,
                                         std::span<const Value> params = {}) = 0;
  // Runs a query and calls fn with each row in turn, as views that are valid
  // only during that call: no Row or Value is built, so a large scan does
  // not copy every column. Returns the first error: the query's (as Query,
  // which then also fails later statements of the transaction) or fn's (the
  // rest of the rows are skipped; the transaction is not affected). The
  // default implementation runs Query and views its rows; a backend
  // overrides it to stream. fn must not run statements on this Conn.
  virtual Status QueryEach(std::string_view sql, std::span<const Value> params,
                           const RowCallback& fn);
  // The first row, or std::nullopt when there is none.
  Result<std::optional<Row>> QueryOne(std::string_view sql, std::span<const Value> params = {});
};

struct OpenOptions {
  // A SQLite file path ("var/lvyuan.db", "sqlite:var/lvyuan.db") or, later, a
  // "postgresql://" URL.
  std::string url;
  // PostgreSQL: servers that answer ReadMayLag (streaming replicas of url's
  // database), each with a reader pool of reader_pool_size. Ignored by SQLite.
  std::vector<std::string> replica_urls;
  int reader_pool_size = 4;
  int busy_timeout_ms = 5000;
  // Group commit: how many concurrent Write calls may share one transaction
  // and one durable commit. The batch is whatever is queued when the writer
  // becomes free (a lone Write never waits for company), up to this many.
  // 1 turns group commit off (one transaction per Write); values below 1
  // count as 1.
  int group_commit_max_batch = 256;
  // SQLite: each connection's page cache, and how much of the file its reads
  // may map (0: none, reads go through the page cache). The mapped pages the
  // process touches count in its resident memory, so the map is off by
  // default; a larger cache or a map speeds up a large record's proofs.
  // Ignored by PostgreSQL.
  int sqlite_cache_mib = 8;
  int sqlite_mmap_mib = 0;
  // SQLite, for a command that loads a volume of generated data (demo
  // --matters) and can simply be run again: commits are not synced
  // (synchronous=NORMAL — in WAL mode a crash may lose the last transactions
  // but never leaves a torn one) and the WAL is checkpointed every 64 MiB
  // instead of every 4 MiB, so hot index pages are copied back less often.
  // Never for a deployment's server. Ignored by PostgreSQL.
  bool sqlite_bulk_load = false;
};

// One column of a table as the backend's catalogue describes it
// (Database::ListTables).
struct ColumnInfo {
  std::string name;
  // The portable type: "INTEGER", "REAL", "TEXT" or "BLOB" (PostgreSQL's
  // bigint is INTEGER, bytea BLOB, double precision REAL); anything else as
  // the backend names it.
  std::string type;
  // 1-based position in the table's primary key; 0 when not part of it.
  int primary_key = 0;
};

struct TableInfo {
  std::string name;
  std::vector<ColumnInfo> columns;  // in declaration order
};

class Database {
 public:
  virtual ~Database() = default;
  // Runs fn in a write transaction: its changes are committed durably if fn
  // returns ok, undone otherwise (and the error returned). Writers are
  // serialised. Returns only once the commit holding fn's changes is durable.
  //
  // Group commit (OpenOptions::group_commit_max_batch): the callbacks of
  // concurrent Writes may run one after another in one transaction, each
  // isolated by a savepoint, so that a callback sees the changes of those
  // before it and one callback's failure (error, failed statement, exception)
  // undoes only its own changes. If the shared commit itself fails, every
  // caller whose callback succeeded gets that error and none of their changes
  // are kept. fn may be run by another thread that is inside Write (the
  // caller's thread blocks meanwhile), so it must not rely on the caller's
  // thread-local state; everything it references stays valid because the
  // caller waits. Thread-safe.
  virtual Status Write(const std::function<Status(Conn&)>& fn) = 0;
  // Runs fn on a read-only snapshot (a connection from the reader pool).
  // Thread-safe.
  virtual Status Read(const std::function<Status(Conn&)>& fn) = 0;
  // As Read, but the snapshot may be a few seconds old: with PostgreSQL
  // replicas (store.replica_urls) it is taken on a replica, chosen round
  // robin, and on the primary when no replica answers; on SQLite and without
  // replicas it is Read. Use it only for data that is fine a little stale and
  // is not the caller's own just-made write — public, signed record data
  // (the key, checkpoints, consistency proofs) whose reader checks it anyway.
  // Anything that must see the caller's writes (read-your-writes), that
  // decides a change, or that is recorded as a read uses Read or Write.
  // fn may be run again from the start on another server when a replica's
  // link fails during it, so it must assign what it collects rather than
  // append to it. Thread-safe.
  virtual Status ReadMayLag(const std::function<Status(Conn&)>& fn) { return Read(fn); }
  // A number that moves whenever a Write of this process has finished
  // (committed or failed), before its caller returns; never for writes of
  // other processes. What was read when it stood at one value is still what
  // this process's writes left at that value (answer caches key on it).
  // Thread-safe.
  virtual std::uint64_t WriteCount() const = 0;
  // Ok when the database answers a trivial query.
  virtual Status Ping() = 0;
  // Applies every migration newer than the schema version, each in its own
  // transaction, recording it in schema_version. Idempotent.
  virtual Status Migrate() = 0;
  // The highest applied migration number (0 for an empty database).
  virtual Result<int> SchemaVersion() = 0;
  // "sqlite" or "postgresql".
  virtual std::string_view Backend() const = 0;
  // Every table of the schema (schema_version included; the backend's own
  // tables left out), sorted by name, read from the backend's catalogue
  // (sqlite_master, pg_catalog) in one Read. The default answers
  // Unimplemented.
  virtual Result<std::vector<TableInfo>> ListTables();
  // After rows were inserted with explicit ids (store/copy.h), makes the ids
  // the database generates for later inserts continue past the highest one
  // stored. PostgreSQL moves every identity sequence of the schema (one
  // Write); SQLite needs nothing (an INTEGER PRIMARY KEY continues from the
  // table's highest id), which is the default.
  virtual Status AdvanceIdentities();
};

// Opens the database named by options.url. Does not migrate.
Result<std::unique_ptr<Database>> Open(const OpenOptions& options);

}  // namespace lvyuan::store
