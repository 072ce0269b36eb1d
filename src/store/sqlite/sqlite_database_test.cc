#include "store/sqlite/sqlite_database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/test_support.h"

namespace lvyuan::store::sqlite {
namespace {

using core::ErrorCode;
using core::Ok;
using store::testing::CodeOf;
using store::testing::IsOk;
using store::testing::ScratchDirectory;
using ::testing::HasSubstr;

class SqliteDatabaseTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteDatabase> OpenAt(const std::filesystem::path& path,
                                         OpenOptions options = {}) {
    auto opened = SqliteDatabase::Open(path.string(), options);
    EXPECT_TRUE(IsOk(opened));
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::unique_ptr<SqliteDatabase> OpenFresh(OpenOptions options = {}) {
    return OpenAt(scratch_.path() / "store.db", options);
  }

  // The value of a PRAGMA on a writer (in Write) or reader (in Read) connection.
  static Result<Value> Pragma(Database& db, bool on_reader, const std::string& name) {
    Value value;
    auto fn = [&](Conn& conn) -> Status {
      std::optional<Row> row = TRY(conn.QueryOne("PRAGMA " + name));
      if (!row) return core::NotFound("no row for PRAGMA " + name);
      value = row->at(0);
      return Ok();
    };
    TRY(on_reader ? db.Read(fn) : db.Write(fn));
    return value;
  }

  ScratchDirectory scratch_;
};

TEST_F(SqliteDatabaseTest, OpenCreatesMissingParentDirectories) {
  const auto path = scratch_.path() / "var" / "lib" / "lvyuan.db";
  ASSERT_FALSE(std::filesystem::exists(path.parent_path()));
  auto db = OpenAt(path);
  ASSERT_NE(db, nullptr);
  EXPECT_TRUE(std::filesystem::is_regular_file(path));
  EXPECT_EQ(db->path(), path.string());
}

TEST_F(SqliteDatabaseTest, WriterConnectionUsesWalFullSyncAndForeignKeys) {
  auto db = OpenFresh({.url = {}, .busy_timeout_ms = 1234});
  ASSERT_NE(db, nullptr);
  const std::pair<std::string, Value> expected[] = {
      {"journal_mode", std::string("wal")},
      {"synchronous", std::int64_t{2}},
      {"foreign_keys", std::int64_t{1}},
      {"busy_timeout", std::int64_t{1234}},
      {"journal_size_limit", std::int64_t{SqliteDatabase::kJournalSizeLimit}},
      {"temp_store", std::int64_t{2}},
      {"query_only", std::int64_t{0}},
  };
  for (const auto& [name, value] : expected) {
    auto actual = Pragma(*db, /*on_reader=*/false, name);
    ASSERT_TRUE(IsOk(actual)) << name;
    EXPECT_EQ(*actual, value) << name;
  }
}

TEST_F(SqliteDatabaseTest, BulkLoadSyncsNormallyAndCheckpointsLessOften) {
  auto db = OpenFresh({.url = {}, .sqlite_bulk_load = true});
  ASSERT_NE(db, nullptr);
  const std::pair<std::string, Value> expected[] = {
      {"journal_mode", std::string("wal")},
      {"synchronous", std::int64_t{1}},
      {"wal_autocheckpoint", std::int64_t{16384}},
      {"foreign_keys", std::int64_t{1}},
  };
  for (const auto& [name, value] : expected) {
    auto actual = Pragma(*db, /*on_reader=*/false, name);
    ASSERT_TRUE(IsOk(actual)) << name;
    EXPECT_EQ(*actual, value) << name;
  }
}

TEST_F(SqliteDatabaseTest, ReaderConnectionsUseTheSameSettingsAndAreQueryOnly) {
  auto db = OpenFresh({.url = {}, .reader_pool_size = 2, .busy_timeout_ms = 250});
  ASSERT_NE(db, nullptr);
  const std::pair<std::string, Value> expected[] = {
      {"journal_mode", std::string("wal")}, {"synchronous", std::int64_t{2}},
      {"foreign_keys", std::int64_t{1}},    {"busy_timeout", std::int64_t{250}},
      {"temp_store", std::int64_t{2}},      {"query_only", std::int64_t{1}},
  };
  for (const auto& [name, value] : expected) {
    auto actual = Pragma(*db, /*on_reader=*/true, name);
    ASSERT_TRUE(IsOk(actual)) << name;
    EXPECT_EQ(*actual, value) << name;
  }
}

TEST_F(SqliteDatabaseTest, ReaderConnectionRefusesWrites) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(IsOk(db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (x INTEGER)"));
    return Ok();
  })));
  for (const char* sql : {"INSERT INTO t VALUES (1)", "CREATE TABLE u (y INTEGER)", "DELETE FROM t",
                          "PRAGMA query_only=OFF"}) {
    Status status = db->Read([sql](Conn& conn) -> Status {
      TRY(conn.Exec(sql));
      // SQLite accepts PRAGMA query_only=OFF; the write after it must still fail.
      TRY(conn.Exec("INSERT INTO t VALUES (2)"));
      return Ok();
    });
    EXPECT_FALSE(status.ok()) << sql;
  }
  std::int64_t count = -1;
  ASSERT_TRUE(IsOk(db->Read([&count](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM t"));
    count = row->Int(0);
    return Ok();
  })));
  EXPECT_EQ(count, 0);
}

