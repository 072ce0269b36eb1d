// The PostgreSQL backend of store::Database (libpqxx 6.4 over libpq).
//
// Connections: a writer pool and a reader pool, each connecting lazily up to
// its size. Every connection sets statement_timeout (kStatementTimeoutMs),
// lock_timeout (OpenOptions::busy_timeout_ms), synchronous_commit=on, UTC and
// client_encoding UTF8 when it connects. A connection whose link breaks
// during a call is dropped from its pool and that call answers Unavailable;
// the next call connects afresh. Nothing is retried behind the caller's back,
// so a write is never applied twice.
//
// Write: one transaction per call (PostgreSQL batches concurrent commits in
// its WAL itself), READ COMMITTED. Writers are serialised: inside the process
// by the writer pool (one connection), across processes by a transaction-level
// advisory lock (kWriterLockKey) taken right after BEGIN, so a callback that
// reads and then writes (the record's next sequence number) sees every earlier
// commit, as on SQLite. Waiting for that lock longer than busy_timeout_ms
// answers Unavailable.
//
// Read: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY and the snapshot is
// taken at once, so a Read sees the database as it was when it began.
//
// Statements: the portable '?' placeholders become $1, $2 ... (outside quotes,
// quoted identifiers, dollar-quoted strings and comments); a parameter holding
// an INTEGER, REAL or BLOB value is cast (::bigint, ::double precision,
// ::bytea) so its type never depends on inference; TEXT and NULL are left for
// the server to infer. Statements with parameters or that read/change rows
// are prepared once per connection and kept (at most kStatementCacheSize per
// connection; the cache is cleared when full). Results map back: bigint,
// integer, smallint, boolean, oid and integral numeric -> INTEGER; double,
// real and fractional numeric -> REAL; bytea -> BLOB; everything else -> TEXT.
//
// Errors (SQLSTATE): 23505 unique_violation -> AlreadyExists (the message
// names the constraint and the key); 23502/23503/23514/23001 and P0001
// raise_exception (the append-only triggers) -> FailedPrecondition; 40001
// serialization_failure and 40P01 deadlock -> Aborted; 42501
// insufficient_privilege (the application role touching what it may not) ->
// PermissionDenied; class 08, 57P0x and a
// broken link -> Unavailable; 55P03 lock_not_available -> Unavailable; 57014
// (statement_timeout) -> DeadlineExceeded; 25006 (write in a Read) ->
// FailedPrecondition; anything else -> Internal. After one statement of a
// callback failed, its later statements are refused (FailedPrecondition) and
// the transaction is rolled back even if the callback returns ok, as on
// SQLite.
//
// Calling Write, Read, Ping, Migrate or SchemaVersion of a database from inside
// one of its own callbacks on the same thread returns Internal ("nested
// transaction") instead of deadlocking.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"

namespace lvyuan::store {

// The migrations built into this binary for PostgreSQL
// (src/store/postgres/migrations/NNNN_name.sql), sorted by number; the same
// numbers and names as SqliteMigrations(). The storage lives for the program.
std::span<const Migration> PostgresMigrations();

namespace postgres {

// The tables whose rows are never changed or removed once written (the
// record and the evidence registry): triggers refuse UPDATE,
// DELETE and TRUNCATE, and the application role may only INSERT and SELECT.
std::span<const std::string_view> AppendOnlyTables();

// The user name of a libpq URL or key/value string ("" when it names none).
// InvalidArgument (field "store.url") when libpq cannot parse it.
Result<std::string> UserOfUrl(const std::string& url);

// The portable SQL of database.h with its '?' placeholders numbered $1, $2 ...
// in order; casts[i], when not empty, is appended to placeholder i+1 (e.g.
// "::bigint"). Question marks inside '...', E'...', "...", $tag$...$tag$,
// -- comments and /* comments */ are left alone. Returns the number of
// placeholders through *count. Pure; thread-safe.
std::string RewritePlaceholders(std::string_view sql, std::span<const std::string_view> casts,
                                std::size_t* count);

// One libpqxx connection and its prepared statements. Defined in the .cc.
class Connection;

class PostgresDatabase final : public Database {
 public:
  static constexpr int kStatementTimeoutMs = 30'000;
  static constexpr std::size_t kStatementCacheSize = 256;
  // The advisory lock that serialises writers across processes ("lvyuan" in
  // ASCII, so that other users of advisory locks on the database can avoid it).
  static constexpr std::int64_t kWriterLockKey = 0x6c7679'75616e;

