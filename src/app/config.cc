#include "app/config.h"

#include <toml++/toml.h>

#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <variant>

namespace lvyuan::app {
namespace {

using core::InvalidArgument;

using StringRef = std::string& (*)(Config&);
using IntegerRef = std::int64_t& (*)(Config&);
using BooleanRef = bool& (*)(Config&);
using StringListRef = std::vector<std::string>& (*)(Config&);

// One configuration key: where it lives in Config, its bounds and its text.
struct KeyDef {
  std::string_view section;
  std::string_view key;
  std::variant<StringRef, IntegerRef, BooleanRef, StringListRef> target;
  std::string_view description;
  std::int64_t min = 0;  // integers: inclusive bounds
  std::int64_t max = 0;
  std::vector<std::string_view> choices = {};  // strings: allowed values, if limited
  bool allow_empty = false;                    // strings
};

constexpr std::int64_t kDay = 86400;

const std::vector<KeyDef>& KeyTable() {
  static const std::vector<KeyDef> table = {
      {"server", "listen", StringRef([](Config& c) -> std::string& { return c.server.listen; }),
       "Address and port to listen on (监听地址), HOST:PORT; IPv6 as [::1]:8080; port 0 picks "
       "a free port."},
      {"server", "threads", IntegerRef([](Config& c) -> std::int64_t& { return c.server.threads; }),
       "Worker threads serving requests (工作线程数).", 1, 256},
      {"server", "write_threads",
       IntegerRef([](Config& c) -> std::int64_t& { return c.server.write_threads; }),
       "Threads running the handlers of writes (POST/PUT/PATCH/DELETE), which wait for their "
       "durable commit; concurrent writes share one commit (group commit).",
       1, 1024},
      {"server", "header_timeout_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.server.header_timeout_s; }),
       "Seconds a client has to send the request headers; slower clients are disconnected.", 1,
       3600},
      {"server", "body_timeout_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.server.body_timeout_s; }),
       "Seconds to receive a request body, and for each piece of a response write.", 1, kDay},
      {"server", "idle_timeout_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.server.idle_timeout_s; }),
       "Seconds an idle keep-alive connection is kept open.", 1, kDay},
      {"server", "header_limit_bytes",
       IntegerRef([](Config& c) -> std::int64_t& { return c.server.header_limit_bytes; }),
       "Largest request header block; larger ones are answered 431.", 1024, 1 << 20},
      {"server", "body_limit_bytes",
       IntegerRef([](Config& c) -> std::int64_t& { return c.server.body_limit_bytes; }),
       "Largest request body for API calls; larger ones are answered 413 (请求体过大).", 1024,
       std::int64_t{1} << 32},
      {"server",
       "web_root",
       StringRef([](Config& c) -> std::string& { return c.server.web_root; }),
       "Directory of the built web front end (web/dist) served at /; empty serves no files.",
       0,
       0,
       {},
       true},
      {"server", "trust_proxy", BooleanRef([](Config& c) -> bool& { return c.server.trust_proxy; }),
       "Behind a reverse proxy: take the client address from X-Forwarded-For (last entry) and "
       "the host from X-Forwarded-Host. Enable only when a proxy sets them."},
      {"store", "url", StringRef([](Config& c) -> std::string& { return c.store.url; }),
       "Database: a SQLite file path (created if missing)."},
      {"store",
       "migration_url",
       StringRef([](Config& c) -> std::string& { return c.store.migration_url; }),
       "PostgreSQL: the URL of the role that owns the tables, used by lvyuan migrate and the "
       "migration at start-up; store.url's role then gets only what the application needs. "
       "Empty: migrate as store.url.",
       0,
       0,
       {},
       true},
      {"store", "replica_urls",
       StringListRef([](Config& c) -> std::vector<std::string>& { return c.store.replica_urls; }),
       "PostgreSQL: streaming replicas (postgresql:// URLs) that serve reads which may lag a "
       "few seconds (the public record's key, checkpoints and proofs); writes and every other "
       "read go to store.url. Round robin; a replica that does not answer is skipped and the "
       "primary serves the read."},
      {"store", "reader_pool",
       IntegerRef([](Config& c) -> std::int64_t& { return c.store.reader_pool; }),
       "Read-only connections kept open beside the one writer connection.", 1, 64},
      {"store", "busy_timeout_ms",
       IntegerRef([](Config& c) -> std::int64_t& { return c.store.busy_timeout_ms; }),
       "Milliseconds a connection waits for a lock held by another before failing.", 0, 600000},
      {"store", "sqlite_cache_mib",
       IntegerRef([](Config& c) -> std::int64_t& { return c.store.sqlite_cache_mib; }),
       "SQLite: page cache of each connection, in MiB.", 1, 4096},
      {"store", "sqlite_mmap_mib",
       IntegerRef([](Config& c) -> std::int64_t& { return c.store.sqlite_mmap_mib; }),
       "SQLite: MiB of the database file its reads may map into memory (0: none). Mapped pages "
       "count in the server's resident memory.",
       0, 65536},
      {"data", "dir", StringRef([](Config& c) -> std::string& { return c.data.dir; }),
       "Directory of the shipped data files (数据文件: calendar, region codes, dictionaries)."},
      {"data", "var_dir", StringRef([](Config& c) -> std::string& { return c.data.var_dir; }),
       "Directory for state the server writes (database, files)."},
      {"auth", "idle_timeout_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.idle_timeout_s; }),
       "Seconds of inactivity after which a session ends (会话空闲超时).", 1, kDay},
      {"auth", "admin_idle_timeout_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.admin_idle_timeout_s; }),
       "Idle timeout for the system, security and audit administrators (三员).", 1, kDay},
      {"auth", "absolute_timeout_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.absolute_timeout_s; }),
       "Seconds after login at which a session ends however active it is.", 1, 30 * kDay},
      {"auth", "lockout_threshold",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.lockout_threshold; }),
       "Failed logins within lockout_window_s that lock the account (账号锁定).", 1, 100},
      {"auth", "lockout_window_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.lockout_window_s; }),
       "Window in seconds over which failed logins are counted.", 1, kDay},
      {"auth", "lockout_duration_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.lockout_duration_s; }),
       "Seconds an account stays locked.", 1, 30 * kDay},
      {"auth", "login_rate_per_minute",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.login_rate_per_minute; }),
       "Login attempts allowed per client address per minute; more are answered 429.", 1, 10000},
      {"auth", "password_min_length",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.password_min_length; }),
       "Minimum password length in characters (密码最小长度).", 8, 128},
      {"auth", "argon2_ops",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.argon2_ops; }),
       "argon2id passes (opslimit) for new password hashes; 0 uses libsodium's interactive "
       "default.",
       0, 100},
      {"auth", "argon2_mem_kib",
       IntegerRef([](Config& c) -> std::int64_t& { return c.auth.argon2_mem_kib; }),
       "argon2id memory in KiB for new password hashes; 0 uses libsodium's interactive "
       "default.",
       0, 4 * 1024 * 1024},
      {"record",
       "hash",
       StringRef([](Config& c) -> std::string& { return c.record.hash; }),
       "Hash of the whole-process record's Merkle tree (全过程记录): sm3 or sha256. Fixed when "
       "the deployment is created; a later change is refused.",
       0,
       0,
       {"sm3", "sha256"}},
      {"record",
       "signature",
       StringRef([](Config& c) -> std::string& { return c.record.signature; }),
       "Algorithm of the checkpoint signing key created by lvyuan migrate: sm2 or ed25519.",
       0,
       0,
       {"sm2", "ed25519"}},
      {"record", "key_file", StringRef([](Config& c) -> std::string& { return c.record.key_file; }),
       "Checkpoint signing key (PEM, file mode 0600); relative paths are under data.var_dir."},
      {"record", "checkpoint_every",
       IntegerRef([](Config& c) -> std::int64_t& { return c.record.checkpoint_every; }),
       "A signed checkpoint (签名检查点) is made after this many new events.", 1, 1000000},
      {"record", "checkpoint_interval_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.record.checkpoint_interval_s; }),
       "…and at least this often (seconds) while new events arrive.", 1, kDay},
      {"matters", "reminder_interval_s",
       IntegerRef([](Config& c) -> std::int64_t& { return c.matters.reminder_interval_s; }),
       "Seconds between runs of the deadline reminders (期限提醒): yellow cards for deadlines "
       "due within a working day, red cards for missed ones.",
       1, kDay},
      {"matters", "list_cache_entries",
       IntegerRef([](Config& c) -> std::int64_t& { return c.matters.list_cache_entries; }),
       "Matter list answers kept in memory per unit and query, reused while nothing new is "
       "recorded (0: none).",
       0, 1000000},
      {"matters", "list_cache_max_age_ms",
       IntegerRef([](Config& c) -> std::int64_t& { return c.matters.list_cache_max_age_ms; }),
       "Longest time a kept matter list answer is reused (its overdue marks follow the clock).", 1,
       60000},
      {"log",
       "level",
       StringRef([](Config& c) -> std::string& { return c.log.level; }),
       "Minimum level of the server log: trace, debug, info, warn, error, critical, off.",
       0,
       0,
       {"trace", "debug", "info", "warn", "error", "critical", "off"}},
      {"log", "access_log", StringRef([](Config& c) -> std::string& { return c.log.access_log; }),
       "Access log destination (访问日志): - for standard output, otherwise a file path "
       "(appended)."},
  };
  return table;
}

