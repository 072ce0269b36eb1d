// The PostgreSQL notifier: pg_notify inside the write, one LISTEN connection
// per process on a thread of its own, advisory-lock leases. See store/notify.h.
//
// libpq is used directly (not libpqxx) because the listener waits in poll()
// on the connection's socket and a wake-up pipe at once, which libpqxx 6
// does not offer.
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "store/notify.h"

namespace lvyuan::store::postgres {
namespace {

// The channel every process of one deployment listens on: one per schema,
// at most 63 bytes (PostgreSQL's identifier limit).
constexpr std::string_view kChannelSql = "left('lvyuan.' || current_schema(), 63)";
// How often an idle listening connection is checked with a round trip.
constexpr int kLivenessCheckMs = 30'000;
constexpr std::chrono::milliseconds kFirstReconnectDelay{100};
constexpr std::chrono::milliseconds kMaxReconnectDelay{5'000};

struct PgConnDeleter {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnDeleter>;
struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResultPtr = std::unique_ptr<PGresult, PgResultDeleter>;

// Connects to `url` with TCP keepalives (so a silently dead peer is noticed)
// and the given application_name; nullptr (and a logged reason) on failure.
PgConnPtr ConnectTo(const std::string& url, const char* application_name) {
  const char* keywords[] = {
      "dbname",          "application_name",    "connect_timeout",  "keepalives",
      "keepalives_idle", "keepalives_interval", "keepalives_count", nullptr};
  const char* values[] = {url.c_str(), application_name, "10", "1", "30", "10", "3", nullptr};
  PgConnPtr conn(PQconnectdbParams(keywords, values, /*expand_dbname=*/1));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    spdlog::warn("{}: cannot connect to PostgreSQL: {}", application_name,
                 conn ? PQerrorMessage(conn.get()) : "out of memory");
    return nullptr;
  }
  return conn;
}

// Runs sql (no parameters); the first value of the first row, or nullopt on
// failure.
std::optional<std::string> QueryValue(PGconn* conn, const std::string& sql) {
  PgResultPtr result(PQexec(conn, sql.c_str()));
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) < 1) {
    return std::nullopt;
  }
  return std::string(PQgetvalue(result.get(), 0, 0));
}

class AdvisoryLease final : public Lease {
 public:
  explicit AdvisoryLease(PgConnPtr conn) : conn_(std::move(conn)) {}
  bool Held() override {
    if (PQstatus(conn_.get()) != CONNECTION_OK) return false;
    return QueryValue(conn_.get(), "SELECT 1").has_value();
  }

 private:
  PgConnPtr conn_;  // the lock lives as long as this session
};

class PostgresNotifier final : public Notifier {
 public:
  PostgresNotifier(Database& db, std::string url) : Notifier(db), url_(std::move(url)) {
    if (::pipe2(wake_.data(), O_CLOEXEC | O_NONBLOCK) != 0) {
      spdlog::error("notifier: pipe2 failed; messages from other processes are not heard");
      wake_ = {-1, -1};
      return;
    }
    thread_ = std::thread([this] { Run(); });
  }

  ~PostgresNotifier() override {
    stop_.store(true);
    if (wake_[1] >= 0) {
      const char byte = 1;
      [[maybe_unused]] ssize_t ignored = ::write(wake_[1], &byte, 1);
    }
    if (thread_.joinable()) thread_.join();
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  std::unique_ptr<Lease> TryLead(std::string_view name) override {
    PgConnPtr conn = ConnectTo(url_, "lvyuan-lease");
    if (!conn) return nullptr;
    const std::string owned_name(name);
    const char* params[] = {owned_name.c_str()};
    const std::string sql =
        "SELECT pg_try_advisory_lock(hashtextextended('lvyuan.lease.' || current_schema() || "
        "'.' || $1::text, 0))";
    PgResultPtr result(
        PQexecParams(conn.get(), sql.c_str(), 1, nullptr, params, nullptr, nullptr, 0));
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK || PQntuples(result.get()) != 1) {
      spdlog::warn("lease {}: {}", owned_name, PQerrorMessage(conn.get()));
      return nullptr;
    }
    if (std::string_view(PQgetvalue(result.get(), 0, 0)) != "t") return nullptr;
    return std::make_unique<AdvisoryLease>(std::move(conn));
  }