TEST_F(SqliteDatabaseTest, ConstraintMessagesComeFromSqlite) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(IsOk(db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE units (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"));
    TRY(
        conn.Exec("CREATE TRIGGER units_keep BEFORE DELETE ON units "
                  "BEGIN SELECT RAISE(ABORT, '单位不可删除'); END"));
    TRY(conn.Exec("INSERT INTO units (name) VALUES ('市生态环境局')"));
    return Ok();
  })));
  Status duplicate = db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("INSERT INTO units (name) VALUES ('市生态环境局')"));
    return Ok();
  });
  ASSERT_EQ(CodeOf(duplicate), ErrorCode::kAlreadyExists);
  EXPECT_EQ(duplicate.error().message, "UNIQUE constraint failed: units.name");

  Status refused = db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("DELETE FROM units"));
    return Ok();
  });
  ASSERT_EQ(CodeOf(refused), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(refused.error().message, "单位不可删除");
}

TEST_F(SqliteDatabaseTest, WriteIsUnavailableWhileAnotherProcessHoldsTheWriteLock) {
  auto db = OpenFresh({.url = {}, .busy_timeout_ms = 0});
  ASSERT_NE(db, nullptr);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((scratch_.path() / "store.db").c_str(), &raw), SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> other(raw, &sqlite3_close);
  ASSERT_EQ(sqlite3_exec(other.get(), "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  Status status = db->Write([](Conn&) -> Status { return Ok(); });
  EXPECT_EQ(CodeOf(status), ErrorCode::kUnavailable);

  ASSERT_EQ(sqlite3_exec(other.get(), "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  EXPECT_TRUE(IsOk(db->Write([](Conn&) -> Status { return Ok(); })));
}

TEST_F(SqliteDatabaseTest, FileThatCannotBeCreatedIsUnavailable) {
  const auto blocker = scratch_.path() / "not_a_directory";
  std::ofstream(blocker) << "x";
  auto opened = SqliteDatabase::Open((blocker / "store.db").string(), {});
  EXPECT_EQ(CodeOf(opened), ErrorCode::kUnavailable);

  std::filesystem::create_directories(scratch_.path() / "a_directory");
  auto directory = SqliteDatabase::Open((scratch_.path() / "a_directory").string(), {});
  EXPECT_EQ(CodeOf(directory), ErrorCode::kUnavailable);
}

TEST_F(SqliteDatabaseTest, FileThatIsNotADatabaseIsUnavailable) {
  const auto path = scratch_.path() / "garbage.db";
  std::ofstream(path) << std::string(4096, 'x');
  auto opened = SqliteDatabase::Open(path.string(), {});
  EXPECT_EQ(CodeOf(opened), ErrorCode::kUnavailable);
}

TEST_F(SqliteDatabaseTest, OpenRefusesInMemoryAndEmptyPaths) {
  for (const char* path : {"", ":memory:"}) {
    auto opened = SqliteDatabase::Open(path, {});
    ASSERT_EQ(CodeOf(opened), ErrorCode::kInvalidArgument) << path;
    EXPECT_EQ(opened.error().field, "store.url");
  }
}

TEST_F(SqliteDatabaseTest, ExecRefusesSeveralStatementsAtOnce) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  Status status = db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER)"));
    return Ok();
  });
  ASSERT_EQ(CodeOf(status), ErrorCode::kInternal);
  EXPECT_THAT(status.error().message, HasSubstr("one SQL statement"));
  // A trailing semicolon is one statement.
  EXPECT_TRUE(IsOk(db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE a (x INTEGER);\n"));
    return Ok();
  })));
}

