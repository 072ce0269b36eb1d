// The SQLite backend of store::Database (SQLite 3 C API).
//
// One file, WAL journal, synchronous=FULL, foreign keys on. One writer
// connection serialised by a mutex (Write runs BEGIN IMMEDIATE ... COMMIT, so
// other processes are serialised too, waiting up to busy_timeout_ms) and a pool
// of reader connections with query_only=ON (Read runs BEGIN ... COMMIT and sees
// the snapshot taken when it starts).
//
// Inside one Write or Read, once a statement has failed every later statement
// is refused and the transaction is rolled back even if the callback returns
// ok, as PostgreSQL does; so code that passes on SQLite passes there too.
//
// Calling Write, Read, Ping, Migrate or SchemaVersion of a database from inside
// one of its own callbacks on the same thread returns Internal ("nested
// transaction") instead of deadlocking.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"
#include "store/migrations.h"

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
  // at path, with options.reader_pool_size readers (at least 1) and
  // options.busy_timeout_ms. Errors: InvalidArgument (field "store.url") for
  // an empty path or ":memory:"; Unavailable when the directory or file cannot
  // be created or opened or WAL cannot be enabled.
  static Result<std::unique_ptr<SqliteDatabase>> Open(std::string path, const OpenOptions& options);

  // Closes every connection. No Write/Read may be running.
  ~SqliteDatabase() override;

  // Only Open can make the token, so only Open constructs.
  class Token {
    friend class SqliteDatabase;
    explicit Token() = default;
  };
  SqliteDatabase(Token, std::string path, std::unique_ptr<Connection> writer,
                 std::vector<std::unique_ptr<Connection>> readers);

  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;

  Status Write(const std::function<Status(Conn&)>& fn) override;
  Status Read(const std::function<Status(Conn&)>& fn) override;
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

  // The file path as given to Open.
  const std::string& path() const { return path_; }

 private:
  // kWrite: BEGIN IMMEDIATE; kRead: BEGIN and take the snapshot at once.
  enum class TransactionKind { kWrite, kRead };
  // Runs fn on conn inside BEGIN ... COMMIT (or ROLLBACK), marking this
  // database active on the calling thread meanwhile.
  Status RunTransaction(Connection& conn, TransactionKind kind,
                        const std::function<Status(Conn&)>& fn);
  // Blocks until a reader is idle and takes it; ReturnReader gives it back.
  Connection& CheckOutReader();
  void ReturnReader(Connection& reader);

  const std::string path_;

  // Guards the writer connection; held for the whole of a Write or migration.
  std::mutex writer_mutex_;
  std::unique_ptr<Connection> writer_;

  // Every reader, owned; idle_readers_ lists the ones not checked out.
  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mutex_;
  std::condition_variable reader_returned_;
  std::vector<Connection*> idle_readers_;  // guarded by readers_mutex_
};

}  // namespace lvyuan::store::sqlite
