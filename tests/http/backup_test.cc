// Moving data end to end with the real binary: `lvyuan backup` of a demo
// deployment, `lvyuan restore` into a fresh data dir (then `audit verify` and
// a server on it), a backup altered by one byte refused, and
// `lvyuan migrate-store` from SQLite to SQLite and, as backup_postgresql,
// from SQLite to PostgreSQL.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned ModeOf(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/lvyuan-backup-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    root_ = pattern;
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  // A demo deployment in root_/name on the test backend.
  fs::path Demo(const std::string& name) {
    const fs::path dir = root_ / name;
    std::string output;
    EXPECT_EQ(RunLvyuan({"demo", "--data", dir.string()}, &output), 0) << output;
    return dir;
  }

  // A demo deployment on SQLite whatever the test backend: `--data=DIR` is
  // not recognised by RunLvyuan, so it gives no PostgreSQL store.
  fs::path SqliteDemo(const std::string& name) {
    const fs::path dir = root_ / name;
    std::string output;
    EXPECT_EQ(RunLvyuan({"demo", "--data=" + dir.string()}, &output), 0) << output;
    return dir;
  }

  fs::path root_;
};

TEST_F(BackupTest, BackupThenRestoreGivesADeploymentThatVerifiesAndServes) {
  const fs::path source = Demo("source");
  const fs::path backup = root_ / "backup";
  std::string output;
  ASSERT_EQ(RunLvyuan({"backup", "--data", source.string(), "--out", backup.string()}, &output), 0)
      << output;
  EXPECT_NE(output.find("backup written"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(root_ / "backup.part"));

  // The backup: the manifest, the database as SQLite, the keys 0600.
  const boost::json::value manifest = boost::json::parse(ReadAll(backup / "MANIFEST.json"));
  EXPECT_EQ(AsString(manifest.at("format")), "lvyuan-backup");
  EXPECT_EQ(AsInt(manifest.at("version")), 1);
  EXPECT_EQ(AsString(manifest.at("source_backend")), TestBackend());
  EXPECT_GT(AsInt(manifest.at("record").at("events")), 0);
  EXPECT_EQ(AsString(manifest.at("record").at("root")).size(), 64u);
  EXPECT_TRUE(fs::is_regular_file(backup / "store.sqlite"));
  EXPECT_EQ(ModeOf(backup / "data" / "field-key"), 0600u);
  EXPECT_EQ(ModeOf(backup / "data" / "record-key.pem"), 0600u);
  EXPECT_FALSE(fs::exists(backup / "data" / "lvyuan.db"));

  const fs::path restored = root_ / "restored";
  output.clear();
  ASSERT_EQ(RunLvyuan({"restore", "--from", backup.string(), "--data", restored.string()}, &output),
            0)
      << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;
  EXPECT_NE(output.find("restored"), std::string::npos) << output;
  EXPECT_EQ(ModeOf(restored / "field-key"), 0600u);
  EXPECT_FALSE(fs::exists(restored / ".restore"));

  output.clear();
  EXPECT_EQ(RunLvyuan({"audit", "verify", "--data", restored.string()}, &output), 0) << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;

  // The restored deployment starts (its keys match the database) and its
  // accounts sign in.
  auto server = ServerProcess::Start(ReuseDataDir(restored));
  Client client(server->port());
  EXPECT_EQ(client.Login("hzhb_admin", kDemoPassword).status, 200u);
}

TEST_F(BackupTest, RestoreRefusesABackupWithOneByteChangedAndWritesNothing) {
  const fs::path source = Demo("source");
  const fs::path backup = root_ / "backup";
  std::string output;
  ASSERT_EQ(RunLvyuan({"backup", "--data", source.string(), "--out", backup.string()}, &output), 0)
      << output;
  {
    std::fstream file(backup / "store.sqlite", std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(100);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x01);
    file.seekp(100);
    file.write(&byte, 1);
  }
  const fs::path restored = root_ / "restored";
  output.clear();
  EXPECT_EQ(RunLvyuan({"restore", "--from", backup.string(), "--data", restored.string()}, &output),
            3)
      << output;
  EXPECT_NE(output.find("store.sqlite"), std::string::npos) << output;
  EXPECT_NE(output.find("[--from]"), std::string::npos) << output;
  EXPECT_FALSE(fs::exists(restored));
}

TEST_F(BackupTest, RestoreRefusesATamperedKeyFile) {
  const fs::path source = Demo("source");
  const fs::path backup = root_ / "backup";
  std::string output;
  ASSERT_EQ(RunLvyuan({"backup", "--data", source.string(), "--out", backup.string()}, &output), 0)
      << output;
  {
    std::fstream file(backup / "data" / "field-key",
                      std::ios::in | std::ios::out | std::ios::binary);
    char byte = 0;
    file.read(&byte, 1);
    byte = static_cast<char>(byte ^ 0x01);
    file.seekp(0);
    file.write(&byte, 1);
  }
  output.clear();
  EXPECT_EQ(
      RunLvyuan({"restore", "--from", backup.string(), "--data", (root_ / "r").string()}, &output),
      3)
      << output;
  EXPECT_NE(output.find("data/field-key"), std::string::npos) << output;
}

TEST_F(BackupTest, BackupRefusesAnOutputThatIsNotEmpty) {
  const fs::path source = Demo("source");
  const fs::path out = root_ / "out";
  fs::create_directories(out);
  std::ofstream(out / "keep.txt") << "x";
  std::string output;
  EXPECT_EQ(RunLvyuan({"backup", "--data", source.string(), "--out", out.string()}, &output), 1)
      << output;
  EXPECT_NE(output.find("[--out]"), std::string::npos) << output;
  EXPECT_EQ(ReadAll(out / "keep.txt"), "x");
}

TEST_F(BackupTest, RestoreRefusesADataDirectoryThatIsNotEmpty) {
  const fs::path source = Demo("source");
  const fs::path backup = root_ / "backup";
  std::string output;
  ASSERT_EQ(RunLvyuan({"backup", "--data", source.string(), "--out", backup.string()}, &output), 0)
      << output;
  output.clear();
  EXPECT_EQ(RunLvyuan({"restore", "--from", backup.string(), "--data", source.string()}, &output),
            1)
      << output;
  EXPECT_NE(output.find("[--data]"), std::string::npos) << output;
}

TEST_F(BackupTest, MigrateStoreCopiesToAnEmptySqliteStoreAndRefusesItTheSecondTime) {
  const fs::path source = SqliteDemo("source");
  const fs::path target = root_ / "target" / "lvyuan.db";
  const std::vector<std::string> migrate = {"migrate-store",
                                            "--from",
                                            "sqlite:" + (source / "lvyuan.db").string(),
                                            "--to",
                                            "sqlite:" + target.string(),
                                            "--data=" + source.string()};
  std::string output;
  ASSERT_EQ(RunLvyuan(migrate, &output), 0) << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;

  const fs::path config = root_ / "target.toml";
  std::ofstream(config) << "[store]\nurl = \"sqlite:" << target.string() << "\"\n";
  output.clear();
  EXPECT_EQ(RunLvyuan({"audit", "verify", "--config", config.string(), "--data=" + source.string()},
                      &output),
            0)
      << output;

  output.clear();
  EXPECT_EQ(RunLvyuan(migrate, &output), 1) << output;
  EXPECT_NE(output.find("不是空的"), std::string::npos) << output;
}

TEST_F(BackupTest, MigrateStoreRejectsAMalformedUrlAsBadInvocation) {
  std::string output;
  EXPECT_EQ(RunLvyuan({"migrate-store", "--from", "var/lvyuan.db", "--to", "sqlite:x.db",
                       "--data=" + root_.string()},
                      &output),
            2)
      << output;
  EXPECT_NE(output.find("[--from]"), std::string::npos) << output;
}

TEST_F(BackupTest, MigrateStoreMovesASqliteDeploymentToPostgresql) {
  if (!OnPostgres()) GTEST_SKIP() << "needs LVYUAN_TEST_PG_URL (runs as backup_postgresql)";
  const fs::path source = SqliteDemo("source");
  // A fresh database for the data dir; the deployment then runs on it.
  const auto store = StoreEnvironment(source, "postgresql");
  ASSERT_TRUE(store.contains("LVYUAN_STORE_MIGRATION_URL"));
  std::string output;
  ASSERT_EQ(RunLvyuan({"migrate-store", "--from", "sqlite:" + (source / "lvyuan.db").string(),
                       "--to", store.at("LVYUAN_STORE_MIGRATION_URL"), "--data=" + source.string()},
                      &output),
            0)
      << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;

  // From now on the data dir's store is the PostgreSQL database.
  output.clear();
  EXPECT_EQ(RunLvyuan({"audit", "verify", "--data", source.string()}, &output), 0) << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;
  // New rows get ids after the copied ones.
  output.clear();
  EXPECT_EQ(RunLvyuan({"unit", "add", "--data", source.string(), "--name", "迁移后新增单位",
                       "--type", "other", "--region", "330500"},
                      &output),
            0)
      << output;
  auto server = ServerProcess::Start(ReuseDataDir(source));
  Client client(server->port());
  EXPECT_EQ(client.Login("hzhb_admin", kDemoPassword).status, 200u);
}

}  // namespace
}  // namespace lvyuan::http_test
