// Starts a real Server on 127.0.0.1, port 0, and talks to it over TCP.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/encoding.h"
#include "crypto/hash.h"
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

// What the test upload sinks saw, shared with the test body. Sinks run on a
// server thread, so everything is under mu.
struct UploadProbe {
  std::mutex mu;
  int opened = 0;  // upload() calls that returned a sink
  int pieces = 0;
  std::size_t largest_piece = 0;
  std::uint64_t bytes = 0;
  bool finished = false;
  bool aborted = false;
  std::promise<void> aborted_signal;

  int Opened() {
    std::lock_guard lock(mu);
    return opened;
  }
  // Waits (at most 10 s, so a bug fails instead of hanging) for Abort.
  bool WaitForAbort() {
    return aborted_signal.get_future().wait_for(10s) == std::future_status::ready;
  }
};

// Hashes what it is given with SM3 and answers 201 {"sm3","bytes"}. A body
// starting with 'X' is refused by Write, as a type allow-list would.
class HashingSink : public BodySink {
 public:
  explicit HashingSink(UploadProbe& probe) : probe_(probe) {}

  core::Status Write(std::span<const std::uint8_t> piece) override {
    std::lock_guard lock(probe_.mu);
    if (probe_.bytes == 0 && !piece.empty() && piece[0] == 'X') {
      return core::InvalidArgument("文件类型不允许", "file");
    }
    ++probe_.pieces;
    probe_.largest_piece = std::max(probe_.largest_piece, piece.size());
    probe_.bytes += piece.size();
    hasher_.Update(piece);
    return core::Ok();
  }
  Response Finish() override {
    std::lock_guard lock(probe_.mu);
    probe_.finished = true;
    return JsonResponse(201, {{"sm3", core::HexEncode(hasher_.Finish())},
                              {"bytes", static_cast<std::int64_t>(probe_.bytes)}});
  }
  void Abort() override {
    std::lock_guard lock(probe_.mu);
    probe_.aborted = true;
    probe_.aborted_signal.set_value();
  }

 private:
  UploadProbe& probe_;
  crypto::Hasher hasher_{crypto::HashAlgorithm::kSm3};
};

std::string PatternBytes(std::size_t size, std::uint32_t seed) {
  std::mt19937_64 engine(seed);
  std::string bytes(size, '\0');
  for (std::size_t at = 0; at < size; at += 8) {
    std::uint64_t word = engine();
    std::memcpy(bytes.data() + at, &word, std::min<std::size_t>(8, size - at));
  }
  if (!bytes.empty() && bytes[0] == 'X') bytes[0] = 'Y';  // 'X' makes the sink refuse
  return bytes;
}

std::string Sm3Hex(std::string_view bytes) { return core::HexEncode(crypto::Sm3(bytes)); }