std::string DottedName(const KeyDef& def) {
  return std::string(def.section) + "." + std::string(def.key);
}

std::string EnvName(const KeyDef& def) {
  std::string name = "LVYUAN_" + DottedName(def);
  for (char& c : name) {
    c = c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string QuoteToml(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out += "\"";
  return out;
}

std::string_view TypeWord(const KeyDef& def) {
  switch (def.target.index()) {
    case 0:
      return "字符串";
    case 1:
      return "整数";
    case 2:
      return "布尔值（true 或 false）";
    default:
      return "字符串数组";
  }
}

const KeyDef* FindKey(std::string_view section, std::string_view key) {
  for (const KeyDef& def : KeyTable()) {
    if (def.section == section && def.key == key) return &def;
  }
  return nullptr;
}

bool IsSection(std::string_view section) {
  for (const KeyDef& def : KeyTable()) {
    if (def.section == section) return true;
  }
  return false;
}

core::Error TypeError(std::string_view where, const KeyDef& def) {
  return InvalidArgument(
      std::string(where) + ": " + DottedName(def) + " 应为" + std::string(TypeWord(def)),
      DottedName(def));
}

core::Status ApplyTomlValue(Config& config, const KeyDef& def, const toml::node& node,
                            std::string_view where) {
  switch (def.target.index()) {
    case 0: {
      if (!node.is_string()) return TypeError(where, def);
      std::get<StringRef>(def.target)(config) = node.as_string()->get();
      return core::Ok();
    }
    case 1: {
      if (!node.is_integer()) return TypeError(where, def);
      std::get<IntegerRef>(def.target)(config) = node.as_integer()->get();
      return core::Ok();
    }
    case 2: {
      if (!node.is_boolean()) return TypeError(where, def);
      std::get<BooleanRef>(def.target)(config) = node.as_boolean()->get();
      return core::Ok();
    }
    default: {
      const toml::array* array = node.as_array();
      if (array == nullptr) return TypeError(where, def);
      std::vector<std::string> values;
      for (const toml::node& item : *array) {
        if (!item.is_string()) return TypeError(where, def);
        values.push_back(item.as_string()->get());
      }
      std::get<StringListRef>(def.target)(config) = std::move(values);
      return core::Ok();
    }
  }
}

// "a://x, b://y,,c://z" -> {"a://x", "b://y", "c://z"}: split at the commas
// that begin another URL (a scheme and "://" follows), so the host list of a
// multi-host URL ("postgresql://h1:1,h2:2/db") stays whole; spaces trimmed,
// empty entries dropped.
std::vector<std::string> SplitUrlList(std::string_view text) {
  auto trim = [](std::string_view item) {
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.front()))) {
      item.remove_prefix(1);
    }
    while (!item.empty() && std::isspace(static_cast<unsigned char>(item.back()))) {
      item.remove_suffix(1);
    }
    return item;
  };
  auto starts_url = [](std::string_view piece) {
    std::size_t i = 0;
    while (i < piece.size() && std::isalpha(static_cast<unsigned char>(piece[i]))) ++i;
    return i > 0 && piece.substr(i, 3) == "://";
  };
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view piece = trim(text.substr(0, comma));
    if (!piece.empty()) {
      if (out.empty() || starts_url(piece)) {
        out.emplace_back(piece);
      } else {
        out.back() += ',';  // another host of the URL before
        out.back() += piece;
      }
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

core::Status ApplyFile(Config& config, const std::filesystem::path& file) {
  std::string where = file.filename().string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    return InvalidArgument("配置文件不存在或不可读：" + file.string());
  }
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return InvalidArgument(where + " 第 " + std::to_string(e.source().begin.line) +
                           " 行不是合法的 TOML：" + std::string(e.description()));
  }
  for (auto&& [section_key, section_node] : root) {
    std::string_view section = section_key.str();
    if (!IsSection(section)) {
      return InvalidArgument(where + ": 未知配置项 " + std::string(section), std::string(section));
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) {
      return InvalidArgument(
          where + ": " + std::string(section) + " 应为一个表（[" + std::string(section) + "]）",
          std::string(section));
    }
    for (auto&& [key, node] : *table) {
      const KeyDef* def = FindKey(section, key.str());
      if (def == nullptr) {
        std::string dotted = std::string(section) + "." + std::string(key.str());
        return InvalidArgument(where + ": 未知配置项 " + dotted, dotted);
      }
      TRY(ApplyTomlValue(config, *def, node, where));
    }
  }
  return core::Ok();
}