TEST_F(SqliteDatabaseTest, ExecRefusesTheWrongNumberOfParameters) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  Status status = db->Read([](Conn& conn) -> Status {
    TRY(conn.Query("SELECT ? + ?", std::vector<Value>{std::int64_t{1}}));
    return Ok();
  });
  ASSERT_EQ(CodeOf(status), ErrorCode::kInternal);
  EXPECT_THAT(status.error().message, HasSubstr("2 parameters"));
}

TEST_F(SqliteDatabaseTest, StatementsStayCorrectWhenTheCacheEvicts) {
  auto db = OpenFresh({.url = {}, .reader_pool_size = 1});
  ASSERT_NE(db, nullptr);
  const int distinct = static_cast<int>(3 * SqliteDatabase::kStatementCacheSize);
  for (int round = 0; round < 2; ++round) {
    ASSERT_TRUE(IsOk(db->Read([&](Conn& conn) -> Status {
      for (int i = 0; i < distinct; ++i) {
        const std::string sql = "SELECT ? + " + std::to_string(i);
        std::optional<Row> row =
            TRY(conn.QueryOne(sql, std::vector<Value>{std::int64_t{round * 100000}}));
        if (row->Int(0) != round * 100000 + i) return core::Internal("wrong result for " + sql);
      }
      return Ok();
    })));
  }
}

TEST_F(SqliteDatabaseTest, QueryEachStreamsEveryRowAsViews) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  std::vector<std::string> seen;
  ASSERT_TRUE(IsOk(db->Write([&](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB)"));
    TRY(conn.Exec("INSERT INTO t VALUES (?, ?, ?, ?)",
                  std::vector<Value>{std::int64_t{-5}, 1.5, std::string("环保"), Blob{0, 255}}));
    TRY(conn.Exec("INSERT INTO t VALUES (NULL, NULL, NULL, NULL)"));
    TRY(conn.Exec("INSERT INTO t VALUES (7, 0.0, '', X'')"));
    return conn.QueryEach(
        "SELECT i, r, s, b FROM t WHERE i IS NULL OR i > ? ORDER BY rowid",
        std::vector<Value>{std::int64_t{-10}}, [&](const RowView& row) -> Status {
          EXPECT_EQ(row.size(), 4u);
          const auto bytes = row.Bytes(3);
          seen.push_back(std::to_string(row.Int(0)) + "|" + (row.IsNull(0) ? "null" : "set") + "|" +
                         std::string(row.Text(2)) + "|" + std::to_string(bytes.size()) +
                         (bytes.empty() ? "" : ":" + std::to_string(bytes[1])) + "|" +
                         (row.OptInt(0) ? "int" : "noint"));
          return Ok();
        });
  })));
  EXPECT_EQ(seen,
            (std::vector<std::string>{"-5|set|环保|2:255|int", "0|null||0|noint", "7|set||0|int"}));
}

TEST_F(SqliteDatabaseTest, QueryEachStopsAtTheCallbacksErrorAndTheTransactionGoesOn) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  int calls = 0;
  ASSERT_TRUE(IsOk(db->Write([&](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (i INTEGER)"));
    for (int i = 0; i < 5; ++i)
      TRY(conn.Exec("INSERT INTO t VALUES (?)", std::vector<Value>{std::int64_t{i}}));
    Status stopped = conn.QueryEach("SELECT i FROM t ORDER BY i", {}, [&](const RowView& row) {
      ++calls;
      return row.Int(0) == 1 ? Status(core::NotFound("enough")) : Ok();
    });
    EXPECT_EQ(CodeOf(stopped), ErrorCode::kNotFound);
    // Not a failed statement: the rest of the callback still runs.
    TRY(conn.Exec("INSERT INTO t VALUES (9)"));
    return Ok();
  })));
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(IsOk(db->Read([](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM t"));
    EXPECT_EQ(row->Int(0), 6);
    return Ok();
  })));
}

