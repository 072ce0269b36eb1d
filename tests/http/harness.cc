#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#ifndef LVYUAN_BINARY
#define LVYUAN_BINARY ""
#endif

extern char** environ;

namespace lvyuan::http_test {
namespace {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::string_view kListeningPrefix = "lvyuan listening on http://127.0.0.1:";
constexpr std::string_view kIndexHtml =
    "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
    "<title>绿源 test shell</title></head><body><div id=\"app\">lvyuan-http-test-index</div>"
    "</body></html>\n";

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void WriteFile(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

fs::path MakeTempDir(const fs::path& parent, std::string_view prefix) {
  std::string pattern = (parent / (std::string(prefix) + "XXXXXX")).string();
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed: " + std::string(std::strerror(errno)));
  }
  return fs::path(buffer.data());
}

fs::path Binary() {
  fs::path binary(LVYUAN_BINARY);
  if (binary.empty() || !fs::exists(binary)) {
    throw std::runtime_error("the lvyuan binary is missing (LVYUAN_BINARY=\"" + binary.string() +
                             "\")");
  }
  return binary;
}

// The child's environment: ours without any LVYUAN_* variable, then `env`.
std::vector<std::string> ChildEnvironment(const std::map<std::string, std::string>& env) {
  std::vector<std::string> out;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view item(*entry);
    if (item.starts_with("LVYUAN_")) continue;
    out.emplace_back(item);
  }
  for (const auto& [key, value] : env) out.push_back(key + "=" + value);
  return out;
}

struct Spawned {
  pid_t pid = -1;
  int stdout_fd = -1;  // read end of the child's stdout, or -1
};

// Starts `binary args...` with stdin from /dev/null, stderr appended to
// `stderr_path` and stdout either into a pipe (returned) or into `stdout_path`.
// The child gets SIGTERM if the test process dies first, so a crashed test
// leaves no server behind.
Spawned Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
              const fs::path& stderr_path, const std::optional<fs::path>& stdout_path) {
  int pipe_fds[2] = {-1, -1};
  if (!stdout_path && pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
  // Everything the child needs is prepared before fork: after it only
  // async-signal-safe calls are allowed.
  std::vector<char*> argv;
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const auto& item : env) envp.push_back(const_cast<char*>(item.c_str()));
  envp.push_back(nullptr);
  std::string stderr_file = stderr_path.string();
  std::string stdout_file = stdout_path ? stdout_path->string() : std::string();
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) {
    if (pipe_fds[0] >= 0) close(pipe_fds[0]);
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    throw std::runtime_error("fork failed: " + std::string(std::strerror(errno)));
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int err = open(stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int out = pipe_fds[1] >= 0
                  ? pipe_fds[1]
                  : open(stdout_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (in < 0 || err < 0 || out < 0) _exit(127);
    // dup2 clears close-on-exec on the copy; an fd already in place keeps it.
    auto place = [](int fd, int target) {
      if (fd == target) return fcntl(fd, F_SETFD, 0) == 0;
      return dup2(fd, target) == target;
    };
    if (!place(in, STDIN_FILENO) || !place(out, STDOUT_FILENO) || !place(err, STDERR_FILENO)) {
      _exit(127);
    }
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  if (pipe_fds[1] >= 0) close(pipe_fds[1]);
  return Spawned{pid, pipe_fds[0]};
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Runs a command to completion; throws with its output unless it exits 0.
void RunToCompletion(const std::vector<std::string>& args, const fs::path& log_dir,
                     std::string_view name, const std::map<std::string, std::string>& env = {}) {
  fs::path out = log_dir / (std::string(name) + ".stdout");
  fs::path err = log_dir / (std::string(name) + ".stderr");
  Spawned child = Spawn(args, ChildEnvironment(env), err, out);
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  int code = DecodeWaitStatus(status);
  if (code != 0) {
    std::string command;
    for (const auto& arg : args) command += arg + " ";
    throw std::runtime_error(command + "exited with " + std::to_string(code) + "\nstdout:\n" +
                             ReadFile(out) + "\nstderr:\n" + ReadFile(err));
  }
}

std::vector<std::string> DemoArgs(const fs::path& data_dir, const ServerOptions& options) {
  std::vector<std::string> args = {Binary().string(), "demo", "--data", data_dir.string()};
  if (!options.demo_password.empty()) {
    args.push_back("--password");
    args.push_back(options.demo_password);
  }
  if (options.demo_totp) args.push_back("--totp");
  return args;
}

// `lvyuan demo` hashes a password for every demo account, which costs seconds,
// and ctest runs every test in its own process. So the demo state is made
// once per binary build (keyed by the binary's size and mtime and the demo
// options) in a per-user cache dir and copied for every server. Set
// LVYUAN_HTTP_TEST_DEMO_CACHE=0 to run `lvyuan demo` for every server.
void PrepareDemoDataDir(const fs::path& data_dir, const ServerOptions& options,
                        const fs::path& log_dir) {
  const char* cache_env = std::getenv("LVYUAN_HTTP_TEST_DEMO_CACHE");
  bool use_cache = cache_env == nullptr || std::string_view(cache_env) != "0";
  if (!use_cache) {
    RunToCompletion(DemoArgs(data_dir, options), log_dir, "demo");
    return;
  }
  fs::path binary = Binary();
  std::string key_text = binary.string() + "|" + std::to_string(fs::file_size(binary)) + "|" +
                         std::to_string(fs::last_write_time(binary).time_since_epoch().count()) +
                         "|" + options.demo_password + "|" + (options.demo_totp ? "totp" : "");
  std::ostringstream key;
  key << std::hex << std::hash<std::string>{}(key_text);
  fs::path cache_root =
      fs::temp_directory_path() / ("lvyuan-http-test-demo-" + std::to_string(getuid()));
  fs::create_directories(cache_root);
  fs::permissions(cache_root, fs::perms::owner_all, fs::perm_options::replace);
  fs::path cached = cache_root / key.str();
  if (!fs::exists(cached / "data")) {
    fs::path staging = MakeTempDir(cache_root, "staging-");
    try {
      RunToCompletion(DemoArgs(staging / "data", options), staging, "demo");
    } catch (...) {
      std::error_code ignored;
      fs::remove_all(staging, ignored);
      throw;
    }
    std::error_code ec;
    fs::rename(staging, cached, ec);  // another process may have won the race
    if (ec) fs::remove_all(staging, ec);
    // Entries of earlier builds are never used again.
    for (const auto& entry : fs::directory_iterator(cache_root, ec)) {
      std::string name = entry.path().filename().string();
      if (name != key.str() && !name.starts_with("staging-")) fs::remove_all(entry.path(), ec);
    }
  }
  fs::copy(cached / "data", data_dir, fs::copy_options::recursive);
}

// ------------------------------------------------------------------ PostgreSQL

// One libpq connection to the test server's maintenance database.
class PgAdmin {
 public:
  explicit PgAdmin(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
    if (conn_ == nullptr || PQstatus(conn_.get()) != CONNECTION_OK) {
      throw std::runtime_error("cannot connect to LVYUAN_TEST_PG_URL: " +
                               std::string(conn_ ? PQerrorMessage(conn_.get()) : "out of memory"));
    }
    PQsetNoticeProcessor(
        conn_.get(), [](void*, const char*) {}, nullptr);  // "skipping" notes
  }
  // Runs sql; returns "" on success, otherwise SQLSTATE + " " + message.
  std::string TryExec(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_.get(), sql.c_str()),
                                                         &PQclear);
    const ExecStatusType status = PQresultStatus(result.get());
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return {};
    const char* state = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
    return std::string(state != nullptr ? state : "?????") + " " + PQerrorMessage(conn_.get());
  }
  void Exec(const std::string& sql) {
    if (std::string error = TryExec(sql); !error.empty()) {
      throw std::runtime_error(sql + ": " + error);
    }
  }
  // The first column of the first row of a query, or nullopt without rows.
  std::optional<std::string> QueryValue(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn_.get(), sql.c_str()),
                                                         &PQclear);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      throw std::runtime_error(sql + ": " + PQerrorMessage(conn_.get()));
    }
    if (PQntuples(result.get()) == 0) return std::nullopt;
    return std::string(PQgetvalue(result.get(), 0, 0));
  }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

