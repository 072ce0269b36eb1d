#include "store/sqlite/sqlite_database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
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

}  // namespace
}  // namespace lvyuan::store::sqlite