core::Status ApplyEnv(Config& config, const GetEnv& getenv) {
  for (const KeyDef& def : KeyTable()) {
    std::string env = EnvName(def);
    std::optional<std::string> text = getenv(env);
    if (!text) continue;
    std::string where = "环境变量 " + env;
    switch (def.target.index()) {
      case 0:
        std::get<StringRef>(def.target)(config) = *text;
        break;
      case 1: {
        std::int64_t value = 0;
        const char* end = text->data() + text->size();
        auto [ptr, error] = std::from_chars(text->data(), end, value);
        if (text->empty() || error != std::errc() || ptr != end) return TypeError(where, def);
        std::get<IntegerRef>(def.target)(config) = value;
        break;
      }
      case 3:
        std::get<StringListRef>(def.target)(config) = SplitUrlList(*text);
        break;
      default: {
        std::string lower = *text;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        bool value = false;
        if (lower == "true" || lower == "1" || lower == "yes" || lower == "on") {
          value = true;
        } else if (!(lower == "false" || lower == "0" || lower == "no" || lower == "off")) {
          return TypeError(where, def);
        }
        std::get<BooleanRef>(def.target)(config) = value;
        break;
      }
    }
  }
  return core::Ok();
}

core::Status Validate(Config& config) {
  for (const KeyDef& def : KeyTable()) {
    std::string dotted = DottedName(def);
    if (def.target.index() == 1) {
      std::int64_t value = std::get<IntegerRef>(def.target)(config);
      if (value < def.min || value > def.max) {
        return InvalidArgument(dotted + " 应为 " + std::to_string(def.min) + " 到 " +
                                   std::to_string(def.max) + " 之间的整数，实际为 " +
                                   std::to_string(value),
                               dotted);
      }
    } else if (def.target.index() == 0) {
      const std::string& value = std::get<StringRef>(def.target)(config);
      if (!def.choices.empty()) {
        bool allowed = false;
        std::string list;
        for (std::string_view choice : def.choices) {
          allowed = allowed || choice == value;
          if (!list.empty()) list += "、";
          list += choice;
        }
        if (!allowed) {
          return InvalidArgument(dotted + " 应为 " + list + " 之一，实际为 \"" + value + "\"",
                                 dotted);
        }
      } else if (value.empty() && !def.allow_empty) {
        return InvalidArgument(dotted + " 不能为空", dotted);
      }
    }
  }
  auto is_postgres = [](std::string_view url) {
    return url.starts_with("postgresql://") || url.starts_with("postgres://");
  };
  if (!config.store.migration_url.empty()) {
    if (!is_postgres(config.store.migration_url)) {
      return InvalidArgument("store.migration_url 应为 postgresql:// 地址", "store.migration_url");
    }
    if (!is_postgres(config.store.url)) {
      return InvalidArgument(
          "store.migration_url 只用于 PostgreSQL：store.url 不是 postgresql:// 地址",
          "store.migration_url");
    }
  }
  for (const std::string& replica : config.store.replica_urls) {
    if (!is_postgres(replica)) {
      return InvalidArgument(
          "store.replica_urls 的每一项应为 postgresql:// 地址，实际为 \"" + replica + "\"",
          "store.replica_urls");
    }
    if (!is_postgres(config.store.url)) {
      return InvalidArgument(
          "store.replica_urls 只用于 PostgreSQL：store.url 不是 postgresql:// 地址",
          "store.replica_urls");
    }
  }
  auto [host, port] = TRY(ParseListen(config.server.listen));
  config.server.host = std::move(host);
  config.server.port = port;
  return core::Ok();
}

}  // namespace