// Chunked transfer-encoding of `body` in pieces of `piece` bytes.
std::string Chunked(std::string_view body, std::size_t piece) {
  std::string encoded;
  for (std::size_t at = 0; at < body.size(); at += piece) {
    std::string_view chunk = body.substr(at, piece);
    std::ostringstream size;
    size << std::hex << chunk.size();
    encoded += size.str() + "\r\n" + std::string(chunk) + "\r\n";
  }
  return encoded + "0\r\n\r\n";
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
    hooks.authenticate =
        [](std::string_view session, std::string_view bearer,
           const Request&) -> core::Result<std::shared_ptr<const domain::Principal>> {
      auto principal = std::make_shared<domain::Principal>();
      if (bearer == "good-token") {
        principal->username = "integration";
        principal->via = domain::Principal::Via::kApiToken;
        principal->permissions = {"test:read", "test:write"};
        return principal;
      }
      if (!bearer.empty()) return core::Unauthenticated("令牌无效");
      if (session == "good-session" || session == "pending-totp") {
        principal->user_id = 7;
        principal->username = "hzhb_admin";
        principal->permissions = {"test:read"};
        principal->must_enrol_totp = session == "pending-totp";
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
                 .pattern = "/api/v1/events",
                 .stream = [this](Request&, std::shared_ptr<EventStream> stream) {
                   std::lock_guard lock(streams_mu_);
                   streams_.push_back(std::move(stream));
                   streams_changed_.notify_all();
                   return core::Ok();
                 }});
    auto open_sink = [this](Request& request) -> core::Result<std::unique_ptr<BodySink>> {
      std::string_view refuse = request.Header("X-Refuse");
      if (refuse == "403") return core::PermissionDenied("不能向该案件上传文件");
      if (refuse == "400") return core::InvalidArgument("上传编号格式错误", "upload_id");
      std::lock_guard lock(probe_.mu);
      ++probe_.opened;
      return std::unique_ptr<BodySink>(std::make_unique<HashingSink>(probe_));
    };
    router_.Add({.method = Verb::post,
                 .pattern = "/api/v1/uploads",
                 .permission = "test:write",
                 .upload = open_sink,
                 .max_body = 100 << 20});
    router_.Add({.method = Verb::post,
                 .pattern = "/api/v1/uploads/small",
                 .auth = Auth::kPublic,
                 .upload = open_sink,
                 .max_body = 1000});
    router_.Add({.method = Verb::get,
                 .pattern = "/api/v1/files/{name}",
                 .permission = "test:read",
                 .download = [this](Request& request) -> core::Result<FileReply> {
                   if (request.PathParam("name") == "unknown") {
                     return core::NotFound("文件不存在");
                   }
                   FileReply reply{.path = dir_ / "evidence.bin",
                                   .content_type = "video/mp4",
                                   .etag = "sm3abc",
                                   .filename = "现场 视频.mp4",
                                   .headers = {{"X-Evidence-Sm3", "abc"}}};
                   if (request.PathParam("name") == "vanished") reply.path = dir_ / "nothing";
                   return reply;
                 }});
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
  UploadProbe probe_;

  // The streams the /api/v1/events route opened, in order.
  std::shared_ptr<EventStream> WaitForStream(std::size_t index) {
    std::unique_lock lock(streams_mu_);
    streams_changed_.wait_for(lock, 10s, [&] { return streams_.size() > index; });
    return streams_.size() > index ? streams_[index] : nullptr;
  }
  std::mutex streams_mu_;
  std::condition_variable streams_changed_;
  std::vector<std::shared_ptr<EventStream>> streams_;
};

constexpr std::string_view kBearer = "Bearer good-token";

constexpr std::string_view kOpenStream =
    "GET /api/v1/events HTTP/1.1\r\nHost: x\r\nCookie: __Host-lvyuan=good-session\r\n\r\n";

// Reads from the client's socket until `text` arrived (true) or the
// connection closed or the receive timeout passed (false); *got collects it.
bool ReadUntil(TestClient& client, std::string_view text, std::string* got) {
  char buffer[4096];
  while (got->find(text) == std::string::npos) {
    boost::system::error_code ec;
    std::size_t n = client.socket().read_some(boost::asio::buffer(buffer), ec);
    if (ec) return false;
    got->append(buffer, n);
  }
  return true;
}

std::string UploadHeaders(std::string_view target, std::string_view extra = {}) {
  return "POST " + std::string(target) +
         " HTTP/1.1\r\nHost: x\r\nAuthorization: " + std::string(kBearer) +
         "\r\nContent-Type: application/octet-stream\r\n" + std::string(extra);
}

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

// ---- streamed uploads ------------------------------------------------------------

TEST_F(ServerTest, StreamsLargeUploadToSinkInBoundedPieces) {
  StartServer();
  const std::string body = PatternBytes(64u << 20, 1);
  TestClient client(port_, 60s);
  auto response = client.Send(
      Verb::post, "/api/v1/uploads",
      {{"Authorization", std::string(kBearer)}, {"Content-Type", "application/octet-stream"}},
      body);
  ASSERT_EQ(response.result_int(), 201u) << response.body();
  EXPECT_EQ(std::string(BodyJson(response).at("sm3").as_string()), Sm3Hex(body));
  EXPECT_EQ(BodyJson(response).at("bytes"), static_cast<std::int64_t>(body.size()));
  std::lock_guard lock(probe_.mu);
  EXPECT_TRUE(probe_.finished);
  EXPECT_FALSE(probe_.aborted);
  EXPECT_EQ(probe_.bytes, body.size());
  // The body passed through in pieces; no buffer ever held it whole.
  EXPECT_GE(probe_.pieces, 64);
  EXPECT_LE(probe_.largest_piece, 1u << 20);
}

