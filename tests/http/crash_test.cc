// Crash safety of the record: a server with 16 concurrent writers is killed
// with SIGKILL at random moments, 20 times. After every restart each
// acknowledged action is stored, every stored change has its event and every
// event its change, and `lvyuan audit verify` passes on the whole log.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "harness.h"

namespace lvyuan::http_test {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kRounds = 20;
constexpr int kWriters = 16;

// Rows of a query with one text column, read straight from the SQLite file.
std::vector<std::string> Column(const fs::path& db_file, const char* sql) {
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(db_file.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    throw std::runtime_error("cannot open " + db_file.string());
  }
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db.get(), sql, -1, &st, nullptr) != SQLITE_OK) {
    throw std::runtime_error(sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> guard(st, &sqlite3_finalize);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) {
    const auto* text = sqlite3_column_text(st, 0);
    out.emplace_back(text ? reinterpret_cast<const char*>(text) : "");
  }
  return out;
}

TEST(CrashTest, KilledWritersLoseNoAcknowledgedActionAndTheRecordStaysWhole) {
  // A demo deployment in a directory of our own, so it survives restarts.
  char pattern[] = "/tmp/lvyuan-crash-XXXXXX";
  ASSERT_NE(mkdtemp(pattern), nullptr);
  const fs::path dir = fs::path(pattern) / "data";
  {
    auto seed = ServerProcess::Start();
    ASSERT_EQ(seed->ExitCodeAfterTerm(), 0);
    fs::copy(seed->data_dir(), dir, fs::copy_options::recursive);
  }
  const std::map<std::string, std::string> env = {{"LVYUAN_AUTH_LOGIN_RATE_PER_MINUTE", "10000"},
                                                  {"LVYUAN_RECORD_CHECKPOINT_INTERVAL_S", "1"}};
  std::set<std::string> acknowledged;
  std::mt19937 rng(20261201);
  const fs::path db_file = dir / "lvyuan.db";
  // What must hold after every restart: each acknowledged action is stored,
  // every change has its event and every event its change.
  auto check = [&](int round) {
    const auto units = Column(db_file, "SELECT name FROM units WHERE name LIKE '崩溃测试-%'");
    const std::set<std::string> stored(units.begin(), units.end());
    for (const auto& name : acknowledged) {
      ASSERT_TRUE(stored.contains(name))
          << "round " << round << ": acknowledged " << name << " is missing";
    }
    const auto without_event =
        Column(db_file,
               "SELECT CAST(id AS TEXT) FROM units u WHERE name LIKE '崩溃测试-%' AND NOT EXISTS "
               "(SELECT 1 FROM record_events e WHERE e.action = 'unit.create' AND e.object_type = "
               "'unit' AND e.object_id = CAST(u.id AS TEXT))");
    EXPECT_TRUE(without_event.empty()) << "units without their event: " << without_event.size();
    const auto without_change = Column(
        db_file,
        "SELECT object_id FROM record_events e WHERE e.action = 'unit.create' AND NOT EXISTS "
        "(SELECT 1 FROM units u WHERE CAST(u.id AS TEXT) = e.object_id)");
    EXPECT_TRUE(without_change.empty()) << "events without their unit: " << without_change.size();
    const auto doubled = Column(db_file,
                                "SELECT object_id FROM record_events WHERE action = 'unit.create' "
                                "GROUP BY object_id HAVING COUNT(*) > 1");
    EXPECT_TRUE(doubled.empty());
  };

  for (int round = 0; round < kRounds; ++round) {
    ServerOptions options = ReuseDataDir(dir);
    options.env = env;
    auto server = ServerProcess::Start(options);
    // The server has recovered the previous round's crash on opening.
    check(round);
    std::vector<std::unique_ptr<Client>> clients;
    for (int w = 0; w < kWriters; ++w) {
      clients.push_back(std::make_unique<Client>(server->port()));
      ASSERT_EQ(clients.back()->Login("sysadmin", kDemoPassword).status, 200u);
    }
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (int n = 0; !stop && n < 10000; ++n) {
          const std::string name = "崩溃测试-" + std::to_string(round) + "-" + std::to_string(w) +
                                   "-" + std::to_string(n);
          try {
            Reply r =
                clients[w]->Post("/api/v1/units", json::object{{"name", name},
                                                               {"type", "ecology_environment"},
                                                               {"region_code", "330502"}});
            if (r.status != 201) break;
            std::lock_guard lock(mu);
            acknowledged.insert(name);
          } catch (const std::exception&) {
            break;  // the server is gone
          }
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 1300));
    ASSERT_EQ(kill(server->pid(), SIGKILL), 0);
    stop = true;
    for (auto& t : writers) t.join();
    server.reset();
  }
  {
    ServerOptions final_options = ReuseDataDir(dir);
    final_options.env = env;
    auto last = ServerProcess::Start(final_options);
    check(kRounds);
    ASSERT_EQ(last->ExitCodeAfterTerm(), 0);
  }
  EXPECT_GT(acknowledged.size(), static_cast<std::size_t>(kRounds));
  std::string output;
  const int code = RunLvyuan({"audit", "verify", "--data", dir.string()}, &output);
  EXPECT_EQ(code, 0) << output;
  std::error_code ignored;
  fs::remove_all(fs::path(pattern), ignored);
}

}  // namespace
}  // namespace lvyuan::http_test