// base (postgresql://[user@]host[:port][/db][?query]) with another user (when
// not empty) and database.
std::string PgUrl(const std::string& base, std::string_view user, std::string_view database) {
  const std::size_t scheme = base.find("://");
  if (scheme == std::string::npos) throw std::runtime_error("not a URL: " + base);
  const std::size_t start = scheme + 3;
  std::size_t end = base.find_first_of("/?", start);
  if (end == std::string::npos) end = base.size();
  std::string authority = base.substr(start, end - start);
  if (!user.empty()) {
    const std::size_t at = authority.rfind('@');
    authority =
        std::string(user) + "@" + (at == std::string::npos ? authority : authority.substr(at + 1));
  }
  const std::size_t query = base.find('?', end);
  const std::string rest = query == std::string::npos ? std::string() : base.substr(query);
  return base.substr(0, start) + authority + "/" + std::string(database) + rest;
}

struct PgStore {
  std::string database;
  std::string app_url;    // LVYUAN_STORE_URL: the restricted application role
  std::string owner_url;  // LVYUAN_STORE_MIGRATION_URL: the superuser
};

std::string RequirePostgresUrl() {
  std::string url = PostgresTestUrl();
  if (url.empty()) {
    throw std::runtime_error(
        "the PostgreSQL backend needs LVYUAN_TEST_PG_URL (scripts/pg-test-cluster start DIR)");
  }
  return url;
}