TEST_F(ServerTest, ChunkedUploadArrivesWhole) {
  StartServer();
  const std::string body = PatternBytes(300 * 1024 + 7, 2);
  TestClient client(port_);
  client.WriteRaw(UploadHeaders("/api/v1/uploads", "Transfer-Encoding: chunked\r\n\r\n") +
                  Chunked(body, 50000));
  auto response = client.Read();
  ASSERT_EQ(response.result_int(), 201u) << response.body();
  EXPECT_EQ(std::string(BodyJson(response).at("sm3").as_string()), Sm3Hex(body));
  EXPECT_EQ(BodyJson(response).at("bytes"), static_cast<std::int64_t>(body.size()));
  // Keep-alive still works after a streamed body.
  EXPECT_EQ(client.Send(Verb::get, "/healthz").result_int(), 200u);
}

TEST_F(ServerTest, ChunkedUploadOverMaxBodyIs413AndAbortsTheSink) {
  StartServer();
  TestClient client(port_);
  client.WriteRaw(
      "POST /api/v1/uploads/small HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
      Chunked(std::string(1600, 'a'), 800));
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_EQ(ErrorCodeOf(response), "RESOURCE_EXHAUSTED");
  ASSERT_TRUE(probe_.WaitForAbort());
  std::lock_guard lock(probe_.mu);
  EXPECT_TRUE(probe_.aborted);
  EXPECT_FALSE(probe_.finished);
  EXPECT_EQ(probe_.bytes, 800u);  // the first chunk fit
}

TEST_F(ServerTest, ContentLengthOverMaxBodyIs413WithoutOpeningASink) {
  StartServer();
  TestClient client(port_);
  // Headers only: the answer comes before any body byte is sent.
  client.WriteRaw("POST /api/v1/uploads/small HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n");
  auto response = client.Read();
  EXPECT_EQ(response.result_int(), 413u);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_EQ(probe_.Opened(), 0);
}

TEST_F(ServerTest, UploadRefusalIsAnsweredBeforeTheBody) {
  StartServer();
  {
    TestClient client(port_);
    client.WriteRaw(UploadHeaders("/api/v1/uploads",
                                  "X-Refuse: 403\r\nExpect: 100-continue\r\n"
                                  "Content-Length: 100000\r\n\r\n"));
    auto response = client.Read();  // the refusal, not "100 Continue"
    EXPECT_EQ(response.result_int(), 403u);
    EXPECT_EQ(ErrorMessageOf(response), "不能向该案件上传文件");
    EXPECT_TRUE(client.WaitForClose());
  }
  {
    TestClient client(port_);
    client.WriteRaw(
        UploadHeaders("/api/v1/uploads", "X-Refuse: 400\r\nContent-Length: 10\r\n\r\n"));
    auto response = client.Read();
    EXPECT_EQ(response.result_int(), 400u);
    EXPECT_EQ(ErrorFieldOf(response), "upload_id");
  }
  EXPECT_EQ(probe_.Opened(), 0);
}

TEST_F(ServerTest, ContinueIsSentOnlyOnceTheSinkExists) {
  StartServer();
  const std::string body = PatternBytes(20000, 3);
  TestClient client(port_);
  client.WriteRaw(UploadHeaders("/api/v1/uploads", "Expect: 100-continue\r\nContent-Length: " +
                                                       std::to_string(body.size()) + "\r\n\r\n"));
  auto interim = client.Read();
  EXPECT_EQ(interim.result_int(), 100u);
  EXPECT_EQ(probe_.Opened(), 1);
  client.WriteRaw(body);
  auto response = client.Read();
  ASSERT_EQ(response.result_int(), 201u);
  EXPECT_EQ(std::string(BodyJson(response).at("sm3").as_string()), Sm3Hex(body));
}

TEST_F(ServerTest, ClientDisconnectMidBodyAbortsTheSink) {
  StartServer();
  {
    TestClient client(port_);
    client.WriteRaw(UploadHeaders("/api/v1/uploads", "Content-Length: 1000000\r\n\r\n") +
                    PatternBytes(200000, 4));
  }  // the connection drops with 800000 bytes missing
  ASSERT_TRUE(probe_.WaitForAbort());
  std::lock_guard lock(probe_.mu);
  EXPECT_FALSE(probe_.finished);
  EXPECT_LE(probe_.bytes, 200000u);
}

