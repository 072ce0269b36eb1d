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
// Write: READ COMMITTED transactions. Writers are serialised: inside the
// process by the writer pool (one connection), across processes by a
// transaction-level advisory lock (kWriterLockKey) taken right after BEGIN,
// so a callback that reads and then writes (the record's next sequence
// number) sees every earlier commit, as on SQLite. Waiting for that lock
// longer than busy_timeout_ms answers Unavailable.
//
// Group commit (OpenOptions::group_commit_max_batch), as on SQLite: Write
// calls queue up; the one at the front is the leader and runs queued
// callbacks (its own first) one after another in one transaction, under one
// hold of the advisory lock, each between SAVEPOINT and RELEASE (ROLLBACK TO
// when it fails), then COMMITs once and wakes their callers, who meanwhile
// block. The batch takes the calls queued behind the leader in order,
// including those that arrive while it runs, until none is waiting or
// group_commit_max_batch have run; it never waits for company. A leader with
// nobody queued behind it runs a plain transaction without savepoints; a
// bound of 1 turns the queue off. The SAVEPOINT of the next callback travels
// with the RELEASE of the one before (one round trip between callbacks).
// Before its RELEASE, a callback's deferred constraints are checked (SET
// CONSTRAINTS ALL IMMEDIATE inside an inner savepoint that is then rolled
// back, so the modes stay as they were), so an unresolved deferred foreign
// key fails that callback alone instead of the shared COMMIT. pg_notify of a
// callback that is rolled back to its savepoint is dropped with it; the
// others' are sent at the COMMIT (PostgreSQL folds identical channel and
// payload pairs of one transaction into one message, so two callbacks of a
// batch publishing the very same text are heard once). When the shared
// COMMIT fails, or the link breaks or the server turns read-only during a
// batch, every callback held for that commit gets the error and nothing of
// theirs is kept; the rest of the queue is left to the next leader, which
// connects afresh. A callback may not end the transaction: transaction
// control statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE, ...) are
// refused with FailedPrecondition in every callback, Write or Read.
//
// Read: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY and the snapshot is
// taken at once, so a Read sees the database as it was when it began.
//
// Replicas (OpenOptions::replica_urls): each has a reader pool of its own,
// connected lazily, that only ReadMayLag uses; Write and Read always go to
// url. ReadMayLag takes the replicas round robin; a replica that cannot be
// reached (Unavailable) is skipped for kReplicaRetryMs, and when no replica
// answers — or a replica cancels the read for a conflict with recovery
// (Aborted) — the read runs on url's reader pool, so a replica's failure
// never fails a read the primary can answer. A replica URL may itself name
// several hosts with target_session_attrs=prefer-standby.
//
// High availability: url may name several hosts
// ("postgresql://h1:p1,h2:p2,h3:p3/db?target_session_attrs=read-write");
// libpq tries them in turn and keeps the first that accepts writes. A writer
// connection is also checked when it is made (pg_is_in_recovery(),
// transaction_read_only): one that lands on a read-only standby is closed and
// the connect is tried again (kReadOnlyConnectAttempts in all, kReadOnlyPauseMs
// apart) before Unavailable is answered. A Write whose server turns out to be
// read-only (SQLSTATE 25006, or a BEGIN refused during recovery) drops its
// connection and answers Unavailable, so the next Write connects afresh,
// following a failover to the new primary; the Write itself is not retried.
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
// FailedPrecondition (in a Write: Unavailable, see above); anything else -> Internal. After one
// statement of a callback failed, its later statements are refused (FailedPrecondition) and the
// transaction is rolled back even if the callback returns ok, as on SQLite.
//
// Calling Write, Read, Ping, Migrate or SchemaVersion of a database from inside
// one of its own callbacks on the same thread returns Internal ("nested
// transaction") instead of deadlocking.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"
#include "store/write_queue.h"

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
  // How long a replica that could not be reached is left out of ReadMayLag.
  static constexpr std::int64_t kReplicaRetryMs = 5'000;
  // Connects of a writer that land on a read-only server, before giving up.
  static constexpr int kReadOnlyConnectAttempts = 3;
  static constexpr int kReadOnlyPauseMs = 200;

  // Checks the URL and connects once (a writer) so that a wrong address or
  // credentials fail here; replicas are connected on first use, so a replica
  // that is down does not stop the start. Errors: InvalidArgument (field
  // "store.url", or "store.replica_urls" for a replica) for a URL libpq cannot
  // parse; Unavailable when the server cannot be reached, refuses the login
  // or accepts no writes.
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
  std::uint64_t WriteCount() const override { return queue_.batches(); }
  // See the replicas above; Read when there are none.
  Status ReadMayLag(const std::function<Status(Conn&)>& fn) override;
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
  // The ordinary tables of the current schema, from pg_catalog; bigint,
  // integer and smallint are INTEGER, bytea BLOB, double precision and real
  // REAL, text TEXT.
  Result<std::vector<TableInfo>> ListTables() override;
  // setval of every identity column's sequence in the current schema to one
  // past the column's highest value (1 for an empty table), in one Write.
  // Needs the owner's rights on the sequences (store.migration_url).
  Status AdvanceIdentities() override;

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
  // ReadMayLag calls that ran on the primary although replicas are
  // configured (none answered), for tests and metrics. Thread-safe.
  std::int64_t replica_fallbacks() const;
  // The most Write callbacks one transaction holds (at least 1).
  int max_batch() const { return max_batch_; }
  // Counters since Open, for metrics and tests. Thread-safe; each value is
  // read on its own, so a pair may be from slightly different moments.
  struct WriteCounters {
    std::int64_t writes = 0;        // Write calls whose callback was run
    std::int64_t transactions = 0;  // write transactions begun for them
  };
  WriteCounters write_counters() const;
  // Write calls queued right now, including the batch being run (0 with a
  // bound of 1). Thread-safe.
  std::size_t queued_writes() const;

 private:
  // A pool of connections of one kind, connecting lazily up to its size.
  class Pool {
   public:
    // Connects to url; a writer pool's connections must accept writes.
    Pool(PostgresDatabase& database, std::string url, std::size_t size, bool writer);
    ~Pool();
    // Blocks until a connection is idle or may be made; connects if needed.
    // Errors: Unavailable when connecting fails (the slot is given back).
    Result<std::unique_ptr<Connection>> CheckOut();
    // Gives a connection back; a broken one is closed and its slot freed.
    void Return(std::unique_ptr<Connection> connection);

   private:
    PostgresDatabase& database_;
    const std::string url_;
    const std::size_t size_;
    const bool writer_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
    std::size_t checked_out_ = 0;                    // guarded by mutex_
  };

  // A replica's reader pool and when it may be tried again after failing.
  struct Replica {
    Replica(PostgresDatabase& database, std::string url, std::size_t size)
        : pool(database, std::move(url), size, /*writer=*/false) {}
    Pool pool;
    std::atomic<std::int64_t> retry_at_ms{0};  // unix ms; 0: up
  };

  enum class TransactionKind { kWrite, kRead };

  // A new connection to url with the session settings. writer: one that
  // lands on a read-only server is closed and the connect tried again.
  Result<std::unique_ptr<Connection>> Connect(const std::string& url, bool writer);
  // Checks a connection out of pool, runs fn inside a transaction of kind,
  // and gives the connection back.
  Status RunTransaction(TransactionKind kind, Pool& pool, const std::function<Status(Conn&)>& fn);
  // Run by the leader, the front of the queue: sets the results of the
  // writes it ran (queue positions 0, 1, ... as one transaction for as long
  // as another write is queued, up to max_batch_) and returns how many there
  // were.
  std::size_t RunBatch();

  const std::string url_;
  const int lock_timeout_ms_;
  const int max_batch_;
  std::atomic<std::int64_t> connections_made_{0};
  std::atomic<std::int64_t> replica_fallbacks_{0};
  std::atomic<std::uint64_t> next_replica_{0};
  // Write calls in arrival order (group commit; store/write_queue.h).
  internal::WriteQueue queue_;
  std::atomic<std::int64_t> writes_{0};
  std::atomic<std::int64_t> transactions_{0};
  Pool writers_;
  Pool readers_;
  std::vector<std::unique_ptr<Replica>> replicas_;  // fixed after construction
};

}  // namespace postgres
}  // namespace lvyuan::store