PgStore StoreOf(const std::string& database) {
  const std::string base = RequirePostgresUrl();
  return PgStore{database, PgUrl(base, kPostgresAppRole, database), PgUrl(base, "", database)};
}

void EnsureAppRole(PgAdmin& admin) {
  static std::once_flag once;
  std::call_once(once, [&admin] {
    const std::string role(kPostgresAppRole);
    // Two test processes may race: the loser's duplicate is harmless.
    (void)admin.TryExec("CREATE ROLE " + role + " LOGIN");
    if (!admin.QueryValue("SELECT 1 FROM pg_roles WHERE rolname = '" + role + "'")) {
      throw std::runtime_error("cannot create the role " + role);
    }
  });
}

// CREATE DATABASE name from template (template0: empty, C.UTF-8), retrying
// while the template still has a session of the process that filled it.
void CreateDatabase(PgAdmin& admin, const std::string& name, const std::string& template_name) {
  std::string sql = "CREATE DATABASE " + name + " TEMPLATE " + template_name;
  if (template_name == "template0") {
    sql += " ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'";
  }
  for (int attempt = 0;; ++attempt) {
    std::string error = admin.TryExec(sql);
    if (error.empty()) return;
    if (attempt >= 50 || error.find("being accessed by other users") == std::string::npos) {
      throw std::runtime_error(sql + ": " + error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// The databases this process made, by data dir; dropped at exit.
class PgRegistry {
 public:
  static PgRegistry& Get() {
    static PgRegistry registry;
    return registry;
  }
  ~PgRegistry() {
    if (made_.empty()) return;
    try {
      PgAdmin admin(RequirePostgresUrl());
      for (const std::string& name : made_) {
        (void)admin.TryExec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
      }
    } catch (const std::exception&) {
      // The throw-away cluster goes with everything in it anyway.
    }
  }

  // A fresh database from template_name (without registering a data dir).
  PgStore Make(const std::string& template_name) {
    std::lock_guard lock(mutex_);
    const std::string name =
        "lvyuan_t_" + std::to_string(getpid()) + "_" + std::to_string(made_.size());
    PgAdmin admin(RequirePostgresUrl());
    EnsureAppRole(admin);
    CreateDatabase(admin, name, template_name);
    made_.push_back(name);
    return StoreOf(name);
  }
  void Register(const fs::path& data_dir, const PgStore& store) {
    std::lock_guard lock(mutex_);
    by_dir_[Key(data_dir)] = store;
  }
  std::optional<PgStore> Find(const fs::path& data_dir) {
    std::lock_guard lock(mutex_);
    auto it = by_dir_.find(Key(data_dir));
    if (it == by_dir_.end()) return std::nullopt;
    return it->second;
  }

 private:
  static std::string Key(const fs::path& data_dir) {
    return fs::weakly_canonical(fs::absolute(data_dir)).string();
  }

  std::mutex mutex_;
  std::vector<std::string> made_;          // guarded by mutex_
  std::map<std::string, PgStore> by_dir_;  // guarded by mutex_
};

std::map<std::string, std::string> EnvOf(const PgStore& store) {
  return {{"LVYUAN_STORE_URL", store.app_url}, {"LVYUAN_STORE_MIGRATION_URL", store.owner_url}};
}

// An exclusive flock on path for the life of the object.
class FileLock {
 public:
  explicit FileLock(const fs::path& path)
      : fd_(open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600)) {
    if (fd_ < 0) throw std::runtime_error("cannot open " + path.string());
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) throw std::runtime_error("flock failed on " + path.string());
    }
  }
  ~FileLock() { close(fd_); }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// The PostgreSQL twin of PrepareDemoDataDir: the demo state is a template
// database (lvyuan_t_demo_<key>) on the test server plus its data dir (the
// signing key), made once per binary build and server under a file lock,
// and cloned (CREATE DATABASE ... TEMPLATE) for every server. Returns the
// new server's store.
PgStore PreparePostgresDemo(const fs::path& data_dir, const ServerOptions& options,
                            const fs::path& log_dir) {
  const char* cache_env = std::getenv("LVYUAN_HTTP_TEST_DEMO_CACHE");
  const bool use_cache = cache_env == nullptr || std::string_view(cache_env) != "0";
  if (!use_cache) {
    PgStore store = PgRegistry::Get().Make("template0");
    RunToCompletion(DemoArgs(data_dir, options), log_dir, "demo", EnvOf(store));
    return store;
  }
  const fs::path binary = Binary();
  const std::string key_text =
      binary.string() + "|" + std::to_string(fs::file_size(binary)) + "|" +
      std::to_string(fs::last_write_time(binary).time_since_epoch().count()) + "|" +
      options.demo_password + "|" + (options.demo_totp ? "totp" : "") + "|" + RequirePostgresUrl();
  std::ostringstream key;
  key << std::hex << std::hash<std::string>{}(key_text);
  const std::string template_name = "lvyuan_t_demo_" + key.str();
  const fs::path cache_root =
      fs::temp_directory_path() / ("lvyuan-http-test-demo-pg-" + std::to_string(getuid()));
  fs::create_directories(cache_root);
  fs::permissions(cache_root, fs::perms::owner_all, fs::perm_options::replace);
  const fs::path cached = cache_root / key.str();
  {
    FileLock lock(cache_root / "lock");
    PgAdmin admin(RequirePostgresUrl());
    EnsureAppRole(admin);
    const bool have_database =
        admin.QueryValue("SELECT 1 FROM pg_database WHERE datname = '" + template_name + "'")
            .has_value();
    if (!have_database || !fs::exists(cached / "data")) {
      std::error_code ec;
      fs::remove_all(cached, ec);
      admin.Exec("DROP DATABASE IF EXISTS " + template_name + " WITH (FORCE)");
      CreateDatabase(admin, template_name, "template0");
      fs::path staging = MakeTempDir(cache_root, "staging-");
      try {
        RunToCompletion(DemoArgs(staging / "data", options), staging, "demo",
                        EnvOf(StoreOf(template_name)));
      } catch (...) {
        fs::remove_all(staging, ec);
        (void)admin.TryExec("DROP DATABASE IF EXISTS " + template_name + " WITH (FORCE)");
        throw;
      }
      fs::rename(staging, cached);
      for (const auto& entry : fs::directory_iterator(cache_root, ec)) {
        std::string name = entry.path().filename().string();
        if (name != key.str() && name != "lock" && !name.starts_with("staging-")) {
          fs::remove_all(entry.path(), ec);
        }
      }
    }
  }
  fs::copy(cached / "data", data_dir, fs::copy_options::recursive);
  return PgRegistry::Get().Make(template_name);
}

std::string ResolveBackend(std::string_view backend) {
  std::string chosen = backend.empty() ? TestBackend() : std::string(backend);
  if (chosen != "sqlite" && chosen != "postgresql") {
    throw std::runtime_error("unknown test backend \"" + chosen + "\"");
  }
  return chosen;
}

}  // namespace

std::string TestBackend() {
  const char* backend = std::getenv("LVYUAN_TEST_BACKEND");
  return backend != nullptr && std::string_view(backend) == "postgresql" ? "postgresql" : "sqlite";
}

std::string PostgresTestUrl() {
  const char* url = std::getenv("LVYUAN_TEST_PG_URL");
  return url != nullptr ? std::string(url) : std::string();
}

std::map<std::string, std::string> StoreEnvironment(const fs::path& data_dir,
                                                    std::string_view backend) {
  if (ResolveBackend(backend) != "postgresql") return {};
  PgRegistry& registry = PgRegistry::Get();
  std::optional<PgStore> store = registry.Find(data_dir);
  if (!store) {
    store = registry.Make("template0");
    registry.Register(data_dir, *store);
  }
  return EnvOf(*store);
}

void ShareStore(const fs::path& copy, const fs::path& original) {
  if (std::optional<PgStore> store = PgRegistry::Get().Find(original)) {
    PgRegistry::Get().Register(copy, *store);
  }
}

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) <
           std::tolower(static_cast<unsigned char>(y));
  });
}

