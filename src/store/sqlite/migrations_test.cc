#include "store/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_database.h"
#include "store/test_support.h"

namespace lvyuan::store::sqlite {
namespace {

using core::ErrorCode;
using core::Ok;
using store::testing::CodeOf;
using store::testing::IsOk;
using store::testing::ScratchDirectory;
using ::testing::HasSubstr;

TEST(EmbeddedMigrationsTest, StartAtOneAndAreStrictlyIncreasing) {
  std::span<const Migration> migrations = SqliteMigrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations[0].number, 1);
  EXPECT_EQ(migrations[0].name, "schema_version");
  EXPECT_THAT(std::string(migrations[0].sql), HasSubstr("created by the migration runner"));
  EXPECT_TRUE(IsOk(CheckMigrationOrder(migrations)));
}

TEST(CheckMigrationOrderTest, RefusesUnorderedDuplicateAndNonPositiveNumbers) {
  const std::vector<std::vector<Migration>> bad = {
      {{2, "b", ""}, {1, "a", ""}},
      {{1, "a", ""}, {1, "again", ""}},
      {{0, "zero", ""}},
      {{-3, "negative", ""}},
  };
  for (const auto& list : bad) {
    EXPECT_EQ(CodeOf(CheckMigrationOrder(list)), ErrorCode::kInvalidArgument);
  }
  const std::vector<Migration> good = {{1, "a", ""}, {5, "b", ""}};
  EXPECT_TRUE(IsOk(CheckMigrationOrder(good)));
  EXPECT_EQ(HighestMigration(good), 5);
  EXPECT_EQ(HighestMigration({}), 0);
}

class MigrationRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = SqliteDatabase::Open((scratch_.path() / "store.db").string(), {});
    ASSERT_TRUE(IsOk(opened));
    db_ = std::move(opened).value();
  }

  std::vector<Row> Query(const std::string& sql) {
    std::vector<Row> rows;
    EXPECT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      rows = TRY(conn.Query(sql));
      return Ok();
    })));
    return rows;
  }

  int Version() {
    auto version = db_->SchemaVersion();
    EXPECT_TRUE(IsOk(version));
    return version.ok() ? *version : -1;
  }

  ScratchDirectory scratch_;
  std::unique_ptr<SqliteDatabase> db_;
};

const Migration kCreateA = {1, "create_a",
                            "CREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES (1);"};
const Migration kCreateB = {2, "create_b",
                            "-- two statements\nCREATE TABLE b (y TEXT);\n"
                            "INSERT INTO a VALUES (2);\n"};
const Migration kCreateC = {3, "create_c", "CREATE TABLE c (z BLOB);"};

TEST_F(MigrationRunnerTest, AppliesEveryScriptInOrderAndRecordsIt) {
  const std::vector<Migration> migrations = {kCreateA, kCreateB};
  ASSERT_TRUE(IsOk(db_->Migrate(migrations)));
  EXPECT_EQ(Version(), 2);
  std::vector<Row> recorded =
      Query("SELECT version, name, applied_at FROM schema_version ORDER BY version");
  ASSERT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[0].Int(0), 1);
  EXPECT_EQ(recorded[0].Text(1), "create_a");
  EXPECT_GT(recorded[0].Int(2), 1'600'000'000'000) << "unix milliseconds";
  EXPECT_EQ(recorded[1].Text(1), "create_b");
  EXPECT_EQ(Query("SELECT x FROM a").size(), 2u);
}

TEST_F(MigrationRunnerTest, AppliesOnlyScriptsNewerThanTheRecordedVersion) {
  const std::vector<Migration> first = {kCreateA};
  ASSERT_TRUE(IsOk(db_->Migrate(first)));
  // Re-running create_a would fail: table a already exists.
  const std::vector<Migration> later = {kCreateA, kCreateB, kCreateC};
  ASSERT_TRUE(IsOk(db_->Migrate(later)));
  ASSERT_TRUE(IsOk(db_->Migrate(later)));
  EXPECT_EQ(Version(), 3);
  EXPECT_EQ(Query("SELECT x FROM a").size(), 2u);
  EXPECT_EQ(Query("SELECT * FROM schema_version").size(), 3u);
}

TEST_F(MigrationRunnerTest, FailingScriptIsRolledBackAndEarlierOnesStay) {
  const Migration broken = {2, "broken",
                            "CREATE TABLE half (x INTEGER);\nINSERT INTO nope VALUES (1);"};
  const std::vector<Migration> migrations = {kCreateA, broken, kCreateC};
  Status status = db_->Migrate(migrations);
  ASSERT_FALSE(status.ok());
  EXPECT_THAT(status.error().message, HasSubstr("2_broken"));
  EXPECT_THAT(status.error().message, HasSubstr("no such table: nope"));
  EXPECT_EQ(Version(), 1);
  EXPECT_TRUE(Query("SELECT name FROM sqlite_schema WHERE name IN ('half', 'c')").empty());
}

