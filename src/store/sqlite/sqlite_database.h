// The SQLite backend of store::Database (SQLite 3 C API).
//
// One file, WAL journal, synchronous=FULL, foreign keys on. One writer
// connection (Write runs BEGIN IMMEDIATE ... COMMIT, so other processes are
// serialised too, waiting up to busy_timeout_ms) and a pool of reader
// connections with query_only=ON (Read runs BEGIN ... COMMIT and sees the
// snapshot taken when it starts).
//
// Group commit: Write calls queue up; the one at the front is the leader and
// runs queued callbacks (its own first) one after another in one
// transaction, each between SAVEPOINT and RELEASE (ROLLBACK TO when it
// fails), then COMMITs once (one fsync) and wakes their callers, who
// meanwhile block. The batch takes the calls queued behind the leader in
// order, including those that arrive while it runs, until none is waiting or
// group_commit_max_batch have run; it never waits for company. A Write
// arriving at an empty queue leads at once, and a leader with nobody queued
// behind it runs a plain transaction without savepoints. A callback that
// leaves an unresolved deferred foreign key is failed at its RELEASE, so it
// cannot spoil the shared COMMIT. If the transaction ends under a callback
// (it ran ROLLBACK/COMMIT, or SQLite rolled back after an I/O error), the
// earlier callbacks of the batch get Aborted and the rest run in a new
// transaction.
//
// Inside one Write callback or Read, once a statement has failed every later
// statement of that callback is refused and its changes are undone even if it
// returns ok, as PostgreSQL does; so code that passes on SQLite passes there
// too. Other callbacks of the same batch are not affected.
//
// Calling Write, Read, Ping, Migrate or SchemaVersion of a database from inside
// one of its own callbacks on the same thread returns Internal ("nested
// transaction") instead of deadlocking.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"
#include "store/write_queue.h"

namespace lvyuan::store::sqlite {

// One sqlite3 connection with its prepared-statement cache. Defined in the .cc.
class Connection;

class SqliteDatabase final : public Database {
 public:
  // Statements kept prepared per connection (least recently used evicted).
  static constexpr std::size_t kStatementCacheSize = 128;
  // The WAL file is truncated to this size after a checkpoint.
  static constexpr std::int64_t kJournalSizeLimit = 64 * 1024 * 1024;

  // Opens (creating if missing, with its parent directory) the database file
  // at path, with options.reader_pool_size readers (at least 1),
  // options.busy_timeout_ms and options.group_commit_max_batch. Errors: InvalidArgument (field
  // "store.url") for an empty path or ":memory:"; Unavailable when the directory or file cannot be
  // created or opened or WAL cannot be enabled.
  static Result<std::unique_ptr<SqliteDatabase>> Open(std::string path, const OpenOptions& options);

  // Closes every connection. No Write/Read may be running.
  ~SqliteDatabase() override;

  // Only Open can make the token, so only Open constructs.
  class Token {
    friend class SqliteDatabase;
    explicit Token() = default;
  };
  SqliteDatabase(Token, std::string path, int max_batch, std::unique_ptr<Connection> writer,
                 std::vector<std::unique_ptr<Connection>> readers);

  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Status Write(const std::function<Status(Conn&)>& fn) override;
  Status Read(const std::function<Status(Conn&)>& fn) override;
  std::uint64_t WriteCount() const override { return queue_.batches(); }
  Status Ping() override;
  // Migrate(SqliteMigrations()).
  Status Migrate() override;
  // Applies the migrations newer than the recorded schema version, each
  // script (run with sqlite3_exec) and its schema_version row in one
  // transaction. Errors: InvalidArgument when the list is not strictly
  // increasing; FailedPrecondition when the database records a version newer
  // than the list knows; a failing script is rolled back and its error
  // returned with the migration named (earlier ones stay applied).
  Status Migrate(std::span<const Migration> migrations);
  Result<int> SchemaVersion() override;
  std::string_view Backend() const override { return "sqlite"; }
  // From sqlite_master and pragma_table_info; the declared type, upper-cased.
  Result<std::vector<TableInfo>> ListTables() override;

  // The file path as given to Open.
  const std::string& path() const { return path_; }
  // The most Write callbacks one transaction holds (at least 1).
  int max_batch() const { return max_batch_; }

  // Counters since Open, for metrics and tests. Thread-safe; each value is
  // read on its own, so a pair may be from slightly different moments.
  struct WriteCounters {
    std::int64_t writes = 0;        // Write calls whose callback was run
    std::int64_t transactions = 0;  // write transactions begun for them
  };
  WriteCounters write_counters() const;
  // Write calls queued right now, including the batch being run. Thread-safe.
  std::size_t queued_writes() const;

 private:
  // kWrite: BEGIN IMMEDIATE; kRead: BEGIN and take the snapshot at once.
  enum class TransactionKind { kWrite, kRead };

  // Runs fn on conn inside BEGIN ... COMMIT (or ROLLBACK), marking this
  // database active on the calling thread meanwhile.
  Status RunTransaction(Connection& conn, TransactionKind kind,
                        const std::function<Status(Conn&)>& fn);
  // Run on the writer (writer_mutex_ held) by the leader, the front of the
  // queue; each sets the results of the writes it ran and returns how many
  // there were, all at the front of the queue. RunAlone runs the leader's
  // write as a plain transaction; RunBatch runs queue positions 0, 1, ... as
  // one transaction for as long as another write is queued (up to
  // max_batch_).
  std::size_t RunAlone(internal::WriteQueue::Pending& write);
  std::size_t RunBatch();
  // Blocks until a reader is idle and takes it; ReturnReader gives it back.
  Connection& CheckOutReader();
  void ReturnReader(Connection& reader);

  const std::string path_;
  const int max_batch_;

  // Guards the writer connection; held for the whole of a batch or migration.
  std::mutex writer_mutex_;
  std::unique_ptr<Connection> writer_;

  // Write calls in arrival order (group commit; store/write_queue.h).
  internal::WriteQueue queue_;

  std::atomic<std::int64_t> writes_{0};
  std::atomic<std::int64_t> transactions_{0};

  // Every reader, owned; idle_readers_ lists the ones not checked out.
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<Connection*> idle_readers_;  // guarded by readers_mutex_
};

}  // namespace lvyuan::store::sqlite