std::vector<ConfigKeyInfo> ConfigKeys() {
  Config defaults;
  std::vector<ConfigKeyInfo> keys;
  for (const KeyDef& def : KeyTable()) {
    ConfigKeyInfo info;
    info.name = DottedName(def);
    info.env = EnvName(def);
    info.description = std::string(def.description);
    switch (def.target.index()) {
      case 0:
        info.type = ConfigType::kString;
        info.default_value = QuoteToml(std::get<StringRef>(def.target)(defaults));
        break;
      case 1:
        info.type = ConfigType::kInteger;
        info.default_value = std::to_string(std::get<IntegerRef>(def.target)(defaults));
        break;
      case 2:
        info.type = ConfigType::kBoolean;
        info.default_value = std::get<BooleanRef>(def.target)(defaults) ? "true" : "false";
        break;
      default: {
        info.type = ConfigType::kStringList;
        std::string list;
        for (const std::string& item : std::get<StringListRef>(def.target)(defaults)) {
          if (!list.empty()) list += ", ";
          list += QuoteToml(item);
        }
        info.default_value = "[" + list + "]";
        break;
      }
    }
    keys.push_back(std::move(info));
  }
  return keys;
}

std::optional<std::string> RealGetEnv(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

core::Result<std::pair<std::string, std::uint16_t>> ParseListen(std::string_view listen) {
  auto bad = [&] {
    return InvalidArgument(
        "server.listen 应为 HOST:PORT（例如 127.0.0.1:8080，端口 0-65535），"
        "实际为 \"" +
            std::string(listen) + "\"",
        "server.listen");
  };
  std::string host;
  std::string_view port_text;
  if (listen.starts_with("[")) {
    std::size_t close = listen.find(']');
    if (close == std::string_view::npos || close + 1 >= listen.size() || listen[close + 1] != ':') {
      return bad();
    }
    host = std::string(listen.substr(1, close - 1));
    port_text = listen.substr(close + 2);
  } else {
    std::size_t colon = listen.rfind(':');
    if (colon == std::string_view::npos) return bad();
    host = std::string(listen.substr(0, colon));
    if (host.find(':') != std::string::npos) return bad();  // bare IPv6 needs brackets
    port_text = listen.substr(colon + 1);
  }
  if (host.empty() || port_text.empty() || host.find_first_of(" \t/") != std::string::npos) {
    return bad();
  }
  unsigned value = 0;
  const char* end = port_text.data() + port_text.size();
  auto [ptr, error] = std::from_chars(port_text.data(), end, value);
  if (error != std::errc() || ptr != end || value > 65535) return bad();
  return std::make_pair(std::move(host), static_cast<std::uint16_t>(value));
}

core::Result<Config> LoadConfig(std::optional<std::filesystem::path> file, const GetEnv& getenv) {
  Config config;
  if (file) TRY(ApplyFile(config, *file));
  TRY(ApplyEnv(config, getenv));
  TRY(Validate(config));
  return config;
}

}  // namespace lvyuan::app