TEST_F(ServerTest, StalledUploadTimesOutAndAbortsTheSink) {
  ServerOptions options;
  options.body_timeout = 1s;
  StartServer(options);
  TestClient client(port_);
  client.WriteRaw(UploadHeaders("/api/v1/uploads", "Content-Length: 1000\r\n\r\n") +
                  std::string(10, 'a'));
  ASSERT_TRUE(probe_.WaitForAbort());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(ServerTest, SinkWriteErrorIsAnsweredAndAbortsTheSink) {
  StartServer();
  TestClient client(port_);
  auto response =
      client.Send(Verb::post, "/api/v1/uploads", {{"Authorization", std::string(kBearer)}},
                  "X-not-an-allowed-type" + std::string(1000, 'x'));
  EXPECT_EQ(response.result_int(), 400u);
  EXPECT_EQ(ErrorFieldOf(response), "file");
  EXPECT_TRUE(probe_.WaitForAbort());
  EXPECT_FALSE(response.keep_alive());
}

TEST_F(ServerTest, UnauthenticatedUploadIs401AndNeverOpensASink) {
  StartServer();
  auto anonymous = Fetch(port_, Verb::post, "/api/v1/uploads", {}, std::string(100, 'a'));
  EXPECT_EQ(anonymous.result_int(), 401u);
  auto no_csrf = Fetch(port_, Verb::post, "/api/v1/uploads",
                       {{"Cookie", "__Host-lvyuan=good-session"}}, std::string(100, 'a'));
  EXPECT_EQ(no_csrf.result_int(), 403u);
  auto no_permission =
      Fetch(port_, Verb::post, "/api/v1/uploads",
            {{"Cookie", "__Host-lvyuan=good-session"}, {"X-CSRF-Token", "csrf-ok"}},
            std::string(100, 'a'));
  EXPECT_EQ(no_permission.result_int(), 403u);
  EXPECT_EQ(ErrorMessageOf(no_permission), "没有权限执行此操作");
  EXPECT_EQ(probe_.Opened(), 0);
}

TEST_F(ServerTest, UploadsAreLoggedAndCounted) {
  StartServer();
  auto response = Fetch(port_, Verb::post, "/api/v1/uploads",
                        {{"Authorization", std::string(kBearer)}, {"X-Request-Id", "upload-1"}},
                        PatternBytes(5000, 5));
  ASSERT_EQ(response.result_int(), 201u);
  std::istringstream lines(ReadAccessLog());
  std::string line;
  bool seen = false;
  while (std::getline(lines, line)) {
    auto entry = boost::json::parse(line).as_object();
    if (entry.at("request_id") != "upload-1") continue;
    seen = true;
    EXPECT_EQ(entry.at("route"), "/api/v1/uploads");
    EXPECT_EQ(entry.at("status"), 201);
    EXPECT_EQ(entry.at("user"), "integration");
    EXPECT_EQ(entry.at("bytes"), static_cast<std::int64_t>(response.body().size()));
  }
  EXPECT_TRUE(seen);
  auto metrics = Fetch(port_, Verb::get, "/metrics");
  EXPECT_NE(metrics.body().find("lvyuan_http_requests_total{route=\"/api/v1/uploads\","
                                "method=\"POST\",status=\"201\"} 1"),
            std::string::npos)
      << metrics.body();
}

// ---- file downloads --------------------------------------------------------------

class DownloadTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    for (int i = 0; i < 100; ++i) content_.push_back(static_cast<char>('a' + i % 26));
    std::ofstream(dir_ / "evidence.bin", std::ios::binary) << content_;
    StartServer();
  }

  ClientResponse Get(Verb method, std::string target, testing::Headers headers = {}) {
    headers.emplace_back("Authorization", std::string(kBearer));
    return Fetch(port_, method, std::move(target), headers);
  }

  std::string content_;
};

