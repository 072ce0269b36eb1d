// Starts a real Server on 127.0.0.1, port 0, and talks to it over TCP.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <condition_variable>
#include <csignal>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "http/access_log.h"
#include "http/json.h"
#include "http/test_client.h"

namespace lvyuan::http {
namespace {

namespace fs = std::filesystem;
using testing::BodyJson;
using testing::ClientResponse;
using testing::Fetch;
using testing::HeaderOf;
using testing::TestClient;
using namespace std::chrono_literals;

constexpr std::string_view kJson = "application/json";

std::string ErrorCodeOf(const ClientResponse& response) {
  return std::string(BodyJson(response).at("error").at("code").as_string());
}
std::string ErrorMessageOf(const ClientResponse& response) {
  return std::string(BodyJson(response).at("error").at("message").as_string());
}
std::string ErrorFieldOf(const ClientResponse& response) {
  return std::string(BodyJson(response).at("error").at("field").as_string());
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("lvyuan_server_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    ASSERT_TRUE(ConfigureAccessLog((dir_ / "access.log").string()).ok());
  }

  void TearDown() override {
    StopServer();
    fs::remove_all(dir_);
  }

  void StartServer(ServerOptions options = {}) {
    options.host = "127.0.0.1";
    options.port = 0;
    AddRoutes();
    Hooks hooks;
    hooks.authenticate = [](std::string_view session, std::string_view bearer,
                            const Request&) -> core::Result<domain::Principal> {
      domain::Principal principal;
      if (bearer == "good-token") {
        principal.username = "integration";
        principal.via = domain::Principal::Via::kApiToken;
        principal.permissions = {"test:read", "test:write"};
        return principal;
      }
      if (!bearer.empty()) return core::Unauthenticated("令牌无效");
      if (session == "good-session" || session == "pending-totp") {
        principal.user_id = 7;
        principal.username = "hzhb_admin";
        principal.permissions = {"test:read"};
        principal.must_enrol_totp = session == "pending-totp";
        return principal;
      }
      return core::Unauthenticated("会话已失效，请重新登录");
    };
    hooks.check_csrf = [](const domain::Principal&, std::string_view value) {
      return value == "csrf-ok";
    };
    hooks.on_denied = [this](const Request& request, const domain::Principal* principal,
                             std::string_view reason) {
      std::lock_guard lock(denied_mu_);
      denied_.push_back(std::string(reason) + "|" + request.route_pattern + "|" +
                        (principal ? principal->username : "-"));
    };
    hooks.ready = [this] { return ready_.load(); };
    server_ = std::make_unique<Server>(options, router_, hooks);
    core::Status started = server_->Start();
    ASSERT_TRUE(started.ok()) << started.error().ToString();
    port_ = server_->port();
    ASSERT_NE(port_, 0);
    thread_ = std::thread([this] { server_->Run(); });
  }

  void StopServer() {
    if (!server_) return;
    server_->Stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

  void AddRoutes() {
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/items/{id}",
                 .auth = Auth::kPublic,
                 .handler = [](Request& request) {
                   return JsonResponse(200, {{"id", request.PathParam("id")}});
                 }});
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/items/{id}/parts/{part}",
                 .auth = Auth::kPublic,
                 .handler = [](Request& request) {
                   return JsonResponse(
                       200, {{"id", request.PathParam("id")}, {"part", request.PathParam("part")}});
                 }});
    router_.Add({.method = Verb::post,
                 .pattern = "/api/v1/items",
                 .auth = Auth::kPublic,
                 .handler = WithJsonBody(
                     [](Request&, const boost::json::object& body) -> core::Result<Response> {
                       JsonFields fields(body);
                       TRY(fields.RejectUnknown({"name", "count"}));
                       std::string name = TRY(fields.String("name", 20));
                       std::optional<std::int64_t> count = TRY(fields.OptInt("count"));
                       return JsonResponse(201, {{"name", name}, {"count", count.value_or(0)}});
                     })});
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/query",
                 .auth = Auth::kPublic,
                 .handler = [](Request& request) {
                   return JsonResponse(200, {{"q", request.Query("q").value_or("")}});
                 }});
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/ip",
                 .auth = Auth::kPublic,
                 .handler = [](Request& request) {
                   return JsonResponse(200, {{"ip", request.client_ip}});
                 }});
    auto who = [](Request& request) {
      return JsonResponse(200, {{"user", request.principal->username}});
    };
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/secure",
                 .permission = "test:read",
                 .handler = who});
    router_.Add({.method = Verb::post,
                 .pattern = "/api/v1/secure",
                 .permission = "test:read",
                 .handler = who});
    router_.Add({.method = Verb::post,
                 .pattern = "/api/v1/write",
                 .permission = "test:write",
                 .handler = who});
    router_.Add(
        {.method = Verb::get, .pattern = "/api/v1/me", .allow_pending_totp = true, .handler = who});
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/boom",
                 .auth = Auth::kPublic,
                 .handler = [](Request&) -> Response {
                   throw std::runtime_error("secret internal detail");
                 }});
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/slow",
                 .auth = Auth::kPublic,
                 .handler = [this](Request&) {
                   slow_started_.set_value();
                   std::this_thread::sleep_for(1500ms);
                   return JsonResponse(200, {{"slow", "done"}});
                 }});
  }

  std::vector<std::string> Denied() {
    std::lock_guard lock(denied_mu_);
    return denied_;
  }

  std::string ReadAccessLog() {
    FlushAccessLog();
    std::ifstream in(dir_ / "access.log");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path dir_;
  Router router_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
  std::atomic<bool> ready_{true};
  std::promise<void> slow_started_;
  std::mutex denied_mu_;
  std::vector<std::string> denied_;
};

