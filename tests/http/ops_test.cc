// Operations: health, readiness, metrics, request ids, graceful shutdown and
// the static web shell.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <set>
#include <thread>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

class OpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Client NewClient() { return Client(server_->port()); }

  static ServerProcess* server_;
};
ServerProcess* OpsTest::server_ = nullptr;

// Runs PRAGMA integrity_check on a database file after the server has exited.
std::string IntegrityCheck(const std::filesystem::path& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  if (rc != SQLITE_OK) return "open failed: " + std::string(sqlite3_errstr(rc));
  sqlite3_stmt* raw_statement = nullptr;
  rc = sqlite3_prepare_v2(db.get(), "PRAGMA integrity_check", -1, &raw_statement, nullptr);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> statement(raw_statement,
                                                                       &sqlite3_finalize);
  if (rc != SQLITE_OK) return "prepare failed: " + std::string(sqlite3_errmsg(db.get()));
  std::string result;
  while (sqlite3_step(statement.get()) == SQLITE_ROW) {
    if (!result.empty()) result += "\n";
    result += reinterpret_cast<const char*>(sqlite3_column_text(statement.get(), 0));
  }
  return result;
}

TEST_F(OpsTest, HealthzIsOkJson) {
  Reply reply = NewClient().Get("/healthz");
  ASSERT_EQ(reply.status, 200u) << reply;
  EXPECT_NE(reply.header("Content-Type").find("application/json"), std::string::npos);
  EXPECT_EQ(AsString(reply.json().at("status")), "ok");
}

TEST_F(OpsTest, ReadyzIsOkOnceListening) {
  Reply reply = NewClient().Get("/readyz");
  EXPECT_EQ(reply.status, 200u) << reply;
}

TEST_F(OpsTest, MetricsExposeRequestCountsAndOpenConnections) {
  Client client = NewClient();
  ASSERT_EQ(client.Get("/healthz").status, 200u);
  Reply reply = client.Get("/metrics");
  ASSERT_EQ(reply.status, 200u) << reply;
  EXPECT_NE(reply.header("Content-Type").find("text/plain"), std::string::npos)
      << reply.header("Content-Type");
  EXPECT_NE(reply.body.find("lvyuan_http_requests_total"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("lvyuan_http_open_connections"), std::string::npos) << reply.body;
  EXPECT_NE(reply.body.find("# TYPE lvyuan_http_requests_total counter"), std::string::npos)
      << reply.body;
}

TEST_F(OpsTest, RequestIdIsEchoedWhenSentAndGeneratedWhenNot) {
  Client client = NewClient();
  Reply echoed = client.Get("/healthz", {{"X-Request-Id", "ops-test-7f3a"}});
  EXPECT_EQ(echoed.header("X-Request-Id"), "ops-test-7f3a");

  Reply first = client.Get("/healthz");
  Reply second = client.Get("/api/v1/me");
  EXPECT_FALSE(first.header("X-Request-Id").empty());
  EXPECT_FALSE(second.header("X-Request-Id").empty()) << "error answers carry an id too";
  EXPECT_NE(first.header("X-Request-Id"), second.header("X-Request-Id"));
}

TEST_F(OpsTest, HostileRequestIdIsNotEchoedVerbatim) {
  // A request id becomes part of logs and headers: control characters or
  // a huge value must not be reflected as is.
  Reply reply = NewClient().Get("/healthz", {{"X-Request-Id", std::string(2000, 'a')}});
  EXPECT_EQ(reply.status, 200u) << reply;
  EXPECT_LE(reply.header("X-Request-Id").size(), 200u);
  EXPECT_FALSE(reply.header("X-Request-Id").empty());
}

TEST_F(OpsTest, AccessLogLinesAreJson) {
  Client client = NewClient();
  ASSERT_EQ(client.Get("/healthz", {{"X-Request-Id", "ops-log-line-1"}}).status, 200u);
  bool found = false;
  for (int attempt = 0; attempt < 50 && !found; ++attempt) {
    for (const auto& line : server_->StdoutLines()) {
      if (line.find("ops-log-line-1") == std::string::npos) continue;
      boost::system::error_code ec;
      boost::json::value value = boost::json::parse(line, ec);
      EXPECT_FALSE(ec) << "access log line is not JSON: " << line;
      found = true;
    }
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(found) << "no access log line with the request id on stdout";
}

TEST_F(OpsTest, RootServesTheWebShellIndex) {
  Reply reply = NewClient().Get("/", {{"Accept", "text/html"}});
  ASSERT_EQ(reply.status, 200u) << reply;
  EXPECT_NE(reply.header("Content-Type").find("text/html"), std::string::npos)
      << reply.header("Content-Type");
  EXPECT_EQ(reply.body, ServerProcess::IndexHtml());
}

TEST_F(OpsTest, UnknownNonApiPathFallsBackToIndexForTheSinglePageApp) {
  Reply reply = NewClient().Get("/some/spa/route", {{"Accept", "text/html"}});
  ASSERT_EQ(reply.status, 200u) << reply;
  EXPECT_NE(reply.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_EQ(reply.body, ServerProcess::IndexHtml());
}

TEST_F(OpsTest, PathTraversalOutsideTheWebRootIsNotServed) {
  for (std::string target : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                             "/..%2f..%2f..%2f..%2fetc%2fpasswd"}) {
    RawConnection connection(server_->port());
    connection.Send("GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    std::string response = connection.ReadResponse(std::chrono::seconds(10));
    unsigned status = StatusOfRawResponse(response);
    EXPECT_NE(status, 0u) << target;
    EXPECT_LT(status, 500u) << target << ": " << response.substr(0, 300);
    EXPECT_EQ(response.find("root:"), std::string::npos) << target << " leaked /etc/passwd";
  }
}

TEST(OpsShutdownTest, SigtermExitsZeroAndLeavesAnIntactDatabaseThatServesAgain) {
  auto server = ServerProcess::Start();
  std::filesystem::path data_dir = server->data_dir();
  {
    Client client(server->port());
    ASSERT_EQ(client.Login("sysadmin", kDemoPassword).status, 200u);
    Reply created =
        client.Post("/api/v1/units",
                    {{"name", "关停前创建的单位"}, {"type", "other"}, {"region_code", "330500"}});
    ASSERT_EQ(created.status, 201u) << created;
  }
  EXPECT_EQ(server->ExitCodeAfterTerm(), 0) << server->Stderr();
  ASSERT_TRUE(std::filesystem::exists(data_dir / "lvyuan.db"));
  EXPECT_EQ(IntegrityCheck(data_dir / "lvyuan.db"), "ok");

  auto restarted = ServerProcess::Start(ReuseDataDir(data_dir));
  Client client(restarted->port());
  ASSERT_EQ(client.Login("sysadmin", kDemoPassword).status, 200u);
  EXPECT_TRUE(FindUnitId(client, "关停前创建的单位").has_value());
  EXPECT_EQ(restarted->ExitCodeAfterTerm(), 0) << restarted->Stderr();
}

TEST(OpsShutdownTest, SigtermWithOpenIdleConnectionStillExitsZero) {
  auto server = ServerProcess::Start();
  RawConnection idle(server->port());
  ASSERT_TRUE(idle.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"));
  ASSERT_EQ(StatusOfRawResponse(idle.ReadResponse(std::chrono::seconds(10))), 200u);
  EXPECT_EQ(server->ExitCodeAfterTerm(), 0) << server->Stderr();
}

}  // namespace
}  // namespace lvyuan::http_test