TEST_F(DownloadTest, WithoutRangeSendsTheWholeFile) {
  auto response = Get(Verb::get, "/api/v1/files/e1", {{"X-Request-Id", "download-1"}});
  ASSERT_EQ(response.result_int(), 200u);
  EXPECT_EQ(response.body(), content_);
  EXPECT_EQ(HeaderOf(response, "Content-Type"), "video/mp4");
  EXPECT_EQ(HeaderOf(response, "Accept-Ranges"), "bytes");
  EXPECT_EQ(HeaderOf(response, "ETag"), "\"sm3abc\"");
  EXPECT_EQ(HeaderOf(response, "X-Evidence-Sm3"), "abc");
  EXPECT_EQ(HeaderOf(response, "Cache-Control"), "no-store");
  std::string disposition = HeaderOf(response, "Content-Disposition");
  EXPECT_TRUE(disposition.starts_with("attachment; filename=\"")) << disposition;
  EXPECT_NE(disposition.find("filename*=UTF-8''%E7%8E%B0%E5%9C%BA%20%E8%A7%86%E9%A2%91.mp4"),
            std::string::npos)
      << disposition;
  std::string log = ReadAccessLog();
  EXPECT_NE(log.find("\"request_id\":\"download-1\""), std::string::npos);
  EXPECT_NE(log.find("\"bytes\":100"), std::string::npos) << log;
}

TEST_F(DownloadTest, ClosedRangeIs206WithExactBytes) {
  auto response = Get(Verb::get, "/api/v1/files/e1", {{"Range", "bytes=10-19"}});
  ASSERT_EQ(response.result_int(), 206u);
  EXPECT_EQ(response.body(), content_.substr(10, 10));
  EXPECT_EQ(response.body(), "klmnopqrst");
  EXPECT_EQ(HeaderOf(response, "Content-Range"), "bytes 10-19/100");
  EXPECT_EQ(HeaderOf(response, "Content-Length"), "10");
}

TEST_F(DownloadTest, SuffixAndOpenRangesAreServed) {
  auto suffix = Get(Verb::get, "/api/v1/files/e1", {{"Range", "bytes=-5"}});
  ASSERT_EQ(suffix.result_int(), 206u);
  EXPECT_EQ(suffix.body(), content_.substr(95));
  EXPECT_EQ(HeaderOf(suffix, "Content-Range"), "bytes 95-99/100");
  auto open = Get(Verb::get, "/api/v1/files/e1", {{"Range", "bytes=90-"}});
  ASSERT_EQ(open.result_int(), 206u);
  EXPECT_EQ(open.body(), content_.substr(90));
  EXPECT_EQ(HeaderOf(open, "Content-Range"), "bytes 90-99/100");
}

TEST_F(DownloadTest, UnsatisfiableRangeIs416WithSize) {
  auto response = Get(Verb::get, "/api/v1/files/e1", {{"Range", "bytes=200-300"}});
  EXPECT_EQ(response.result_int(), 416u);
  EXPECT_EQ(HeaderOf(response, "Content-Range"), "bytes */100");
}

TEST_F(DownloadTest, IfRangeMismatchSendsTheWholeFile) {
  auto stale = Get(Verb::get, "/api/v1/files/e1",
                   {{"Range", "bytes=10-19"}, {"If-Range", "\"another-version\""}});
  ASSERT_EQ(stale.result_int(), 200u);
  EXPECT_EQ(stale.body(), content_);
  auto current =
      Get(Verb::get, "/api/v1/files/e1", {{"Range", "bytes=10-19"}, {"If-Range", "\"sm3abc\""}});
  EXPECT_EQ(current.result_int(), 206u);
  EXPECT_EQ(current.body(), "klmnopqrst");
}

TEST_F(DownloadTest, IfNoneMatchIs304) {
  auto response = Get(Verb::get, "/api/v1/files/e1", {{"If-None-Match", "\"sm3abc\""}});
  EXPECT_EQ(response.result_int(), 304u);
  EXPECT_TRUE(response.body().empty());
}

TEST_F(DownloadTest, HeadSendsHeadersOnly) {
  auto response = Get(Verb::head, "/api/v1/files/e1");
  ASSERT_EQ(response.result_int(), 200u);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(HeaderOf(response, "Content-Length"), "100");
  EXPECT_EQ(HeaderOf(response, "Accept-Ranges"), "bytes");
  auto ranged = Get(Verb::head, "/api/v1/files/e1", {{"Range", "bytes=0-9"}});
  EXPECT_EQ(ranged.result_int(), 206u);
  EXPECT_EQ(HeaderOf(ranged, "Content-Length"), "10");
}

TEST_F(DownloadTest, ErrorsAreJsonAndDownloadsNeedAuthentication) {
  auto unknown = Get(Verb::get, "/api/v1/files/unknown");
  EXPECT_EQ(unknown.result_int(), 404u);
  EXPECT_EQ(ErrorCodeOf(unknown), "NOT_FOUND");
  auto vanished = Get(Verb::get, "/api/v1/files/vanished");
  EXPECT_EQ(vanished.result_int(), 404u);
  EXPECT_EQ(ErrorMessageOf(vanished), "文件不存在");
  auto anonymous = Fetch(port_, Verb::get, "/api/v1/files/e1");
  EXPECT_EQ(anonymous.result_int(), 401u);
}