// ---- routing ---------------------------------------------------------------

TEST_F(ServerTest, PassesPathParametersToHandler) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/items/42/parts/%E9%98%80");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(BodyJson(response).at("id"), "42");
  EXPECT_EQ(BodyJson(response).at("part"), "阀");
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-store");
}

TEST_F(ServerTest, PassesDecodedQueryParameters) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/query?q=%E6%B9%96%E5%B7%9E&x=1");
  EXPECT_EQ(BodyJson(response).at("q"), "湖州");
}

TEST_F(ServerTest, UnknownApiRouteIsJson404) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/nothing");
  EXPECT_EQ(response.result_int(), 404u);
  EXPECT_EQ(ErrorCodeOf(response), "NOT_FOUND");
  EXPECT_EQ(ErrorMessageOf(response), "接口不存在");
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  StartServer();
  auto response = Fetch(port_, Verb::delete_, "/api/v1/items/1");
  EXPECT_EQ(response.result_int(), 405u);
  EXPECT_NE(HeaderOf(response, "Allow").find("GET"), std::string::npos);
}

TEST_F(ServerTest, HeadOnGetRouteSendsHeadersOnly) {
  StartServer();
  auto response = Fetch(port_, Verb::head, "/healthz");
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(HeaderOf(response, "Content-Length"), "15");  // {"status":"ok"}
}

// ---- limits and timeouts -----------------------------------------------------

TEST_F(ServerTest, BodyOverLimitIs413) {
  ServerOptions options;
  options.body_limit = 1024;
  StartServer(options);
  auto response = Fetch(port_, Verb::post, "/api/v1/items", {{"Content-Type", "application/json"}},
                        std::string(2000, 'x'));
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_EQ(ErrorCodeOf(response), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(ErrorMessageOf(response), "请求体过大");
}

TEST_F(ServerTest, ChunkedBodyOverLimitIs413) {
  ServerOptions options;
  options.body_limit = 1024;
  StartServer(options);
  TestClient client(port_);
  std::string chunk(800, 'x');
  client.WriteRaw(
      "POST /api/v1/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n320\r\n" +
      chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 413u);
}

TEST_F(ServerTest, OversizedHeadersAreRefused) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/healthz", {{"X-Padding", std::string(20 * 1024, 'a')}});
  EXPECT_EQ(response.result_int(), 431u);
}

TEST_F(ServerTest, MalformedRequestIs400) {
  StartServer();
  TestClient client(port_);
  client.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 400u);
}

TEST_F(ServerTest, SlowHeaderClientIsDisconnected) {
  ServerOptions options;
  options.header_timeout = 1s;
  StartServer(options);
  TestClient client(port_);
  client.WriteRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n");  // and never the blank line
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  TestClient client(port_);
  auto first = client.Send(Verb::get, "/api/v1/items/1");
  auto second = client.Send(Verb::get, "/api/v1/items/2");
  EXPECT_EQ(first.result_int(), 200u);
  EXPECT_EQ(second.result_int(), 200u);
  EXPECT_EQ(BodyJson(second).at("id"), "2");
  EXPECT_TRUE(second.keep_alive());
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  TestClient client(port_);
  auto response = client.Send(Verb::get, "/healthz", {{"Connection", "close"}});
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(client.WaitForClose());
}

// ---- JSON bodies -------------------------------------------------------------

