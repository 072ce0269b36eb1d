// Server configuration: built-in defaults, overridden by a TOML file
// (lvyuan.toml), overridden by environment variables LVYUAN_<SECTION>_<KEY>.
//
// Every key is declared once in the table behind ConfigKeys(); the loader,
// the validation and docs/configuration.md (checked by a test) follow it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lvyuan::app {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // HOST:PORT, IPv6 as [::1]:8080
  std::int64_t threads = 2;
  std::int64_t write_threads = 16;
  std::int64_t header_timeout_s = 10;
  std::int64_t body_timeout_s = 60;
  std::int64_t idle_timeout_s = 75;
  std::int64_t header_limit_bytes = 16384;
  std::int64_t body_limit_bytes = 1048576;
  std::string web_root = "web/dist";
  bool trust_proxy = false;

  // Derived from listen by LoadConfig (not keys of their own).
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
};

struct StoreConfig {
  std::string url = "var/lvyuan.db";
  // PostgreSQL: the owner role's URL for migrations; empty means url.
  std::string migration_url;
  // PostgreSQL: streaming replicas that serve lag-tolerant reads
  // (Database::ReadMayLag); empty: every read goes to url.
  std::vector<std::string> replica_urls;
  std::int64_t reader_pool = 4;
  std::int64_t busy_timeout_ms = 5000;
  std::int64_t sqlite_cache_mib = 8;
  std::int64_t sqlite_mmap_mib = 0;
};

struct DataConfig {
  std::string dir = "data";     // shipped data files (calendar, regions, …)
  std::string var_dir = "var";  // state the server writes
};

struct AuthConfig {
  std::int64_t idle_timeout_s = 1800;
  std::int64_t admin_idle_timeout_s = 900;
  std::int64_t absolute_timeout_s = 43200;
  std::int64_t lockout_threshold = 5;
  std::int64_t lockout_window_s = 900;
  std::int64_t lockout_duration_s = 900;
  std::int64_t login_rate_per_minute = 30;
  std::int64_t password_min_length = 10;
  std::int64_t argon2_ops = 0;      // 0: libsodium's interactive default
  std::int64_t argon2_mem_kib = 0;  // 0: libsodium's interactive default
};

struct RecordConfig {
  std::string hash = "sm3";       // sm3 | sha256; fixed at the first start
  std::string signature = "sm2";  // sm2 | ed25519; the key made by migrate
  // The checkpoint signing key (PEM, mode 0600); relative to data.var_dir.
  std::string key_file = "record-key.pem";
  std::int64_t checkpoint_every = 1000;     // events
  std::int64_t checkpoint_interval_s = 60;  // seconds, when anything was appended
};

struct MattersConfig {
  // Seconds between runs of the deadline reminders (期限提醒).
  std::int64_t reminder_interval_s = 60;
  // The matter list's answers kept per (unit, query) while nothing new is
  // recorded, at most list_cache_max_age_ms each; 0 entries: no cache.
  std::int64_t list_cache_entries = 1024;
  std::int64_t list_cache_max_age_ms = 1000;
};

struct LogConfig {
  std::string level = "info";    // trace | debug | info | warn | error | critical | off
  std::string access_log = "-";  // "-" is stdout, otherwise a file path
};

struct Config {
  ServerConfig server;
  StoreConfig store;
  DataConfig data;
  AuthConfig auth;
  RecordConfig record;
  MattersConfig matters;
  LogConfig log;
};

// kStringList: a TOML array of strings; in the environment, comma-separated.
enum class ConfigType { kString, kInteger, kBoolean, kStringList };

struct ConfigKeyInfo {
  std::string name;  // dotted, "server.listen"
  std::string env;   // "LVYUAN_SERVER_LISTEN"
  ConfigType type;
  std::string default_value;  // as written in TOML: "\"127.0.0.1:8080\"", "2", "false", "[]"
  std::string description;
};

// Every configuration key, in documentation order. Thread-safe.
std::vector<ConfigKeyInfo> ConfigKeys();

using GetEnv = std::function<std::optional<std::string>(std::string_view name)>;

// The process environment (std::getenv).
std::optional<std::string> RealGetEnv(std::string_view name);

// Loads the configuration: defaults, then `file` if given, then environment
// variables read through `getenv`, then validation. Every error is
// InvalidArgument with field = the dotted key at fault (empty for a file that
// cannot be read or parsed), and a message naming the key and what is
// expected, e.g. "lvyuan.toml: 未知配置项 server.lisen".
core::Result<Config> LoadConfig(std::optional<std::filesystem::path> file,
                                const GetEnv& getenv = RealGetEnv);

// Splits "host:port" / "[v6]:port". InvalidArgument (field "server.listen")
// unless the host is non-empty and the port a number in 0..65535.
core::Result<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view listen);

}  // namespace lvyuan::app