TEST_F(DownloadTest, KeepAliveServesSeveralRanges) {
  TestClient client(port_);
  for (int first : {0, 50, 90}) {
    auto response = client.Send(
        Verb::get, "/api/v1/files/e1",
        {{"Authorization", std::string(kBearer)},
         {"Range", "bytes=" + std::to_string(first) + "-" + std::to_string(first + 9)}});
    ASSERT_EQ(response.result_int(), 206u);
    EXPECT_EQ(response.body(), content_.substr(first, 10));
  }
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

TEST_F(ServerTest, StreamRouteWritesServerSentEventsUntilClosed) {
  StartServer();
  TestClient client(port_);
  client.WriteRaw(kOpenStream);
  std::string got;
  ASSERT_TRUE(ReadUntil(client, "\r\n\r\n", &got)) << got;
  EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
  EXPECT_NE(got.find("Content-Type: text/event-stream"), std::string::npos) << got;
  EXPECT_NE(got.find("Cache-Control: no-store"), std::string::npos) << got;
  auto stream = WaitForStream(0);
  ASSERT_NE(stream, nullptr);
  EXPECT_TRUE(stream->Send("checkpoint", "{\"size\":3}\nsecond line"));
  ASSERT_TRUE(
      ReadUntil(client, "event: checkpoint\ndata: {\"size\":3}\ndata: second line\n\n", &got))
      << got;
  stream->Close();
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_FALSE(stream->Send("checkpoint", "{}")) << "a closed stream takes nothing";
}

TEST_F(ServerTest, StreamRouteRunsThePipelineFirst) {
  StartServer();
  TestClient client(port_);
  ClientResponse refused = client.Send(Verb::get, "/api/v1/events");
  EXPECT_EQ(refused.result_int(), 401u);
  EXPECT_EQ(ErrorCodeOf(refused), "UNAUTHENTICATED");
  std::lock_guard lock(streams_mu_);
  EXPECT_TRUE(streams_.empty()) << "the handler is not asked for a refused request";
}

TEST_F(ServerTest, StreamsBeyondThePerUserLimitAre429) {
  StartServer({.max_streams_per_user = 1});
  TestClient first(port_);
  first.WriteRaw(kOpenStream);
  std::string got;
  ASSERT_TRUE(ReadUntil(first, "\r\n\r\n", &got)) << got;
  TestClient second(port_);
  ClientResponse refused =
      second.Send(Verb::get, "/api/v1/events", {{"Cookie", "__Host-lvyuan=good-session"}});
  EXPECT_EQ(refused.result_int(), 429u);
  EXPECT_EQ(ErrorCodeOf(refused), "RESOURCE_EXHAUSTED");
  // Once the first stream ends its place is free again.
  WaitForStream(0)->Close();
  ASSERT_TRUE(first.WaitForClose());
  TestClient third(port_);
  third.WriteRaw(kOpenStream);
  std::string again;
  ASSERT_TRUE(ReadUntil(third, "\r\n\r\n", &again)) << again;
  EXPECT_TRUE(again.starts_with("HTTP/1.1 200")) << again;
}

TEST_F(ServerTest, IdleStreamGetsHeartbeatComments) {
  StartServer({.stream_heartbeat = 1s});
  TestClient client(port_);
  client.WriteRaw(kOpenStream);
  std::string got;
  EXPECT_TRUE(ReadUntil(client, "\r\n\r\n: heartbeat\n\n", &got)) << got;
}

TEST_F(ServerTest, StopEndsOpenStreams) {
  StartServer();
  TestClient client(port_);
  client.WriteRaw(kOpenStream);
  std::string got;
  ASSERT_TRUE(ReadUntil(client, "\r\n\r\n", &got)) << got;
  auto stream = WaitForStream(0);
  ASSERT_NE(stream, nullptr);
  StopServer();  // returns only once Run() has, so the stream did not hold up the drain
  EXPECT_TRUE(stream->closed());
  EXPECT_TRUE(client.WaitForClose());
}

}  // namespace
}  // namespace lvyuan::http