// ---------------------------------------------------------------- ServerProcess

std::string_view ServerProcess::IndexHtml() { return kIndexHtml; }

std::unique_ptr<ServerProcess> ServerProcess::Start(ServerOptions options) {
  std::unique_ptr<ServerProcess> server(new ServerProcess());
  server->backend_ = ResolveBackend(options.backend);
  const bool postgres = server->backend_ == "postgresql";
  server->root_ = MakeTempDir(fs::temp_directory_path(), "lvyuan-http-test-");
  std::map<std::string, std::string> store_env;
  if (options.data_dir.empty()) {
    server->own_data_dir_ = true;
    server->data_dir_ = server->root_ / "data";
    if (options.demo && postgres) {
      PgStore store = PreparePostgresDemo(server->data_dir_, options, server->root_);
      PgRegistry::Get().Register(server->data_dir_, store);
    } else if (options.demo) {
      PrepareDemoDataDir(server->data_dir_, options, server->root_);
    } else {
      fs::create_directories(server->data_dir_);
    }
  } else {
    server->data_dir_ = options.data_dir;
  }
  store_env = StoreEnvironment(server->data_dir_, server->backend_);

  std::map<std::string, std::string> env = {
      // Tests log in many times from one address; only the rate-limit test
      // wants the limiter to bite.
      {"LVYUAN_AUTH_LOGIN_RATE_PER_MINUTE", "10000"},
  };
  env.insert(store_env.begin(), store_env.end());
  if (!options.env.contains("LVYUAN_SERVER_WEB_ROOT")) {
    server->web_root_ = server->root_ / "web";
    fs::create_directories(server->web_root_);
    WriteFile(server->web_root_ / "index.html", kIndexHtml);
    env["LVYUAN_SERVER_WEB_ROOT"] = server->web_root_.string();
  } else {
    server->web_root_ = options.env.at("LVYUAN_SERVER_WEB_ROOT");
  }
  for (const auto& [key, value] : options.env) env[key] = value;

  server->stderr_path_ = server->root_ / "serve.stderr";
  Spawned child = Spawn(
      {Binary().string(), "serve", "--data", server->data_dir_.string(), "--listen", "127.0.0.1:0"},
      ChildEnvironment(env), server->stderr_path_, std::nullopt);
  server->pid_ = child.pid;
  server->stdout_fd_ = child.stdout_fd;
  server->reader_ = std::thread([raw = server.get()] { raw->DrainStdout(); });

  std::unique_lock lock(server->mutex_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto listening = [&]() -> std::optional<std::string> {
    for (const auto& line : server->lines_) {
      if (line.starts_with(kListeningPrefix)) return line.substr(kListeningPrefix.size());
    }
    return std::nullopt;
  };
  server->lines_changed_.wait_until(
      lock, deadline, [&] { return listening().has_value() || server->stdout_closed_; });
  std::optional<std::string> port_text = listening();
  lock.unlock();
  if (!port_text) {
    throw std::runtime_error("lvyuan serve did not print its listening line within 30 s" +
                             std::string("\nstderr:\n") + server->Stderr());
  }
  int port = std::atoi(port_text->c_str());
  if (port <= 0 || port > 65535) {
    throw std::runtime_error("unparsable listening line port: " + *port_text);
  }
  server->port_ = static_cast<unsigned short>(port);
  return server;
}

void ServerProcess::DrainStdout() {
  std::string pending;
  char buffer[4096];
  while (true) {
    ssize_t n = read(stdout_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<std::size_t>(n));
    std::size_t newline;
    std::lock_guard lock(mutex_);
    while ((newline = pending.find('\n')) != std::string::npos) {
      std::string line = pending.substr(0, newline);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines_.push_back(std::move(line));
      pending.erase(0, newline + 1);
    }
    lines_changed_.notify_all();
  }
  std::lock_guard lock(mutex_);
  if (!pending.empty()) lines_.push_back(pending);
  stdout_closed_ = true;
  lines_changed_.notify_all();
}

int ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  if (exited_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t rc = waitpid(pid_, &status, WNOHANG);
    if (rc == pid_) {
      exited_ = true;
      exit_code_ = DecodeWaitStatus(status);
      return exit_code_;
    }
    if (rc < 0 && errno != EINTR) {
      exited_ = true;
      exit_code_ = -1;
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -2;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

int ServerProcess::ExitCodeAfterTerm() {
  if (pid_ <= 0) return -1;
  if (!exited_) kill(pid_, SIGTERM);
  int code = WaitForExit(std::chrono::seconds(30));
  if (code == -2) {
    kill(pid_, SIGKILL);
    WaitForExit(std::chrono::seconds(10));
    return -1;
  }
  return code;
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGTERM);
    if (WaitForExit(std::chrono::seconds(15)) == -2) {
      kill(pid_, SIGKILL);
      WaitForExit(std::chrono::seconds(10));
    }
  }
  if (reader_.joinable()) reader_.join();
  if (stdout_fd_ >= 0) close(stdout_fd_);
  std::error_code ignored;
  if (!root_.empty()) fs::remove_all(root_, ignored);
}

std::vector<std::string> ServerProcess::StdoutLines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

std::string ServerProcess::Stderr() const { return ReadFile(stderr_path_); }

// ------------------------------------------------------------------------ Reply

boost::json::value Reply::json() const {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) {
    throw std::runtime_error("response body is not JSON (status " + std::to_string(status) +
                             "): " + body.substr(0, 500));
  }
  return value;
}