TEST_F(MigrationRunnerTest, RefusesADatabaseNewerThanTheKnownMigrations) {
  const std::vector<Migration> newer = {kCreateA, kCreateB, kCreateC};
  ASSERT_TRUE(IsOk(db_->Migrate(newer)));
  const std::vector<Migration> older = {kCreateA, kCreateB};
  Status status = db_->Migrate(older);
  ASSERT_EQ(CodeOf(status), ErrorCode::kFailedPrecondition);
  EXPECT_THAT(status.error().message, HasSubstr("3"));
  EXPECT_THAT(status.error().message, HasSubstr("2"));
  EXPECT_EQ(Version(), 3);
}

TEST_F(MigrationRunnerTest, RefusesAnUnorderedList) {
  const std::vector<Migration> unordered = {kCreateB, kCreateA};
  EXPECT_EQ(CodeOf(db_->Migrate(unordered)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Version(), 0);
}

TEST_F(MigrationRunnerTest, RefusesAScriptThatEndsTheTransaction) {
  const Migration commits = {1, "commits", "CREATE TABLE d (x INTEGER); COMMIT;"};
  const std::vector<Migration> migrations = {commits};
  Status status = db_->Migrate(migrations);
  ASSERT_EQ(CodeOf(status), ErrorCode::kInternal);
  EXPECT_THAT(status.error().message, HasSubstr("BEGIN/COMMIT"));
  EXPECT_EQ(Version(), 0);
}

TEST_F(MigrationRunnerTest, MigrateInsideACallbackIsRefused) {
  Status inner;
  ASSERT_TRUE(IsOk(db_->Write([&](Conn&) -> Status {
    inner = db_->Migrate();
    return Ok();
  })));
  EXPECT_EQ(CodeOf(inner), ErrorCode::kInternal);
}

// The build-time generator, run as the build runs it.
class EmbedMigrationsScriptTest : public ::testing::Test {
 protected:
  void Write(const std::string& name, const std::string& content) {
    std::filesystem::create_directories(scratch_.path() / "in");
    std::ofstream(scratch_.path() / "in" / name) << content;
  }

  // Runs the script; returns its exit status and leaves the output in output_.
  int Run() {
    const auto out = scratch_.path() / "out.cc";
    const std::string command = std::string("\"") + LVYUAN_CMAKE_COMMAND +
                                "\" -DMIGRATIONS_DIR=\"" + (scratch_.path() / "in").string() +
                                "\" -DOUTPUT=\"" + out.string() +
                                "\" -DFUNCTION=TestMigrations -P \"" + LVYUAN_SOURCE_ROOT +
                                "/src/store/embed_migrations.cmake\"" + " > /dev/null 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream in(out);
    std::stringstream text;
    text << in.rdbuf();
    output_ = text.str();
    return status;
  }

  ScratchDirectory scratch_;
  std::string output_;
};

TEST_F(EmbedMigrationsScriptTest, SortsByNumberAndWritesDecimalNumbers) {
  Write("0010_later.sql", "CREATE TABLE later (x INTEGER);");
  Write("0008_earlier.sql", "CREATE TABLE earlier (x INTEGER);");
  ASSERT_EQ(Run(), 0);
  const auto earlier = output_.find("{8, \"earlier\"");
  const auto later = output_.find("{10, \"later\"");
  ASSERT_NE(earlier, std::string::npos) << output_;
  ASSERT_NE(later, std::string::npos) << output_;
  EXPECT_LT(earlier, later);
  EXPECT_THAT(output_, HasSubstr("TestMigrations()"));
}

TEST_F(EmbedMigrationsScriptTest, PicksARawStringDelimiterAbsentFromTheScript) {
  Write("0001_tricky.sql", "SELECT ')sql0\"'; -- \\n ${not_a_variable} ;\n");
  ASSERT_EQ(Run(), 0);
  EXPECT_THAT(output_, HasSubstr("R\"sql1(SELECT ')sql0\"'; -- \\n ${not_a_variable} ;\n)sql1\""));
}

TEST_F(EmbedMigrationsScriptTest, FailsOnADuplicateNumber) {
  Write("0002_one.sql", "");
  Write("0002_other.sql", "");
  EXPECT_NE(Run(), 0);
}

TEST_F(EmbedMigrationsScriptTest, FailsOnAMisnamedFile) {
  Write("2_short.sql", "");
  EXPECT_NE(Run(), 0);
}

}  // namespace
}  // namespace lvyuan::store::sqlite
