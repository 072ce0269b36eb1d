#include "app/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace lvyuan::app {
namespace {

namespace fs = std::filesystem;

GetEnv FakeEnv(std::map<std::string, std::string, std::less<>> values) {
  return [values = std::move(values)](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::temp_directory_path() /
        ("lvyuan_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(std::string_view text) {
    fs::path path = dir_ / "lvyuan.toml";
    std::ofstream(path) << text;
    return path;
  }

  fs::path dir_;
};

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(LVYUAN_SOURCE_ROOT) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigTest, DefaultsWithoutFileOrEnvironment) {
  auto config = LoadConfig(std::nullopt, FakeEnv({}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(config->server.host, "127.0.0.1");
  EXPECT_EQ(config->server.port, 8080);
  EXPECT_EQ(config->server.threads, 2);
  EXPECT_EQ(config->server.body_limit_bytes, 1048576);
  EXPECT_EQ(config->server.web_root, "web/dist");
  EXPECT_FALSE(config->server.trust_proxy);
  EXPECT_EQ(config->store.url, "var/lvyuan.db");
  EXPECT_EQ(config->store.reader_pool, 4);
  EXPECT_EQ(config->data.dir, "data");
  EXPECT_EQ(config->data.var_dir, "var");
  EXPECT_EQ(config->auth.idle_timeout_s, 1800);
  EXPECT_EQ(config->auth.admin_idle_timeout_s, 900);
  EXPECT_EQ(config->auth.argon2_ops, 0);
  EXPECT_EQ(config->log.level, "info");
  EXPECT_EQ(config->log.access_log, "-");
  EXPECT_EQ(config->matters.reminder_interval_s, 60);
}

TEST(ConfigTest, ReminderIntervalFromTheEnvironmentWithinItsRange) {
  auto config = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_MATTERS_REMINDER_INTERVAL_S", "5"}}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->matters.reminder_interval_s, 5);
  auto zero = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_MATTERS_REMINDER_INTERVAL_S", "0"}}));
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().field, "matters.reminder_interval_s");
}

TEST_F(ConfigFileTest, FileOverridesDefaults) {
  fs::path file = Write(R"(
[server]
listen = "0.0.0.0:9090"
threads = 4
trust_proxy = true

[auth]
lockout_threshold = 3
)");
  auto config = LoadConfig(file, FakeEnv({}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server.host, "0.0.0.0");
  EXPECT_EQ(config->server.port, 9090);
  EXPECT_EQ(config->server.threads, 4);
  EXPECT_TRUE(config->server.trust_proxy);
  EXPECT_EQ(config->auth.lockout_threshold, 3);
  EXPECT_EQ(config->store.url, "var/lvyuan.db");  // untouched keys keep defaults
}

TEST_F(ConfigFileTest, EnvironmentOverridesFile) {
  fs::path file = Write("[store]\nurl = \"from-file.db\"\n[auth]\nidle_timeout_s = 600\n");
  auto config = LoadConfig(file, FakeEnv({{"LVYUAN_STORE_URL", "from-env.db"},
                                          {"LVYUAN_AUTH_IDLE_TIMEOUT_S", "1200"},
                                          {"LVYUAN_SERVER_TRUST_PROXY", "true"}}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->store.url, "from-env.db");
  EXPECT_EQ(config->auth.idle_timeout_s, 1200);
  EXPECT_TRUE(config->server.trust_proxy);
}

TEST_F(ConfigFileTest, UnknownKeyIsAnErrorNamingIt) {
  fs::path file = Write("[server]\nlisen = \"127.0.0.1:1\"\n");
  auto config = LoadConfig(file, FakeEnv({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(config.error().field, "server.lisen");
  EXPECT_EQ(config.error().message, "lvyuan.toml: 未知配置项 server.lisen");
}

TEST_F(ConfigFileTest, UnknownSectionIsAnErrorNamingIt) {
  fs::path file = Write("[sever]\nlisten = \"127.0.0.1:1\"\n");
  auto config = LoadConfig(file, FakeEnv({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "sever");
  EXPECT_NE(config.error().message.find("未知配置项 sever"), std::string::npos);
}

TEST_F(ConfigFileTest, WrongTypeInFileNamesTheKey) {
  fs::path file = Write("[server]\nthreads = \"four\"\n");
  auto config = LoadConfig(file, FakeEnv({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "server.threads");
  EXPECT_NE(config.error().message.find("server.threads 应为整数"), std::string::npos);
}

TEST(ConfigTest, WrongTypeInEnvironmentNamesTheKeyAndVariable) {
  auto config = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_SERVER_TRUST_PROXY", "maybe"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "server.trust_proxy");
  EXPECT_NE(config.error().message.find("LVYUAN_SERVER_TRUST_PROXY"), std::string::npos);

  auto number = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_STORE_READER_POOL", "4x"}}));
  ASSERT_FALSE(number.ok());
  EXPECT_EQ(number.error().field, "store.reader_pool");
}

TEST(ConfigTest, BadListenNamesServerListen) {
  for (std::string listen : {"127.0.0.1", "127.0.0.1:70000", ":8080", "host:port", "::1:80",
                             "[::1]8080", "127.0.0.1:-1"}) {
    auto config = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_SERVER_LISTEN", listen}}));
    ASSERT_FALSE(config.ok()) << listen;
    EXPECT_EQ(config.error().field, "server.listen") << listen;
    EXPECT_NE(config.error().message.find("server.listen"), std::string::npos);
  }
}

TEST(ConfigTest, ListenAcceptsBracketedIpv6AndPortZero) {
  auto config = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_SERVER_LISTEN", "[::1]:0"}}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->server.host, "::1");
  EXPECT_EQ(config->server.port, 0);
}

TEST(ConfigTest, OutOfRangeIntegerNamesTheKey) {
  auto config = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_SERVER_THREADS", "0"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "server.threads");
  EXPECT_NE(config.error().message.find("1 到 256"), std::string::npos);
  auto timeout = LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_SERVER_HEADER_TIMEOUT_S", "0"}}));
  ASSERT_FALSE(timeout.ok());
  EXPECT_EQ(timeout.error().field, "server.header_timeout_s");
}

TEST_F(ConfigFileTest, SyntaxErrorGivesTheLine) {
  fs::path file = Write("[server]\nthreads = = 3\n");
  auto config = LoadConfig(file, FakeEnv({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_NE(config.error().message.find("第 2 行"), std::string::npos) << config.error().message;
}

TEST(ConfigTest, MissingFileIsAnError) {
  auto config = LoadConfig(fs::path("/nonexistent/lvyuan.toml"), FakeEnv({}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().code, core::ErrorCode::kInvalidArgument);
}

TEST(ConfigTest, KeyTableDefaultsMatchLoadedDefaults) {
  auto keys = ConfigKeys();
  ASSERT_FALSE(keys.empty());
  std::set<std::string> names;
  for (const ConfigKeyInfo& key : keys) {
    EXPECT_TRUE(names.insert(key.name).second) << "duplicate " << key.name;
    EXPECT_FALSE(key.description.empty()) << key.name;
  }
  auto find = [&](std::string_view name) {
    for (const ConfigKeyInfo& key : keys) {
      if (key.name == name) return key;
    }
    return ConfigKeyInfo{};
  };
  EXPECT_EQ(find("server.listen").default_value, "\"127.0.0.1:8080\"");
  EXPECT_EQ(find("server.listen").env, "LVYUAN_SERVER_LISTEN");
  EXPECT_EQ(find("auth.idle_timeout_s").default_value, "1800");
  EXPECT_EQ(find("auth.idle_timeout_s").env, "LVYUAN_AUTH_IDLE_TIMEOUT_S");
  EXPECT_EQ(find("server.trust_proxy").default_value, "false");
}

TEST(ConfigTest, MigrationUrlIsEmptyByDefaultAndReadFromTheEnvironment) {
  auto defaults = LoadConfig(std::nullopt, FakeEnv({}));
  ASSERT_TRUE(defaults.ok()) << defaults.error().ToString();
  EXPECT_EQ(defaults->store.migration_url, "");
  auto config = LoadConfig(
      std::nullopt, FakeEnv({{"LVYUAN_STORE_URL", "postgresql://app@db:5432/lvyuan"},
                             {"LVYUAN_STORE_MIGRATION_URL", "postgresql://owner@db:5432/lvyuan"}}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->store.migration_url, "postgresql://owner@db:5432/lvyuan");
}

TEST(ConfigTest, MigrationUrlMustBePostgresAndGoWithAPostgresStore) {
  auto not_postgres =
      LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_STORE_URL", "postgresql://app@db/lvyuan"},
                                        {"LVYUAN_STORE_MIGRATION_URL", "var/owner.db"}}));
  ASSERT_FALSE(not_postgres.ok());
  EXPECT_EQ(not_postgres.error().field, "store.migration_url");
  auto sqlite_store = LoadConfig(
      std::nullopt, FakeEnv({{"LVYUAN_STORE_MIGRATION_URL", "postgresql://owner@db/lvyuan"}}));
  ASSERT_FALSE(sqlite_store.ok());
  EXPECT_EQ(sqlite_store.error().field, "store.migration_url");
}

TEST(ConfigTest, ReplicaUrlsAreEmptyByDefaultAndCommaSeparatedUrlsInTheEnvironment) {
  auto defaults = LoadConfig(std::nullopt, FakeEnv({}));
  ASSERT_TRUE(defaults.ok()) << defaults.error().ToString();
  EXPECT_TRUE(defaults->store.replica_urls.empty());
  auto config = LoadConfig(
      std::nullopt,
      FakeEnv({{"LVYUAN_STORE_URL", "postgresql://app@db1:5432/lvyuan"},
               {"LVYUAN_STORE_REPLICA_URLS",
                " postgresql://app@db2:5432/lvyuan ,,postgresql://app@db3:5432/lvyuan"}}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->store.replica_urls,
            (std::vector<std::string>{"postgresql://app@db2:5432/lvyuan",
                                      "postgresql://app@db3:5432/lvyuan"}));
  auto multi_host = LoadConfig(
      std::nullopt,
      FakeEnv({{"LVYUAN_STORE_URL", "postgresql://app@db1:5432/lvyuan"},
               {"LVYUAN_STORE_REPLICA_URLS",
                "postgresql://app@db1:5432,db2:5432/lvyuan?target_session_attrs=prefer-standby,"
                "postgresql://app@db3:5432/lvyuan"}}));
  ASSERT_TRUE(multi_host.ok()) << multi_host.error().ToString();
  EXPECT_EQ(multi_host->store.replica_urls,
            (std::vector<std::string>{
                "postgresql://app@db1:5432,db2:5432/lvyuan?target_session_attrs=prefer-standby",
                "postgresql://app@db3:5432/lvyuan"}))
      << "the commas of a multi-host URL's host list do not split it";
}

TEST_F(ConfigFileTest, ReplicaUrlsAreATomlArrayOfStrings) {
  auto config = LoadConfig(Write("[store]\nurl = \"postgresql://app@db1/lvyuan\"\n"
                                 "replica_urls = [\"postgresql://app@db2/lvyuan\"]\n"),
                           FakeEnv({}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  EXPECT_EQ(config->store.replica_urls, std::vector<std::string>{"postgresql://app@db2/lvyuan"});
  auto single = LoadConfig(Write("[store]\nurl = \"postgresql://app@db1/lvyuan\"\n"
                                 "replica_urls = \"postgresql://app@db2/lvyuan\"\n"),
                           FakeEnv({}));
  ASSERT_FALSE(single.ok());
  EXPECT_EQ(single.error().field, "store.replica_urls");
  auto numbers = LoadConfig(Write("[store]\nurl = \"postgresql://app@db1/lvyuan\"\n"
                                  "replica_urls = [1]\n"),
                            FakeEnv({}));
  ASSERT_FALSE(numbers.ok());
  EXPECT_EQ(numbers.error().field, "store.replica_urls");
}

TEST(ConfigTest, ReplicaUrlsMustBePostgresAndGoWithAPostgresStore) {
  auto not_postgres =
      LoadConfig(std::nullopt, FakeEnv({{"LVYUAN_STORE_URL", "postgresql://app@db/lvyuan"},
                                        {"LVYUAN_STORE_REPLICA_URLS", "var/replica.db"}}));
  ASSERT_FALSE(not_postgres.ok());
  EXPECT_EQ(not_postgres.error().field, "store.replica_urls");
  auto sqlite_store = LoadConfig(
      std::nullopt, FakeEnv({{"LVYUAN_STORE_REPLICA_URLS", "postgresql://app@db2/lvyuan"}}));
  ASSERT_FALSE(sqlite_store.ok());
  EXPECT_EQ(sqlite_store.error().field, "store.replica_urls");
}

TEST(ConfigTest, EveryKeyIsDocumentedAndEveryDocumentedKeyExists) {
  std::string docs = ReadSourceFile("docs/configuration.md");
  ASSERT_FALSE(docs.empty()) << "docs/configuration.md not found";
  std::set<std::string> known;
  for (const ConfigKeyInfo& key : ConfigKeys()) {
    known.insert(key.name);
    EXPECT_NE(docs.find("`" + key.name + "`"), std::string::npos) << key.name << " undocumented";
    EXPECT_NE(docs.find("`" + key.env + "`"), std::string::npos) << key.env << " undocumented";
    EXPECT_NE(docs.find("`" + key.default_value + "`"), std::string::npos)
        << key.name << " default " << key.default_value << " not in docs";
  }
  std::regex documented("`((server|store|data|auth|matters|log)\\.[a-z0-9_]+)`");
  for (auto it = std::sregex_iterator(docs.begin(), docs.end(), documented);
       it != std::sregex_iterator(); ++it) {
    EXPECT_TRUE(known.contains((*it)[1].str())) << (*it)[1].str() << " documented but unknown";
  }
}

TEST(ConfigTest, ExampleFileLoadsAndMentionsEveryKey) {
  fs::path example = fs::path(LVYUAN_SOURCE_ROOT) / "lvyuan.toml.example";
  auto config = LoadConfig(example, FakeEnv({}));
  ASSERT_TRUE(config.ok()) << config.error().ToString();
  std::string text = ReadSourceFile("lvyuan.toml.example");
  for (const ConfigKeyInfo& key : ConfigKeys()) {
    std::string bare = key.name.substr(key.name.find('.') + 1);
    EXPECT_NE(text.find(bare + " ="), std::string::npos) << key.name << " missing in example";
  }
}

}  // namespace
}  // namespace lvyuan::app
