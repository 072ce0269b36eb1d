// Two `lvyuan serve` processes on one PostgreSQL database and one data dir
// (the signing key and the evidence files), as behind a load balancer:
// concurrent clients on both make changes; afterwards the record is one
// gap-free sequence holding every acknowledged change, and it verifies.
// Runs only when LVYUAN_TEST_PG_URL is set.
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "event_stream.h"
#include "harness.h"

namespace lvyuan::http_test {
namespace {

namespace json = boost::json;

constexpr int kClients = 16;
constexpr int kChangesPerClient = 8;

// Rows of a query on the deployment's database, as text; throws on error.
std::vector<std::vector<std::string>> QueryDatabase(const std::string& url,
                                                    const std::string& sql) {
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url.c_str()), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect: " + std::string(PQerrorMessage(conn.get())));
  }
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(conn.get(), sql.c_str()), &PQclear);
  if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
    throw std::runtime_error(sql + ": " + PQerrorMessage(conn.get()));
  }
  std::vector<std::vector<std::string>> rows;
  for (int r = 0; r < PQntuples(result.get()); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < PQnfields(result.get()); ++c)
      row.emplace_back(PQgetvalue(result.get(), r, c));
    rows.push_back(std::move(row));
  }
  return rows;
}

// How many lines of a server's stderr contain `text`.
std::size_t CountLines(const std::string& log, std::string_view text) {
  std::size_t count = 0;
  for (std::size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) {
    ++count;
  }
  return count;
}

struct ClientOutcome {
  std::vector<std::string> acknowledged;  // request ids answered 2xx
  std::vector<std::string> failures;      // what went wrong, for the message
};

class MultiprocessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (PostgresTestUrl().empty()) GTEST_SKIP() << "LVYUAN_TEST_PG_URL is not set";
  }
};

