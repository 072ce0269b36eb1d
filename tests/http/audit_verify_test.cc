// Black-box tests of `lvyuan audit verify`: the real binary on a demo
// deployment, before and after the record is altered behind its back.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

namespace fs = std::filesystem;

class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lvyuan-audit-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  int Verify(std::string* output) {
    return RunLvyuan({"audit", "verify", "--data", dir_.string()}, output);
  }

  // Alters the database as someone with the file could: without the
  // append-only triggers.
  void Tamper(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_ / "lvyuan.db").c_str(), &db), SQLITE_OK);
    const std::string all = "DROP TRIGGER record_events_no_update; " + sql;
    char* error = nullptr;
    EXPECT_EQ(sqlite3_exec(db, all.c_str(), nullptr, nullptr, &error), SQLITE_OK)
        << (error != nullptr ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  fs::path dir_;
};

TEST_F(AuditVerifyTest, DemoDeploymentVerifiesAndExitsZero) {
  std::string demo;
  ASSERT_EQ(RunLvyuan({"demo", "--data", dir_.string()}, &demo), 0) << demo;
  std::string output;
  EXPECT_EQ(Verify(&output), 0) << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;
  EXPECT_EQ(output.find("verifying ["), std::string::npos) << "no progress bar off a terminal";
}

TEST_F(AuditVerifyTest, AlteredEventExitsThreeNamingItsSeq) {
  if (OnPostgres()) GTEST_SKIP() << "alters the SQLite file behind the server's back";
  std::string demo;
  ASSERT_EQ(RunLvyuan({"demo", "--data", dir_.string()}, &demo), 0) << demo;
  Tamper("UPDATE record_events SET object_id = object_id || 'x' WHERE seq = 3");
  std::string output;
  EXPECT_EQ(Verify(&output), 3) << output;
  EXPECT_NE(output.find("verification FAILED: leaf_mismatch"), std::string::npos) << output;
  EXPECT_NE(output.find("first bad seq:  3\n"), std::string::npos) << output;
}

TEST_F(AuditVerifyTest, UnreadableDatabaseExitsOne) {
  if (OnPostgres()) GTEST_SKIP() << "overwrites the SQLite file, which PostgreSQL does not use";
  std::ofstream(dir_ / "lvyuan.db") << std::string(8192, 'z');
  std::string output;
  EXPECT_EQ(Verify(&output), 1) << output;
}

}  // namespace
}  // namespace lvyuan::http_test