std::string Reply::header(std::string_view name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

namespace {
std::string ErrorMember(const Reply& reply, std::string_view member) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(reply.body, ec);
  if (ec || !value.is_object()) return {};
  const auto* error = value.as_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return {};
  const auto* item = error->as_object().if_contains(member);
  if (item == nullptr || !item->is_string()) return {};
  return std::string(item->as_string());
}
}  // namespace

std::string Reply::error_code() const { return ErrorMember(*this, "code"); }
std::string Reply::error_field() const { return ErrorMember(*this, "field"); }
std::string Reply::error_message() const { return ErrorMember(*this, "message"); }

std::ostream& operator<<(std::ostream& out, const Reply& reply) {
  out << "HTTP " << reply.status << " body: " << reply.body.substr(0, 800);
  if (reply.body.size() > 800) out << "...";
  return out;
}

// ----------------------------------------------------------------------- Client

Client::Client(unsigned short port) : port_(port) {}

Reply Client::Get(std::string_view target, const HeaderMap& extra) {
  return Send("GET", target, std::nullopt, "", extra);
}

Reply Client::Post(std::string_view target, const boost::json::value& body,
                   const HeaderMap& extra) {
  return Send("POST", target, boost::json::serialize(body), "application/json", extra);
}

Reply Client::Patch(std::string_view target, const boost::json::value& body,
                    const HeaderMap& extra) {
  return Send("PATCH", target, boost::json::serialize(body), "application/json", extra);
}