TEST_F(SqliteDatabaseTest, QueryEachWithAFailingStatementFailsTheWholeCallback) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  Status later;
  Status written = db->Write([&](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE t (i INTEGER)"));
    Status failed = conn.QueryEach("SELECT nope FROM t", {}, [](const RowView&) { return Ok(); });
    EXPECT_EQ(CodeOf(failed), ErrorCode::kInternal);
    later = conn.QueryEach("SELECT i FROM t", {}, [](const RowView&) { return Ok(); });
    return Ok();
  });
  EXPECT_EQ(CodeOf(later), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(CodeOf(written), ErrorCode::kInternal) << "the first failure fails the Write";
}

TEST_F(SqliteDatabaseTest, SchemaVersionOfANewDatabaseIsZero) {
  auto db = OpenFresh();
  ASSERT_NE(db, nullptr);
  auto version = db->SchemaVersion();
  ASSERT_TRUE(IsOk(version));
  EXPECT_EQ(*version, 0);
}

TEST_F(SqliteDatabaseTest, ReaderPoolOfOneServesManyThreadsInTurn) {
  auto db = OpenFresh({.url = {}, .reader_pool_size = 1});
  ASSERT_NE(db, nullptr);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        if (db->Ping().ok()) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 200);
}

using WriteFn = std::function<Status(Conn&)>;

class GroupCommitTest : public SqliteDatabaseTest {
 protected:
  void SetUp() override {
    db_ = OpenFresh();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
      TRY(conn.Exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"));
      return Ok();
    })));
  }

  static WriteFn Insert(std::string name) {
    return [name = std::move(name)](Conn& conn) -> Status {
      TRY(conn.Exec("INSERT INTO items (name) VALUES (?)", std::vector<Value>{name}));
      return Ok();
    };
  }

  // Runs fns as one batch, in order: a first Write (inserting "leader") holds
  // the writer until the Write of every fn has queued behind it, each started
  // only once the one before is queued. Returns the status of each fn's Write.
  std::vector<Status> RunAsOneBatch(const std::vector<WriteFn>& fns) {
    SqliteDatabase& db = *db_;
    const std::size_t total = fns.size() + 1;
    std::vector<Status> statuses(fns.size());
    Status leader_status;
    std::thread leader([&] {
      leader_status = db.Write([&](Conn& conn) -> Status {
        TRY(Insert("leader")(conn));
        while (db.queued_writes() < total) std::this_thread::yield();
        return Ok();
      });
    });
    while (db.queued_writes() < 1) std::this_thread::yield();
    std::vector<std::thread> followers;
    for (std::size_t i = 0; i < fns.size(); ++i) {
      followers.emplace_back([&, i] { statuses[i] = db.Write(fns[i]); });
      // Once the last one is queued the leader lets go and the queue drains.
      if (i + 1 == fns.size()) break;
      while (db.queued_writes() < i + 2) std::this_thread::yield();
    }
    leader.join();
    for (auto& follower : followers) follower.join();
    EXPECT_TRUE(IsOk(leader_status));
    return statuses;
  }

  std::set<std::string> Names() {
    std::set<std::string> names;
    EXPECT_TRUE(IsOk(db_->Read([&names](Conn& conn) -> Status {
      std::vector<Row> rows = TRY(conn.Query("SELECT name FROM items"));
      for (const Row& row : rows) names.insert(row.Text(0));
      return Ok();
    })));
    return names;
  }

  std::int64_t Transactions() const { return db_->write_counters().transactions; }

  std::unique_ptr<SqliteDatabase> db_;
};