TEST_F(MultiprocessTest, TwoServersOnOneDatabaseKeepOneGapFreeRecordThatVerifies) {
  // Checkpoints every few events and every second, so both processes race to
  // make checkpoints of the same size all through the run and at shutdown.
  const std::map<std::string, std::string> fast = {{"LVYUAN_RECORD_CHECKPOINT_EVERY", "7"},
                                                   {"LVYUAN_RECORD_CHECKPOINT_INTERVAL_S", "1"}};
  ServerOptions first_options = WithEnv(fast);
  first_options.backend = "postgresql";
  auto first = ServerProcess::Start(first_options);
  ServerOptions second_options = ReuseDataDir(first->data_dir());
  second_options.env = fast;
  second_options.backend = "postgresql";
  auto second = ServerProcess::Start(second_options);
  const std::map<std::string, std::string> store =
      StoreEnvironment(first->data_dir(), "postgresql");
  const std::string owner_url = store.at("LVYUAN_STORE_MIGRATION_URL");
  const auto before = QueryDatabase(owner_url, "SELECT COALESCE(MAX(seq), 0) FROM record_events");
  const std::int64_t seq_before = std::stoll(before.at(0).at(0));

  // A session made on one process is valid on the other (sessions live in
  // the database).
  {
    Client on_first(first->port());
    ASSERT_EQ(on_first.Login("sysadmin", kDemoPassword).status, 200u);
    const std::string cookie = on_first.cookie("__Host-lvyuan");
    ASSERT_FALSE(cookie.empty());
    Client on_second(second->port());
    on_second.set_cookie("__Host-lvyuan", cookie);
    on_second.set_csrf_token(on_first.csrf_token());
    Reply me = on_second.Get("/api/v1/me");
    ASSERT_EQ(me.status, 200u) << me;
    EXPECT_EQ(AsString(me.json().at("username")), "sysadmin") << me;
    ASSERT_EQ(on_second.Post("/api/v1/auth/logout").status / 100, 2u);
    EXPECT_EQ(on_first.Get("/api/v1/me").status, 401u) << "logged out on both";
  }

  std::vector<ClientOutcome> outcomes(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      ClientOutcome& outcome = outcomes[static_cast<std::size_t>(i)];
      try {
        Client client(i % 2 == 0 ? first->port() : second->port());
        Reply login = client.Login("sysadmin", kDemoPassword);
        if (login.status != 200) {
          outcome.failures.push_back("login: " + std::to_string(login.status) + " " + login.body);
          return;
        }
        const std::string create_id = "mp-" + std::to_string(i) + "-create";
        Reply created = client.Post("/api/v1/units",
                                    json::object{{"name", "多进程测试单位" + std::to_string(i)},
                                                 {"type", "ecology_environment"},
                                                 {"region_code", "330502"}},
                                    {{"X-Request-Id", create_id}});
        if (created.status != 201) {
          outcome.failures.push_back("create: " + std::to_string(created.status) + " " +
                                     created.body);
          return;
        }
        outcome.acknowledged.push_back(create_id);
        const std::string path = "/api/v1/units/" + std::to_string(AsInt(created.json().at("id")));
        for (int k = 0; k < kChangesPerClient; ++k) {
          const std::string request_id = "mp-" + std::to_string(i) + "-" + std::to_string(k);
          Reply patched = client.Patch(path, {{"contact_person", "联系人" + std::to_string(k)}},
                                       {{"X-Request-Id", request_id}});
          if (patched.status == 200) {
            outcome.acknowledged.push_back(request_id);
          } else {
            outcome.failures.push_back(request_id + ": " + std::to_string(patched.status) + " " +
                                       patched.body);
          }
        }
      } catch (const std::exception& error) {
        outcome.failures.push_back(error.what());
      }
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> acknowledged;
  for (const ClientOutcome& outcome : outcomes) {
    for (const std::string& failure : outcome.failures) ADD_FAILURE() << failure;
    acknowledged.insert(outcome.acknowledged.begin(), outcome.acknowledged.end());
  }
  EXPECT_EQ(acknowledged.size(), static_cast<std::size_t>(kClients * (kChangesPerClient + 1)));

  // While both run, one of them leads and makes every checkpoint: each
  // checkpoint row so far was logged by that process, none by the other.
  {
    const std::string first_log = first->Stderr();
    const std::string second_log = second->Stderr();
    const std::size_t first_made = CountLines(first_log, "checkpoint made at tree size");
    const std::size_t second_made = CountLines(second_log, "checkpoint made at tree size");
    EXPECT_EQ(CountLines(first_log, "this process now makes the checkpoints") +
                  CountLines(second_log, "this process now makes the checkpoints"),
              1u)
        << first_log << "\n----\n"
        << second_log;
    EXPECT_TRUE(first_made == 0 || second_made == 0) << first_made << " and " << second_made;
    const auto rows = QueryDatabase(owner_url, "SELECT COUNT(*) FROM record_checkpoints");
    // The rows made before the run (the demo's) plus the leader's, which may
    // have logged one more line than the query sees only if it committed
    // after it; none was made elsewhere.
    EXPECT_GE(std::stoll(rows.at(0).at(0)), static_cast<std::int64_t>(first_made + second_made));
    EXPECT_GT(first_made + second_made, 0u) << "the run lasted longer than the interval";
  }

  // Both stop cleanly; the last to stop covers every event.
  EXPECT_EQ(first->ExitCodeAfterTerm(), 0) << first->Stderr();
  EXPECT_EQ(second->ExitCodeAfterTerm(), 0) << second->Stderr();
  for (const ServerProcess* server : {first.get(), second.get()}) {
    const std::string err = server->Stderr();
    EXPECT_EQ(err.find("[error]"), std::string::npos) << err;
    EXPECT_EQ(err.find("checkpoint failed"), std::string::npos) << err;
  }

  // Sequence numbers 1..N, no gap, no duplicate (seq is the primary key).
  const auto seqs = QueryDatabase(owner_url, "SELECT seq FROM record_events ORDER BY seq");
  ASSERT_FALSE(seqs.empty());
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    ASSERT_EQ(std::stoll(seqs[i].at(0)), static_cast<std::int64_t>(i + 1)) << "gap before it";
  }
  EXPECT_GE(static_cast<std::int64_t>(seqs.size()),
            seq_before + static_cast<std::int64_t>(acknowledged.size()));

  // Every acknowledged change has exactly one event, of the right action.
  const auto events = QueryDatabase(
      owner_url, "SELECT request_id, action FROM record_events WHERE request_id LIKE 'mp-%'");
  std::map<std::string, std::vector<std::string>> actions;
  for (const auto& row : events) actions[row.at(0)].push_back(row.at(1));
  for (const std::string& request_id : acknowledged) {
    const auto found = actions.find(request_id);
    ASSERT_NE(found, actions.end()) << request_id << " acknowledged but not recorded";
    ASSERT_EQ(found->second.size(), 1u) << request_id;
    EXPECT_EQ(found->second[0], request_id.ends_with("-create") ? "unit.create" : "unit.update")
        << request_id;
  }

  // Checkpoints of both processes: one per size, the last covering all.
  const auto checkpoints = QueryDatabase(
      owner_url, "SELECT COUNT(*), COUNT(DISTINCT size), MAX(size) FROM record_checkpoints");
  EXPECT_EQ(checkpoints.at(0).at(0), checkpoints.at(0).at(1));
  EXPECT_EQ(std::stoll(checkpoints.at(0).at(2)), static_cast<std::int64_t>(seqs.size()));

  // The whole record re-walks: leaves, tree, checkpoints and signatures.
  std::string output;
  EXPECT_EQ(RunLvyuan({"audit", "verify", "--data", first->data_dir().string()}, &output), 0)
      << output;
  EXPECT_NE(output.find("record verified"), std::string::npos) << output;
}