Reply Client::Delete(std::string_view target, const HeaderMap& extra) {
  return Send("DELETE", target, std::nullopt, "", extra);
}

Reply Client::Login(std::string_view username, std::string_view password, std::string_view totp) {
  boost::json::object body{{"username", username}, {"password", password}};
  if (!totp.empty()) body["totp"] = totp;
  Reply reply = Post("/api/v1/auth/login", body);
  if (reply.status == 200) {
    boost::json::value value = reply.json();
    if (const auto* token = value.as_object().if_contains("csrf_token");
        token != nullptr && token->is_string()) {
      csrf_token_ = std::string(token->as_string());
    }
  }
  return reply;
}

std::string Client::cookie(const std::string& name) const {
  auto it = cookies_.find(name);
  return it == cookies_.end() ? std::string() : it->second;
}

void Client::StoreCookie(std::string_view set_cookie) {
  std::string_view pair = set_cookie.substr(0, set_cookie.find(';'));
  std::size_t equals = pair.find('=');
  if (equals == std::string_view::npos) return;
  std::string name(Trim(pair.substr(0, equals)));
  std::string value(Trim(pair.substr(equals + 1)));
  std::string attributes = Lower(set_cookie);
  bool expired = attributes.find("max-age=0") != std::string::npos ||
                 attributes.find("max-age=-") != std::string::npos ||
                 attributes.find("expires=thu, 01 jan 1970") != std::string::npos;
  if (value.empty() || expired) {
    cookies_.erase(name);
  } else {
    cookies_[name] = value;
  }
}