  bool Listening() const override { return listening_.load(); }

 protected:
  Status PublishInTransaction(Conn& conn, const Notification& message) override {
    std::string wire = message.channel;
    wire += '\n';
    wire += message.payload;
    const Value params[] = {std::move(wire)};
    TRY(conn.Query("SELECT pg_notify(" + std::string(kChannelSql) + ", ?)", params));
    return core::Ok();
  }
  // PostgreSQL delivers to every listener, this process's included.
  void AfterCommit(std::vector<Notification>) override {}

 private:
  // Connects and LISTENs; nullptr on failure.
  PgConnPtr Listen() {
    PgConnPtr conn = ConnectTo(url_, "lvyuan-listen");
    if (!conn) return nullptr;
    std::optional<std::string> channel =
        QueryValue(conn.get(), "SELECT " + std::string(kChannelSql));
    if (!channel) {
      spdlog::warn("notifier: {}", PQerrorMessage(conn.get()));
      return nullptr;
    }
    std::unique_ptr<char, decltype(&PQfreemem)> quoted(
        PQescapeIdentifier(conn.get(), channel->c_str(), channel->size()), &PQfreemem);
    if (quoted == nullptr) return nullptr;
    PgResultPtr result(PQexec(conn.get(), ("LISTEN " + std::string(quoted.get())).c_str()));
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      spdlog::warn("notifier: LISTEN failed: {}", PQerrorMessage(conn.get()));
      return nullptr;
    }
    return conn;
  }

  void DrainNotifications(PGconn* conn) {
    while (PGnotify* raw = PQnotifies(conn)) {
      std::unique_ptr<PGnotify, decltype(&PQfreemem)> note(raw, &PQfreemem);
      std::string_view wire(note->extra);
      const std::size_t newline = wire.find('\n');
      if (newline == std::string_view::npos) continue;  // not ours
      Deliver(Notification{std::string(wire.substr(0, newline)),
                           std::string(wire.substr(newline + 1))});
    }
  }

  // Sleeps for `delay` unless woken to stop. True when stopping.
  bool Pause(std::chrono::milliseconds delay) {
    pollfd wake{.fd = wake_[0], .events = POLLIN, .revents = 0};
    ::poll(&wake, 1, static_cast<int>(delay.count()));
    return stop_.load();
  }

  void Run() {
    PgConnPtr conn;
    bool missed = false;  // messages may have been lost since the last LISTEN
    std::chrono::milliseconds delay = kFirstReconnectDelay;
    while (!stop_.load()) {
      if (!conn) {
        conn = Listen();
        if (!conn) {
          missed = true;
          if (Pause(delay)) break;
          delay = std::min(delay * 2, kMaxReconnectDelay);
          continue;
        }
        delay = kFirstReconnectDelay;
        listening_.store(true);
        if (missed) {
          spdlog::info("notifier: listening again");
          DeliverReset();
          missed = false;
        }
      }
      std::array<pollfd, 2> fds = {pollfd{.fd = PQsocket(conn.get()), .events = POLLIN},
                                   pollfd{.fd = wake_[0], .events = POLLIN}};
      const int ready = ::poll(fds.data(), fds.size(), kLivenessCheckMs);
      if (stop_.load()) break;
      bool alive = true;
      if (ready == 0) {
        alive = QueryValue(conn.get(), "SELECT 1").has_value();
      } else if (ready > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        alive = PQconsumeInput(conn.get()) == 1;
      }
      alive = alive && PQstatus(conn.get()) == CONNECTION_OK;
      DrainNotifications(conn.get());
      if (!alive) {
        spdlog::warn("notifier: lost the listening connection: {}", PQerrorMessage(conn.get()));
        conn.reset();
        listening_.store(false);
        missed = true;
        DeliverReset();
      }
    }
    listening_.store(false);
  }

  const std::string url_;
  std::array<int, 2> wake_ = {-1, -1};  // [0] polled by the listener, [1] written to stop it
  std::atomic<bool> stop_{false};
  std::atomic<bool> listening_{false};
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Notifier> MakePostgresNotifier(Database& db, std::string url) {
  return std::make_unique<PostgresNotifier>(db, std::move(url));
}

}  // namespace lvyuan::store::postgres