TEST_F(GroupCommitTest, SixteenThreadsOfWritesAllLandAndEachCallerSeesItsOwnResult) {
  constexpr int kThreads = 16;
  constexpr int kWritesPerThread = 50;
  const std::int64_t writes_before = db_->write_counters().writes;
  std::vector<int> mistakes(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t, &mistakes] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string name = std::to_string(t) + ":" + std::to_string(i);
        const bool refuse = i % 5 == 4;
        std::int64_t id = 0;
        Status status = db_->Write([&](Conn& conn) -> Status {
          std::optional<Row> row = TRY(conn.QueryOne(
              "INSERT INTO items (name) VALUES (?) RETURNING id", std::vector<Value>{name}));
          id = row->Int(0);
          if (refuse) return core::InvalidArgument("refused " + name, name);
          return Ok();
        });
        if (refuse) {
          if (status.ok() || status.error().message != "refused " + name ||
              status.error().field != name) {
            ++mistakes[t];
          }
          continue;
        }
        if (!status.ok()) {
          ++mistakes[t];
          continue;
        }
        // Visible to a reader as soon as Write has returned.
        std::string stored;
        Status read = db_->Read([&](Conn& conn) -> Status {
          std::optional<Row> row =
              TRY(conn.QueryOne("SELECT name FROM items WHERE id = ?", std::vector<Value>{id}));
          if (row) stored = row->Text(0);
          return Ok();
        });
        if (!read.ok() || stored != name) ++mistakes[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(mistakes[t], 0) << "thread " << t;

  std::set<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWritesPerThread; ++i) {
      if (i % 5 != 4) expected.insert(std::to_string(t) + ":" + std::to_string(i));
    }
  }
  EXPECT_EQ(Names(), expected);
  EXPECT_EQ(db_->write_counters().writes - writes_before, kThreads * kWritesPerThread);
}

TEST_F(GroupCommitTest, QueuedWritesShareOneTransaction) {
  const std::int64_t before = Transactions();
  std::vector<Status> statuses = RunAsOneBatch({Insert("a"), Insert("b"), Insert("c")});
  for (const Status& status : statuses) EXPECT_TRUE(IsOk(status));
  // The leader's own transaction, then one for the three queued behind it.
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b", "c"}));
}

TEST_F(GroupCommitTest, WriteQueuedWhileABatchRunsJoinsThatBatch) {
  SqliteDatabase& db = *db_;
  const std::int64_t before = Transactions();
  std::atomic<bool> a_running{false};
  Status leader_status, a_status, b_status, late_status;
  // The leader runs alone until "a" and "b" are queued; "a" then leads a
  // batch, and "late" queues while a's callback runs.
  std::thread leader([&] {
    leader_status = db.Write([&](Conn& conn) -> Status {
      TRY(Insert("leader")(conn));
      while (db.queued_writes() < 3) std::this_thread::yield();  // leader, a, b
      return Ok();
    });
  });
  while (db.queued_writes() < 1) std::this_thread::yield();
  std::thread a([&] {
    a_status = db.Write([&](Conn& conn) -> Status {
      TRY(Insert("a")(conn));
      a_running = true;
      while (db.queued_writes() < 3) std::this_thread::yield();  // a, b, late
      return Ok();
    });
  });
  while (db.queued_writes() < 2) std::this_thread::yield();
  std::thread b([&] { b_status = db.Write(Insert("b")); });
  while (!a_running) std::this_thread::yield();
  std::thread late([&] { late_status = db.Write(Insert("late")); });
  for (std::thread* t : {&leader, &a, &b, &late}) t->join();
  for (const Status* status : {&leader_status, &a_status, &b_status, &late_status}) {
    EXPECT_TRUE(IsOk(*status));
  }
  // The leader's own transaction, then one for a, b and late.
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b", "late"}));
}

TEST_F(GroupCommitTest, FailingCallbackInABatchLeavesTheOthersCommittedAndItsOwnRowsAbsent) {
  const std::int64_t before = Transactions();
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("b1")(conn));
        TRY(Insert("b2")(conn));
        return core::NotFound("单位不存在");
      },
      Insert("c"),
  });
  EXPECT_EQ(Transactions() - before, 2);
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kNotFound);
  EXPECT_EQ(statuses[1].error().message, "单位不存在");
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "c"}));
}