Reply Client::Send(std::string_view method, std::string_view target,
                   std::optional<std::string> body, std::string_view content_type,
                   const HeaderMap& extra) {
  http::request<http::string_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  HeaderMap headers;
  headers["Host"] = "127.0.0.1:" + std::to_string(port_);
  headers["User-Agent"] = "lvyuan-http-test";
  headers["Accept"] = "application/json";
  headers["Connection"] = "close";
  if (!cookies_.empty()) {
    std::string cookie_header;
    for (const auto& [name, value] : cookies_) {
      if (!cookie_header.empty()) cookie_header += "; ";
      cookie_header += name + "=" + value;
    }
    headers["Cookie"] = cookie_header;
  }
  bool unsafe = method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
  if (unsafe && auto_csrf_ && !csrf_token_.empty()) headers["X-CSRF-Token"] = csrf_token_;
  if (!bearer_.empty()) headers["Authorization"] = "Bearer " + bearer_;
  if (body && !content_type.empty()) headers["Content-Type"] = std::string(content_type);
  for (const auto& [name, value] : extra) headers[name] = value;
  for (const auto& [name, value] : headers) {
    if (!value.empty()) request.set(name, value);
  }
  if (body) {
    request.body() = std::move(*body);
    request.prepare_payload();
  } else if (unsafe) {
    request.content_length(0);
  }

  net::io_context io;
  tcp::socket socket(io);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  parser.header_limit(1024 * 1024);
  boost::system::error_code result;
  bool done = false;
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port_);
  socket.async_connect(endpoint, [&](boost::system::error_code ec) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    http::async_write(socket, request, [&](boost::system::error_code, std::size_t) {
      // Read even when writing failed: the server may answer (413, 400) and
      // close before it has read all we sent.
      http::async_read(socket, buffer, parser, [&](boost::system::error_code read_ec, std::size_t) {
        result = read_ec;
        done = true;
      });
    });
  });
  io.run_for(timeout_);
  if (!done) {
    throw std::runtime_error(std::string(method) + " " + std::string(target) +
                             ": no complete response within " + std::to_string(timeout_.count()) +
                             " s");
  }
  if (result) {
    throw std::runtime_error(std::string(method) + " " + std::string(target) + ": " +
                             result.message());
  }
  const auto& response = parser.get();
  Reply reply;
  reply.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    std::string value(field.value());
    if (Lower(name) == "set-cookie") {
      reply.set_cookies.push_back(value);
      StoreCookie(value);
    }
    auto [it, inserted] = reply.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  reply.body = response.body();
  return reply;
}

// ---------------------------------------------------------------- RawConnection

RawConnection::RawConnection(unsigned short port) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int error = errno;
    close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect failed: " + std::string(std::strerror(error)));
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

bool RawConnection::Send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

