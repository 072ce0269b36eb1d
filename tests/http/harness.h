// Black-box test harness: runs the real `lvyuan` executable as a child process
// and talks to it over TCP on 127.0.0.1.
//
// ServerProcess owns one server (its temp data dir, web root and process);
// Client is a small synchronous HTTP/1.1 client with a cookie jar and the CSRF
// header the API requires; RawConnection writes arbitrary bytes for the tests
// of malformed, slow and oversized requests.
//
// Failures to start or talk to the server throw std::runtime_error, which
// GoogleTest reports as a test failure with the message (and the server's
// stderr where it matters). None of these classes is thread-safe, except that
// ServerProcess drains the child's stdout on its own thread.
#pragma once

#include <sys/types.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace lvyuan::http_test {

// The password `lvyuan demo` gives every demo account unless told otherwise.
inline constexpr std::string_view kDemoPassword = "Lvyuan@2026demo";

struct CaseInsensitiveLess {
  bool operator()(std::string_view a, std::string_view b) const;
  using is_transparent = void;
};
using HeaderMap = std::map<std::string, std::string, CaseInsensitiveLess>;

struct ServerOptions {
  // Extra environment for `lvyuan serve` (e.g. LVYUAN_AUTH_IDLE_TIMEOUT_S).
  // Overrides the harness defaults below.
  std::map<std::string, std::string> env;
  // Run `lvyuan demo` on the fresh data dir before serving.
  bool demo = true;
  // Password for the demo accounts; empty means kDemoPassword.
  std::string demo_password;
  // Pass --totp to `lvyuan demo` (admin accounts must enrol TOTP).
  bool demo_totp = false;
  // Serve this existing data dir instead of a fresh one (no demo is run and
  // the directory is not removed). Used to restart on the same state; on
  // PostgreSQL the server gets the database the harness gave that data dir.
  std::filesystem::path data_dir;
  // "sqlite" or "postgresql"; empty means TestBackend().
  std::string backend;
};

// ServerOptions with only `env` set.
inline ServerOptions WithEnv(std::map<std::string, std::string> env) {
  ServerOptions options;
  options.env = std::move(env);
  return options;
}
// ServerOptions that serve an existing data dir (e.g. after a restart).
inline ServerOptions ReuseDataDir(std::filesystem::path data_dir) {
  ServerOptions options;
  options.data_dir = std::move(data_dir);
  return options;
}

// The database backend of the servers and commands the harness starts:
// "postgresql" when the environment variable LVYUAN_TEST_BACKEND is
// "postgresql", otherwise "sqlite". On PostgreSQL the server named by
// LVYUAN_TEST_PG_URL (a superuser, as scripts/pg-test-cluster prints) gets a
// fresh database for every new data dir (lvyuan_t_<pid>_<n>, C.UTF-8), made
// on first use and dropped when the test process exits. The deployment
// migrates as that superuser (LVYUAN_STORE_MIGRATION_URL) and serves as the
// restricted role kPostgresAppRole (LVYUAN_STORE_URL), which the harness
// creates when missing.
std::string TestBackend();
inline bool OnPostgres() { return TestBackend() == "postgresql"; }
// LVYUAN_TEST_PG_URL, or "" when unset.
std::string PostgresTestUrl();
inline constexpr std::string_view kPostgresAppRole = "lvyuan_app";

// The environment a `lvyuan` command on data_dir needs to reach its store:
// empty on SQLite (the database is a file in the data dir); on PostgreSQL
// LVYUAN_STORE_URL and LVYUAN_STORE_MIGRATION_URL of the database of that
// data dir (made fresh when the data dir has none yet). Throws
// std::runtime_error when the database cannot be made. backend as in
// ServerOptions.
std::map<std::string, std::string> StoreEnvironment(const std::filesystem::path& data_dir,
                                                    std::string_view backend = {});
// Makes `copy` (a copy of the data dir `original`) use original's store.
// No-op on SQLite, whose database file is copied with the directory.
void ShareStore(const std::filesystem::path& copy, const std::filesystem::path& original);

class ServerProcess {
 public:
  // Creates the data dir (and a web root holding index.html unless
  // LVYUAN_SERVER_WEB_ROOT is in options.env), runs `lvyuan demo` (its result
  // is cached per binary build in the temp dir and copied; set
  // LVYUAN_HTTP_TEST_DEMO_CACHE=0 to disable), starts
  // `lvyuan serve --listen 127.0.0.1:0` and waits (up to 30 s) for the
  // "lvyuan listening on http://127.0.0.1:PORT" line. Throws
  // std::runtime_error with the captured stderr when any step fails.
  static std::unique_ptr<ServerProcess> Start(ServerOptions options = {});

  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // SIGTERM, bounded wait, then SIGKILL; removes the temp dirs it created.
  ~ServerProcess();

  unsigned short port() const { return port_; }
  // "sqlite" or "postgresql".
  const std::string& backend() const { return backend_; }
  // The server process (for /proc/<pid>/status).
  pid_t pid() const { return pid_; }
  const std::filesystem::path& data_dir() const { return data_dir_; }
  const std::filesystem::path& web_root() const { return web_root_; }
  // The body of the index.html the harness wrote into its web root.
  static std::string_view IndexHtml();

  // Sends SIGTERM and waits (up to 30 s) for the process to exit. Returns its
  // exit code, 128 + signal number if a signal ended it, or -1 if it had to
  // be killed after the wait.
  int ExitCodeAfterTerm();