TEST_F(ServerTest, MalformedJsonIs400) {
  StartServer();
  auto response =
      Fetch(port_, Verb::post, "/api/v1/items", {{"Content-Type", std::string(kJson)}}, "{\"na");
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(ErrorCodeOf(response), "INVALID_ARGUMENT");
  EXPECT_EQ(ErrorMessageOf(response), "请求体不是合法的 JSON");
}

TEST_F(ServerTest, WrongFieldTypeIs400NamingTheField) {
  StartServer();
  auto response = Fetch(port_, Verb::post, "/api/v1/items", {{"Content-Type", std::string(kJson)}},
                        R"({"name":"阀门","count":"three"})");
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(ErrorFieldOf(response), "count");
}

TEST_F(ServerTest, UnknownFieldIs400NamingTheField) {
  StartServer();
  auto response = Fetch(port_, Verb::post, "/api/v1/items", {{"Content-Type", std::string(kJson)}},
                        R"({"name":"阀门","colour":"red"})");
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(ErrorFieldOf(response), "colour");
  EXPECT_EQ(ErrorMessageOf(response), "未知字段");
}

TEST_F(ServerTest, NonJsonContentTypeIs415) {
  StartServer();
  auto response = Fetch(port_, Verb::post, "/api/v1/items", {{"Content-Type", "text/plain"}},
                        R"({"name":"x"})");
  EXPECT_EQ(response.result_int(), 415u);
}

TEST_F(ServerTest, ValidJsonReachesHandler) {
  StartServer();
  auto response =
      Fetch(port_, Verb::post, "/api/v1/items",
            {{"Content-Type", "application/json; charset=utf-8"}}, R"({"name":"阀门","count":3})");
  EXPECT_EQ(response.result_int(), 201u);
  EXPECT_EQ(BodyJson(response).at("count"), 3);
}

// ---- request ids and the access log --------------------------------------------

TEST_F(ServerTest, EchoesWellFormedRequestId) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/healthz", {{"X-Request-Id", "trace-abc.123"}});
  EXPECT_EQ(HeaderOf(response, "X-Request-Id"), "trace-abc.123");
}

TEST_F(ServerTest, GeneratesRequestIdWhenMissingOrMalformed) {
  StartServer();
  auto missing = Fetch(port_, Verb::get, "/healthz");
  std::string id = HeaderOf(missing, "X-Request-Id");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  auto malformed = Fetch(port_, Verb::get, "/healthz", {{"X-Request-Id", "bad id <script>"}});
  EXPECT_EQ(HeaderOf(malformed, "X-Request-Id").size(), 32u);
  EXPECT_NE(HeaderOf(malformed, "X-Request-Id"), id);
}

TEST_F(ServerTest, AccessLogLineHasRouteAndNoQueryString) {
  StartServer();
  Fetch(port_, Verb::get, "/api/v1/query?q=secret-token-value", {{"X-Request-Id", "log-check-1"}});
  Fetch(port_, Verb::get, "/api/v1/secure",
        {{"Authorization", "Bearer good-token"}, {"X-Request-Id", "log-check-2"}});
  std::string log = ReadAccessLog();
  EXPECT_EQ(log.find("secret-token-value"), std::string::npos);
  std::istringstream lines(log);
  std::string line;
  int seen = 0;
  while (std::getline(lines, line)) {
    auto entry = boost::json::parse(line).as_object();
    if (entry.at("request_id") == "log-check-1") {
      ++seen;
      EXPECT_EQ(entry.at("path"), "/api/v1/query");
      EXPECT_EQ(entry.at("route"), "/api/v1/query");
      EXPECT_EQ(entry.at("method"), "GET");
      EXPECT_EQ(entry.at("status"), 200);
      EXPECT_EQ(entry.at("user"), "-");
      EXPECT_EQ(entry.at("client_ip"), "127.0.0.1");
      EXPECT_TRUE(entry.contains("duration_ms"));
      EXPECT_TRUE(entry.contains("bytes"));
      EXPECT_TRUE(entry.contains("time"));
    } else if (entry.at("request_id") == "log-check-2") {
      ++seen;
      EXPECT_EQ(entry.at("user"), "integration");
    }
  }
  EXPECT_EQ(seen, 2);
}

// ---- authentication, CSRF, Origin, permissions ------------------------------------

TEST_F(ServerTest, SessionRouteWithoutCredentialsIs401) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/secure");
  EXPECT_EQ(response.result_int(), 401u);
  EXPECT_EQ(ErrorCodeOf(response), "UNAUTHENTICATED");
}

TEST_F(ServerTest, InvalidSessionCookieIs401) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/secure", {{"Cookie", "__Host-lvyuan=stale"}});
  EXPECT_EQ(response.result_int(), 401u);
  EXPECT_EQ(ErrorMessageOf(response), "会话已失效，请重新登录");
}