  // Checks the URL and connects once (a writer) so that a wrong address or
  // credentials fail here. Errors: InvalidArgument (field "store.url") for a
  // URL libpq cannot parse; Unavailable when the server cannot be reached or
  // refuses the login.
  static Result<std::unique_ptr<PostgresDatabase>> Open(std::string url,
                                                        const OpenOptions& options);

  // Closes every connection. No Write/Read may be running.
  ~PostgresDatabase() override;

  class Token {
    friend class PostgresDatabase;
    explicit Token() = default;
  };
  PostgresDatabase(Token, std::string url, const OpenOptions& options);

  PostgresDatabase(const PostgresDatabase&) = delete;
  PostgresDatabase& operator=(const PostgresDatabase&) = delete;

  Status Write(const std::function<Status(Conn&)>& fn) override;
  Status Read(const std::function<Status(Conn&)>& fn) override;
  Status Ping() override;
  // Migrate(PostgresMigrations()).
  Status Migrate() override;
  // Applies the migrations newer than the recorded schema version, each
  // script and its schema_version row in one transaction, holding the writer
  // lock so that two processes migrating at once apply each script once.
  // Errors as SqliteDatabase::Migrate: InvalidArgument for a list that is not
  // strictly increasing, FailedPrecondition when the database is newer than
  // the list, a failing script's error with the migration named.
  Status Migrate(std::span<const Migration> migrations);
  Result<int> SchemaVersion() override;
  std::string_view Backend() const override { return "postgresql"; }

  // Gives `role` (a login role of the application, distinct from the owner
  // this database connects as) what the application needs in the current
  // schema and nothing more: USAGE on the schema and its sequences; SELECT
  // and INSERT only on the append-only tables (AppendOnlyTables()) and on
  // schema_version; SELECT, INSERT, UPDATE and DELETE on every other table.
  // TRUNCATE, REFERENCES, TRIGGER and DDL stay with the owner. Idempotent;
  // run after every Migrate (it covers the tables of new migrations) under
  // the writer lock, so processes starting together do not collide.
  // Errors: InvalidArgument for an empty role or one equal to the current
  // user; NotFound when the role does not exist; the server's error otherwise.
  Status GrantApplicationRole(std::string_view role);

  // Connections made since Open (first connections and reconnections), for
  // tests and metrics. Thread-safe.
  std::int64_t connections_made() const;

 private:
  // A pool of connections of one kind, connecting lazily up to its size.
  class Pool {
   public:
    Pool(PostgresDatabase& database, std::size_t size);
    ~Pool();
    // Blocks until a connection is idle or may be made; connects if needed.
    // Errors: Unavailable when connecting fails (the slot is given back).
    Result<std::unique_ptr<Connection>> CheckOut();
    // Gives a connection back; a broken one is closed and its slot freed.
    void Return(std::unique_ptr<Connection> connection);

   private:
    PostgresDatabase& database_;
    const std::size_t size_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
    std::size_t checked_out_ = 0;                    // guarded by mutex_
  };

  enum class TransactionKind { kWrite, kRead };

  Result<std::unique_ptr<Connection>> Connect();
  // Checks a connection out of the pool for kind, runs fn inside a
  // transaction of that kind, and gives the connection back.
  Status RunTransaction(TransactionKind kind, const std::function<Status(Conn&)>& fn);

  const std::string url_;
  const int lock_timeout_ms_;
  std::atomic<std::int64_t> connections_made_{0};
  Pool writers_;
  Pool readers_;
};

}  // namespace postgres
}  // namespace lvyuan::store