TEST_F(GroupCommitTest, FailedStatementSpoilsOnlyItsOwnCallbackInABatch) {
  ASSERT_TRUE(IsOk(db_->Write(Insert("dup"))));
  Result<std::int64_t> after_failure = std::int64_t{0};
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [&after_failure](Conn& conn) -> Status {
        TRY(Insert("fresh")(conn));
        (void)conn.Exec("INSERT INTO items (name) VALUES ('dup')");
        after_failure = conn.Exec("INSERT INTO items (name) VALUES ('later')");
        return Ok();  // swallowing the failure does not commit
      },
      Insert("c"),
  });
  EXPECT_EQ(CodeOf(after_failure), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kAlreadyExists);
  EXPECT_EQ(statuses[1].error().message, "UNIQUE constraint failed: items.name");
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"dup", "leader", "a", "c"}));
}

TEST_F(GroupCommitTest, ExceptionInABatchUndoesOnlyThatCallback) {
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("b")(conn));
        throw std::runtime_error("boom");
      },
      Insert("c"),
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  ASSERT_EQ(CodeOf(statuses[1]), ErrorCode::kInternal);
  EXPECT_THAT(statuses[1].error().message, HasSubstr("boom"));
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "c"}));
}

TEST_F(GroupCommitTest, LaterCallbacksSeeTheChangesOfEarlierOnesInTheBatch) {
  std::int64_t seen = -1;
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [&seen](Conn& conn) -> Status {
        std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM items"));
        seen = row->Int(0);
        return Ok();
      },
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_TRUE(IsOk(statuses[1]));
  EXPECT_EQ(seen, 2) << "leader and a";
}

TEST_F(GroupCommitTest, UnresolvedDeferredForeignKeyFailsOnlyItsCallback) {
  ASSERT_TRUE(IsOk(db_->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE parents (id INTEGER PRIMARY KEY)"));
    TRY(
        conn.Exec("CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL "
                  "REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED)"));
    return Ok();
  })));
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(Insert("orphan's owner")(conn));
        TRY(conn.Exec("INSERT INTO children (parent_id) VALUES (42)"));
        return Ok();
      },
      [](Conn& conn) -> Status {
        // Resolved before the callback ends: allowed.
        TRY(conn.Exec("INSERT INTO children (parent_id) VALUES (7)"));
        TRY(conn.Exec("INSERT INTO parents (id) VALUES (7)"));
        return Ok();
      },
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_EQ(CodeOf(statuses[1]), ErrorCode::kFailedPrecondition);
  EXPECT_TRUE(IsOk(statuses[2]));
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a"}));
  std::int64_t children = -1;
  ASSERT_TRUE(IsOk(db_->Read([&children](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM children"));
    children = row->Int(0);
    return Ok();
  })));
  EXPECT_EQ(children, 1);
}

TEST_F(GroupCommitTest, CallbackThatEndsTheTransactionAbortsTheEarlierOnesAndTheRestCommit) {
  const std::int64_t before = Transactions();
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [](Conn& conn) -> Status {
        TRY(conn.Exec("ROLLBACK"));
        return Ok();
      },
      Insert("c"),
  });
  EXPECT_EQ(CodeOf(statuses[0]), ErrorCode::kAborted);
  EXPECT_EQ(CodeOf(statuses[1]), ErrorCode::kInternal);
  EXPECT_TRUE(IsOk(statuses[2]));
  // The leader's, the one the callback ended, and a new one for "c".
  EXPECT_EQ(Transactions() - before, 3);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "c"}));
}

TEST_F(GroupCommitTest, NestedWriteOrReadInsideABatchIsRefused) {
  Status inner_write;
  Status inner_read;
  std::vector<Status> statuses = RunAsOneBatch({
      Insert("a"),
      [&](Conn& conn) -> Status {
        TRY(Insert("b")(conn));
        inner_write = db_->Write(Insert("inner"));
        inner_read = db_->Read([](Conn&) -> Status { return Ok(); });
        return Ok();
      },
  });
  EXPECT_TRUE(IsOk(statuses[0]));
  EXPECT_TRUE(IsOk(statuses[1]));
  ASSERT_EQ(CodeOf(inner_write), ErrorCode::kInternal);
  EXPECT_THAT(inner_write.error().message, HasSubstr("nested transaction"));
  EXPECT_EQ(CodeOf(inner_read), ErrorCode::kInternal);
  EXPECT_EQ(Names(), (std::set<std::string>{"leader", "a", "b"}));
}