TEST_F(ServerTest, ValidCookieReachesHandlerWithPrincipal) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/secure",
                        {{"Cookie", "theme=dark; __Host-lvyuan=good-session"}});
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(BodyJson(response).at("user"), "hzhb_admin");
}

TEST_F(ServerTest, CookieUnsafeRequestWithoutCsrfTokenIs403) {
  StartServer();
  auto missing =
      Fetch(port_, Verb::post, "/api/v1/secure", {{"Cookie", "__Host-lvyuan=good-session"}});
  EXPECT_EQ(missing.result_int(), 403u);
  EXPECT_EQ(ErrorCodeOf(missing), "PERMISSION_DENIED");
  EXPECT_EQ(ErrorMessageOf(missing), "缺少或错误的 CSRF 令牌");
  auto wrong = Fetch(port_, Verb::post, "/api/v1/secure",
                     {{"Cookie", "__Host-lvyuan=good-session"}, {"X-CSRF-Token", "guess"}});
  EXPECT_EQ(wrong.result_int(), 403u);
  auto right = Fetch(port_, Verb::post, "/api/v1/secure",
                     {{"Cookie", "__Host-lvyuan=good-session"}, {"X-CSRF-Token", "csrf-ok"}});
  EXPECT_EQ(right.result_int(), 200u);
  auto denied = Denied();
  ASSERT_EQ(denied.size(), 2u);
  EXPECT_EQ(denied[0], "csrf|/api/v1/secure|hzhb_admin");
}

TEST_F(ServerTest, BearerUnsafeRequestNeedsNoCsrfToken) {
  StartServer();
  auto response =
      Fetch(port_, Verb::post, "/api/v1/write", {{"Authorization", "Bearer good-token"}});
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(BodyJson(response).at("user"), "integration");
}

TEST_F(ServerTest, CookieUnsafeRequestFromForeignOriginIs403) {
  StartServer();
  auto foreign = Fetch(port_, Verb::post, "/api/v1/secure",
                       {{"Cookie", "__Host-lvyuan=good-session"},
                        {"X-CSRF-Token", "csrf-ok"},
                        {"Origin", "https://evil.example"}});
  EXPECT_EQ(foreign.result_int(), 403u);
  std::string same_origin = "http://127.0.0.1:" + std::to_string(port_);
  auto same = Fetch(port_, Verb::post, "/api/v1/secure",
                    {{"Cookie", "__Host-lvyuan=good-session"},
                     {"X-CSRF-Token", "csrf-ok"},
                     {"Origin", same_origin}});
  EXPECT_EQ(same.result_int(), 200u);
  auto denied = Denied();
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0].substr(0, 7), "origin|");
}

TEST_F(ServerTest, MissingPermissionIs403AndReportsDenial) {
  StartServer();
  auto response = Fetch(port_, Verb::post, "/api/v1/write",
                        {{"Cookie", "__Host-lvyuan=good-session"}, {"X-CSRF-Token", "csrf-ok"}});
  EXPECT_EQ(response.result_int(), 403u);
  EXPECT_EQ(ErrorMessageOf(response), "没有权限执行此操作");
  auto denied = Denied();
  ASSERT_EQ(denied.size(), 1u);
  EXPECT_EQ(denied[0], "permission:test:write|/api/v1/write|hzhb_admin");
}

TEST_F(ServerTest, PendingTotpSessionReachesOnlyAllowedRoutes) {
  StartServer();
  auto blocked =
      Fetch(port_, Verb::get, "/api/v1/secure", {{"Cookie", "__Host-lvyuan=pending-totp"}});
  EXPECT_EQ(blocked.result_int(), 403u);
  EXPECT_EQ(ErrorMessageOf(blocked), "请先绑定动态口令（TOTP）");
  auto allowed = Fetch(port_, Verb::get, "/api/v1/me", {{"Cookie", "__Host-lvyuan=pending-totp"}});
  EXPECT_EQ(allowed.result_int(), 200u);
}

// ---- failures, health, metrics, shutdown ----------------------------------------

TEST_F(ServerTest, ThrowingHandlerIs500WithoutInternals) {
  StartServer();
  auto response = Fetch(port_, Verb::get, "/api/v1/boom");
  EXPECT_EQ(response.result_int(), 500u);
  EXPECT_EQ(response.body().find("secret internal detail"), std::string::npos);
  EXPECT_EQ(ErrorCodeOf(response), "INTERNAL");
  EXPECT_EQ(ErrorMessageOf(response), "服务器内部错误");
  // The server keeps serving.
  EXPECT_EQ(Fetch(port_, Verb::get, "/healthz").result_int(), 200u);
}