// A change made through one process reaches the other at once: its session
// cache is emptied (no waiting out the cache time) and a browser's event
// stream on it hears of new checkpoints and of its session's end.
TEST_F(MultiprocessTest, LogoutOnOneServerEndsTheSessionAndItsStreamOnTheOther) {
  const std::map<std::string, std::string> fast = {{"LVYUAN_RECORD_CHECKPOINT_EVERY", "1000"},
                                                   {"LVYUAN_RECORD_CHECKPOINT_INTERVAL_S", "1"}};
  ServerOptions first_options = WithEnv(fast);
  first_options.backend = "postgresql";
  auto first = ServerProcess::Start(first_options);
  ServerOptions second_options = ReuseDataDir(first->data_dir());
  second_options.env = fast;
  second_options.backend = "postgresql";
  auto second = ServerProcess::Start(second_options);

  Client on_first(first->port());
  ASSERT_EQ(on_first.Login("sysadmin", kDemoPassword).status, 200u);
  const std::string cookie = on_first.cookie("__Host-lvyuan");
  Client on_second(second->port());
  on_second.set_cookie("__Host-lvyuan", cookie);
  // The second process now has the session in its cache.
  ASSERT_EQ(on_second.Get("/api/v1/me").status, 200u);
  ASSERT_EQ(on_second.Get("/api/v1/me").status, 200u);

  EventStream stream(second->port(), cookie);
  ASSERT_TRUE(stream.WaitFor("\r\n\r\n")) << stream.received();
  ASSERT_TRUE(stream.received().starts_with("HTTP/1.1 200")) << stream.received();
  EXPECT_NE(stream.received().find("text/event-stream"), std::string::npos) << stream.received();

  // A change through the first process; whichever process leads makes its
  // checkpoint, and the stream on the second hears of it.
  Reply created = on_first.Post("/api/v1/units", json::object{{"name", "事件流测试单位"},
                                                              {"type", "ecology_environment"},
                                                              {"region_code", "330502"}});
  ASSERT_EQ(created.status, 201u) << created;
  ASSERT_TRUE(stream.WaitFor("event: checkpoint\ndata: {\"size\":")) << stream.received();

  ASSERT_EQ(on_first.Post("/api/v1/auth/logout").status, 204u);
  // Well within the 5 s the cache would otherwise keep the session.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  unsigned status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    status = on_second.Get("/api/v1/me").status;
    if (status == 401) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(status, 401u) << "the second process still answers from its cache";
  EXPECT_TRUE(stream.WaitFor("event: session\ndata: {\"reason\":\"revoked\"}\n\n"))
      << stream.received();
  EXPECT_TRUE(stream.WaitForClose()) << "the stream ends with its session";
}

TEST_F(MultiprocessTest, LoginAttemptsSpreadOverBothServersShareOneRateLimit) {
  const std::map<std::string, std::string> strict = {{"LVYUAN_AUTH_LOGIN_RATE_PER_MINUTE", "4"},
                                                     {"LVYUAN_AUTH_LOCKOUT_THRESHOLD", "100"}};
  ServerOptions first_options = WithEnv(strict);
  first_options.backend = "postgresql";
  auto first = ServerProcess::Start(first_options);
  ServerOptions second_options = ReuseDataDir(first->data_dir());
  second_options.env = strict;
  second_options.backend = "postgresql";
  auto second = ServerProcess::Start(second_options);
  Client on_first(first->port());
  Client on_second(second->port());
  // Four attempts in all, alternating: each process alone would allow four.
  for (int attempt = 0; attempt < 4; ++attempt) {
    Client& client = attempt % 2 == 0 ? on_first : on_second;
    Reply reply = client.Login("hzhb_officer", "Wrong-password-" + std::to_string(attempt));
    ASSERT_EQ(reply.status, 401u) << "attempt " << attempt << ": " << reply;
  }
  for (Client* client : {&on_first, &on_second}) {
    Reply limited = client->Login("hzhb_officer", kDemoPassword);
    EXPECT_EQ(limited.status, 429u) << limited;
    EXPECT_EQ(limited.error_code(), "RESOURCE_EXHAUSTED") << limited;
  }
}

}  // namespace
}  // namespace lvyuan::http_test