TEST_F(GroupCommitTest, WritesMadeOneAfterAnotherRunOneTransactionEach) {
  const std::int64_t before = Transactions();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(IsOk(db_->Write(Insert(std::to_string(i)))));
  EXPECT_EQ(Transactions() - before, 5);
  EXPECT_EQ(db_->queued_writes(), 0u);
}

TEST_F(SqliteDatabaseTest, BatchHoldsAtMostGroupCommitMaxBatchWrites) {
  auto db = OpenFresh({.url = {}, .group_commit_max_batch = 2});
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->max_batch(), 2);
  ASSERT_TRUE(IsOk(db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE items (name TEXT PRIMARY KEY)"));
    return Ok();
  })));
  const std::int64_t before = db->write_counters().transactions;
  constexpr std::size_t kFollowers = 5;
  std::vector<Status> statuses(kFollowers);
  Status leader_status;
  std::thread leader([&] {
    leader_status = db->Write([&](Conn&) -> Status {
      while (db->queued_writes() < kFollowers + 1) std::this_thread::yield();
      return Ok();
    });
  });
  while (db->queued_writes() < 1) std::this_thread::yield();
  std::vector<std::thread> followers;
  for (std::size_t i = 0; i < kFollowers; ++i) {
    followers.emplace_back([&, i] {
      statuses[i] = db->Write([i](Conn& conn) -> Status {
        TRY(conn.Exec("INSERT INTO items (name) VALUES (?)",
                      std::vector<Value>{std::to_string(i)}));
        return Ok();
      });
    });
    if (i + 1 == kFollowers) break;
    while (db->queued_writes() < i + 2) std::this_thread::yield();
  }
  leader.join();
  for (auto& follower : followers) follower.join();
  ASSERT_TRUE(IsOk(leader_status));
  for (const Status& status : statuses) EXPECT_TRUE(IsOk(status));
  // The leader alone, then batches of 2, 2 and 1.
  EXPECT_EQ(db->write_counters().transactions - before, 4);
}

TEST_F(SqliteDatabaseTest, MaxBatchOfOneRunsOneTransactionPerWrite) {
  auto db = OpenFresh({.url = {}, .group_commit_max_batch = 1});
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(db->max_batch(), 1);
  ASSERT_TRUE(IsOk(db->Write([](Conn& conn) -> Status {
    TRY(conn.Exec("CREATE TABLE items (name TEXT PRIMARY KEY)"));
    return Ok();
  })));
  constexpr int kThreads = 8;
  constexpr int kWritesPerThread = 20;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWritesPerThread; ++i) {
        const std::string name = std::to_string(t) + ":" + std::to_string(i);
        Status status = db->Write([&name, i](Conn& conn) -> Status {
          TRY(conn.Exec("INSERT INTO items (name) VALUES (?)", std::vector<Value>{name}));
          if (i % 4 == 3) return core::Aborted("refused");
          return Ok();
        });
        if (status.ok() == (i % 4 == 3)) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  const SqliteDatabase::WriteCounters counters = db->write_counters();
  EXPECT_EQ(counters.transactions, counters.writes);
  EXPECT_EQ(counters.writes, 1 + kThreads * kWritesPerThread);
  std::int64_t count = -1;
  ASSERT_TRUE(IsOk(db->Read([&count](Conn& conn) -> Status {
    std::optional<Row> row = TRY(conn.QueryOne("SELECT COUNT(*) FROM items"));
    count = row->Int(0);
    return Ok();
  })));
  EXPECT_EQ(count, kThreads * kWritesPerThread * 3 / 4);
}

TEST_F(SqliteDatabaseTest, GroupCommitIsOnByDefaultAndABoundBelowOneMeansOff) {
  auto by_default = OpenFresh();
  ASSERT_NE(by_default, nullptr);
  EXPECT_EQ(by_default->max_batch(), 256);
  by_default.reset();
  auto zero = OpenFresh({.url = {}, .group_commit_max_batch = 0});
  ASSERT_NE(zero, nullptr);
  EXPECT_EQ(zero->max_batch(), 1);
}

}  // namespace
}  // namespace lvyuan::store::sqlite