TEST_F(ServerTest, HealthAndReadiness) {
  StartServer();
  auto health = Fetch(port_, Verb::get, "/healthz");
  EXPECT_EQ(health.result_int(), 200u);
  EXPECT_EQ(BodyJson(health).at("status"), "ok");
  auto ready = Fetch(port_, Verb::get, "/readyz");
  EXPECT_EQ(ready.result_int(), 200u);
  EXPECT_EQ(BodyJson(ready).at("status"), "ready");
  ready_ = false;
  EXPECT_EQ(Fetch(port_, Verb::get, "/readyz").result_int(), 503u);
}

TEST_F(ServerTest, MetricsCountRequestsByRoutePattern) {
  StartServer();
  Fetch(port_, Verb::get, "/api/v1/items/7");
  Fetch(port_, Verb::get, "/api/v1/items/8");
  auto metrics = Fetch(port_, Verb::get, "/metrics");
  EXPECT_EQ(metrics.result_int(), 200u);
  EXPECT_NE(HeaderOf(metrics, "Content-Type").find("text/plain"), std::string::npos);
  const std::string& text = metrics.body();
  EXPECT_NE(text.find("lvyuan_http_requests_total{route=\"/api/v1/items/{id}\",method=\"GET\","
                      "status=\"200\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("lvyuan_http_open_connections "), std::string::npos);
  EXPECT_NE(text.find("lvyuan_build_info{version="), std::string::npos);
  EXPECT_EQ(text.find("/api/v1/items/7"), std::string::npos);
}

TEST_F(ServerTest, StopLetsInFlightRequestFinish) {
  StartServer();
  auto started = slow_started_.get_future();
  auto pending = std::async(std::launch::async,
                            [port = port_] { return Fetch(port, Verb::get, "/api/v1/slow"); });
  ASSERT_EQ(started.wait_for(10s), std::future_status::ready);
  server_->Stop();
  ClientResponse response = pending.get();
  EXPECT_EQ(response.result_int(), 200u);
  EXPECT_EQ(BodyJson(response).at("slow"), "done");
  EXPECT_FALSE(response.keep_alive());
  thread_.join();  // Run() returned
  server_.reset();
}

TEST_F(ServerTest, StopClosesIdleKeepAliveConnections) {
  StartServer();
  TestClient client(port_);
  EXPECT_EQ(client.Send(Verb::get, "/healthz").result_int(), 200u);
  server_->Stop();
  EXPECT_TRUE(client.WaitForClose());
  thread_.join();
  server_.reset();
}

TEST_F(ServerTest, ClientAddressIsThePeerUnlessProxyTrusted) {
  StartServer();
  auto direct = Fetch(port_, Verb::get, "/api/v1/ip", {{"X-Forwarded-For", "203.0.113.9"}});
  EXPECT_EQ(BodyJson(direct).at("ip"), "127.0.0.1");
}

TEST_F(ServerTest, TrustedProxyGivesLastForwardedAddress) {
  ServerOptions options;
  options.trust_proxy = true;
  StartServer(options);
  auto proxied =
      Fetch(port_, Verb::get, "/api/v1/ip", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.9"}});
  EXPECT_EQ(BodyJson(proxied).at("ip"), "203.0.113.9");
  auto forged = Fetch(port_, Verb::get, "/api/v1/ip", {{"X-Forwarded-For", "not-an-ip"}});
  EXPECT_EQ(BodyJson(forged).at("ip"), "127.0.0.1");
}

TEST_F(ServerTest, SigtermMakesRunReturn) {
  ServerOptions options;
  options.port = 0;
  AddRoutes();
  server_ = std::make_unique<Server>(options, router_, Hooks{});
  ASSERT_TRUE(server_->Start().ok());
  server_->StopOnSignals();
  thread_ = std::thread([this] { server_->Run(); });
  EXPECT_EQ(Fetch(server_->port(), Verb::get, "/healthz").result_int(), 200u);
  std::raise(SIGTERM);
  thread_.join();  // returns only because the signal stopped the server
  server_.reset();
}

TEST(ServerStartTest, BindFailureIsUnavailable) {
  Router first_router;
  Server first({.host = "127.0.0.1", .port = 0}, first_router, {});
  ASSERT_TRUE(first.Start().ok());
  Router second_router;
  Server second({.host = "127.0.0.1", .port = first.port()}, second_router, {});
  core::Status status = second.Start();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace lvyuan::http