  // Lines the server printed to stdout so far, and its stderr so far.
  std::vector<std::string> StdoutLines() const;
  std::string Stderr() const;

 private:
  ServerProcess() = default;
  void DrainStdout();
  int WaitForExit(std::chrono::milliseconds timeout);  // -2 while still running

  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = 0;
  int stdout_fd_ = -1;
  unsigned short port_ = 0;
  bool own_data_dir_ = false;
  std::string backend_;
  std::filesystem::path root_;  // temp dir holding everything we created
  std::filesystem::path data_dir_;
  std::filesystem::path web_root_;
  std::filesystem::path stderr_path_;
  std::thread reader_;

  mutable std::mutex mutex_;  // guards the three members below
  std::condition_variable lines_changed_;
  std::vector<std::string> lines_;
  bool stdout_closed_ = false;
};

struct Reply {
  unsigned status = 0;
  HeaderMap headers;                     // repeated fields joined with ", "
  std::vector<std::string> set_cookies;  // every Set-Cookie field, verbatim
  std::string body;

  // Parses the body; throws std::runtime_error (with the body) if not JSON.
  boost::json::value json() const;
  std::string header(std::string_view name) const;
  // error.code / error.field / error.message of an error body, or "".
  std::string error_code() const;
  std::string error_field() const;
  std::string error_message() const;
};
// For assertion messages: status and (truncated) body.
std::ostream& operator<<(std::ostream& out, const Reply& reply);

class Client {
 public:
  explicit Client(unsigned short port);

  Reply Get(std::string_view target, const HeaderMap& extra = {});
  Reply Post(std::string_view target, const boost::json::value& body = boost::json::object(),
             const HeaderMap& extra = {});
  Reply Patch(std::string_view target, const boost::json::value& body, const HeaderMap& extra = {});
  Reply Delete(std::string_view target, const HeaderMap& extra = {});
  // Sends `body` verbatim (when set) with the given Content-Type. An empty
  // value in `extra` removes a header the client would add itself.
  Reply Send(std::string_view method, std::string_view target, std::optional<std::string> body,
             std::string_view content_type = "application/json", const HeaderMap& extra = {});

  // POST /api/v1/auth/login; on 200 remembers csrf_token for later requests.
  Reply Login(std::string_view username, std::string_view password, std::string_view totp = "");

  // Adds X-CSRF-Token to POST/PUT/PATCH/DELETE when a token is known (default on).
  void set_auto_csrf(bool on) { auto_csrf_ = on; }
  void set_csrf_token(std::string token) { csrf_token_ = std::move(token); }
  const std::string& csrf_token() const { return csrf_token_; }
  // Sends "Authorization: Bearer <token>" on every request when non-empty.
  void set_bearer(std::string token) { bearer_ = std::move(token); }

  // The cookie jar.
  std::string cookie(const std::string& name) const;
  void set_cookie(const std::string& name, std::string value) { cookies_[name] = std::move(value); }
  void clear_cookies() { cookies_.clear(); }

  unsigned short port() const { return port_; }

 private:
  void StoreCookie(std::string_view set_cookie);

  unsigned short port_;
  std::chrono::seconds timeout_{60};
  bool auto_csrf_ = true;
  std::string csrf_token_;
  std::string bearer_;
  std::map<std::string, std::string> cookies_;
};

// A plain TCP connection for requests no well-behaved client would send.
class RawConnection {
 public:
  explicit RawConnection(unsigned short port);  // throws when it cannot connect
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection();

  // Writes all of `data`; false if the peer closed or reset the connection.
  bool Send(std::string_view data);
  struct ReadResult {
    std::string data;
    bool closed = false;  // the peer closed (EOF or reset) within the time
  };
  // Reads until the peer closes the connection or `timeout` passes.
  ReadResult ReadUntilClosed(std::chrono::milliseconds timeout);
  // Reads one HTTP response (headers plus Content-Length body), stopping
  // early at EOF or after `timeout`. Returns what arrived.
  std::string ReadResponse(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

// The status code of a raw "HTTP/1.1 NNN ..." response, or 0.
unsigned StatusOfRawResponse(std::string_view raw);

// Percent-encodes everything except RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view text);

// RFC 6238 TOTP computed independently of the server: `secret_base32` as
// shown by /api/v1/me/totp/setup; `algorithm` is SHA1, SHA256 or SHA512.
std::string Totp(std::string_view secret_base32, std::int64_t unix_seconds, int period = 30,
                 int digits = 6, std::string_view algorithm = "SHA1");

// Walks a cursor-paged list (`path` may already hold a query) and returns
// every item. Throws when a page is not 200 or the cursor repeats.
std::vector<boost::json::object> ListAll(Client& client, std::string_view path, int limit = 100);
// The id of the user / unit with this exact username / name as listed by
// `client`; std::nullopt when it is not in the caller's view.
std::optional<std::int64_t> FindUserId(Client& client, std::string_view username);
std::optional<std::int64_t> FindUnitId(Client& client, std::string_view name);

// Runs `lvyuan ARGS...` (the binary under test) to completion with a clean
// environment (plus StoreEnvironment of the `--data DIR` among args) and
// returns its exit code; its stdout and stderr, together, go to *output when
// given.
int RunLvyuan(const std::vector<std::string>& args, std::string* output = nullptr);

// A JSON number read as int64 (accepts int64, uint64 and integral doubles).
std::int64_t AsInt(const boost::json::value& value);
// A JSON string as std::string; throws if not a string.
std::string AsString(const boost::json::value& value);

}  // namespace lvyuan::http_test