RawConnection::ReadResult RawConnection::ReadUntilClosed(std::chrono::milliseconds timeout) {
  ReadResult result;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return result;
    pollfd descriptor{fd_, POLLIN, 0};
    int ready = poll(&descriptor, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return result;
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      result.closed = true;
      return result;
    }
    result.data.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string RawConnection::ReadResponse(std::chrono::milliseconds timeout) {
  std::string data;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buffer[4096];
  while (true) {
    std::size_t header_end = data.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      std::string head = Lower(std::string_view(data).substr(0, header_end));
      std::size_t length_at = head.find("\r\ncontent-length:");
      std::size_t length = 0;
      if (length_at != std::string::npos) {
        length = std::strtoul(head.c_str() + length_at + 17, nullptr, 10);
      }
      if (data.size() >= header_end + 4 + length) return data;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return data;
    pollfd descriptor{fd_, POLLIN, 0};
    int ready = poll(&descriptor, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return data;
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return data;
    data.append(buffer, static_cast<std::size_t>(n));
  }
}

unsigned StatusOfRawResponse(std::string_view raw) {
  if (!raw.starts_with("HTTP/1.") || raw.size() < 12) return 0;
  return static_cast<unsigned>(std::strtoul(std::string(raw.substr(9, 3)).c_str(), nullptr, 10));
}

// ---------------------------------------------------------------------- helpers

std::string UrlEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string Totp(std::string_view secret_base32, std::int64_t unix_seconds, int period, int digits,
                 std::string_view algorithm) {
  std::vector<unsigned char> key;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : secret_base32) {
    int value;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a';
    } else if (c >= '2' && c <= '7') {
      value = c - '2' + 26;
    } else if (c == '=' || c == ' ' || c == '-') {
      continue;
    } else {
      throw std::runtime_error("not a Base32 secret: " + std::string(secret_base32));
    }
    buffer = (buffer << 5) | static_cast<unsigned>(value);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      key.push_back(static_cast<unsigned char>((buffer >> bits) & 0xFF));
    }
  }
  std::uint64_t counter = static_cast<std::uint64_t>(unix_seconds / period);
  unsigned char message[8];
  for (int i = 7; i >= 0; --i) {
    message[i] = static_cast<unsigned char>(counter & 0xFF);
    counter >>= 8;
  }
  const EVP_MD* md = algorithm == "SHA256"   ? EVP_sha256()
                     : algorithm == "SHA512" ? EVP_sha512()
                                             : EVP_sha1();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned mac_length = 0;
  if (HMAC(md, key.data(), static_cast<int>(key.size()), message, sizeof message, mac,
           &mac_length) == nullptr) {
    throw std::runtime_error("HMAC failed");
  }
  unsigned offset = mac[mac_length - 1] & 0x0F;
  std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7F) << 24) |
                         (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                         (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                         static_cast<std::uint32_t>(mac[offset + 3]);
  std::uint32_t modulus = 1;
  for (int i = 0; i < digits; ++i) modulus *= 10;
  std::string code = std::to_string(binary % modulus);
  return std::string(static_cast<std::size_t>(digits) - code.size(), '0') + code;
}

std::vector<boost::json::object> ListAll(Client& client, std::string_view path, int limit) {
  std::vector<boost::json::object> items;
  std::set<std::string> seen_cursors;
  std::string cursor;
  char separator = std::string_view(path).find('?') == std::string_view::npos ? '?' : '&';
  for (int page = 0; page < 10000; ++page) {
    std::string target = std::string(path) + separator + "limit=" + std::to_string(limit);
    if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
    Reply reply = client.Get(target);
    if (reply.status != 200) {
      std::ostringstream message;
      message << "GET " << target << " -> " << reply;
      throw std::runtime_error(message.str());
    }
    boost::json::value value = reply.json();
    for (const auto& item : value.at("items").as_array()) items.push_back(item.as_object());
    const boost::json::value* next = value.as_object().if_contains("next_cursor");
    if (next == nullptr || next->is_null()) return items;
    cursor = AsString(*next);
    if (cursor.empty()) return items;
    if (!seen_cursors.insert(cursor).second) {
      throw std::runtime_error("cursor repeated while listing " + std::string(path));
    }
  }
  throw std::runtime_error("too many pages listing " + std::string(path));
}

namespace {
std::optional<std::int64_t> FindByField(Client& client, std::string_view path,
                                        std::string_view field, std::string_view value) {
  for (const auto& target : {std::string(path) + "?q=" + UrlEncode(value), std::string(path)}) {
    for (const auto& item : ListAll(client, target)) {
      const auto* member = item.if_contains(field);
      if (member != nullptr && member->is_string() && member->as_string() == value) {
        return AsInt(item.at("id"));
      }
    }
  }
  return std::nullopt;
}
}  // namespace

std::optional<std::int64_t> FindUserId(Client& client, std::string_view username) {
  return FindByField(client, "/api/v1/users", "username", username);
}

int RunLvyuan(const std::vector<std::string>& args, std::string* output) {
  char pattern[] = "/tmp/lvyuan-cli-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
  const fs::path dir(pattern);
  std::vector<std::string> full = {Binary().string()};
  full.insert(full.end(), args.begin(), args.end());
  std::map<std::string, std::string> env;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--data") env = StoreEnvironment(args[i + 1]);
  }
  Spawned child = Spawn(full, ChildEnvironment(env), dir / "err", dir / "out");
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (output != nullptr) {
    for (const char* name : {"out", "err"}) {
      std::ifstream in(dir / name);
      *output += std::string(std::istreambuf_iterator<char>(in), {});
    }
  }
  std::error_code ignored;
  fs::remove_all(dir, ignored);
  return DecodeWaitStatus(status);
}

std::optional<std::int64_t> FindUnitId(Client& client, std::string_view name) {
  return FindByField(client, "/api/v1/units", "name", name);
}

std::int64_t AsInt(const boost::json::value& value) {
  if (value.is_int64()) return value.as_int64();
  if (value.is_uint64()) return static_cast<std::int64_t>(value.as_uint64());
  if (value.is_double()) {
    double d = value.as_double();
    if (static_cast<double>(static_cast<std::int64_t>(d)) == d) {
      return static_cast<std::int64_t>(d);
    }
  }
  throw std::runtime_error("not an integer: " + boost::json::serialize(value));
}

std::string AsString(const boost::json::value& value) {
  if (!value.is_string()) {
    throw std::runtime_error("not a string: " + boost::json::serialize(value));
  }
  return std::string(value.as_string());
}

}  // namespace lvyuan::http_test
