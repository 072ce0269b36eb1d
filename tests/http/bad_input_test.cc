// Malformed, oversized, slow and misdirected requests are refused cleanly and
// change nothing.
#include <gtest/gtest.h>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

using std::chrono::seconds;

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = ServerProcess::Start(WithEnv({{"LVYUAN_SERVER_BODY_LIMIT_BYTES", "1024"},
                                            {"LVYUAN_SERVER_HEADER_TIMEOUT_S", "1"}}))
                  .release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    sysadmin_ = std::make_unique<Client>(server_->port());
    ASSERT_EQ(sysadmin_->Login("sysadmin", kDemoPassword).status, 200u);
  }

  Reply PostUnitsRaw(std::string body, std::string_view content_type = "application/json") {
    return sysadmin_->Send("POST", "/api/v1/units", std::move(body), content_type);
  }

  // A request line and headers carrying the sysadmin session, CSRF token and
  // Connection: close, ready for a body.
  std::string RawHead(std::string_view method, std::string_view target) {
    return std::string(method) + " " + std::string(target) +
           " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_->port()) +
           "\r\nCookie: __Host-lvyuan=" + sysadmin_->cookie("__Host-lvyuan") +
           "\r\nX-CSRF-Token: " + sysadmin_->csrf_token() +
           "\r\nContent-Type: application/json\r\nConnection: close\r\n";
  }

  std::string Snapshot() {
    return boost::json::serialize(boost::json::value_from(ListAll(*sysadmin_, "/api/v1/units"))) +
           boost::json::serialize(boost::json::value_from(ListAll(*sysadmin_, "/api/v1/users")));
  }

  static ServerProcess* server_;
  std::unique_ptr<Client> sysadmin_;
};
ServerProcess* BadInputTest::server_ = nullptr;

TEST_F(BadInputTest, MalformedJsonIsInvalidArgument) {
  for (std::string body : {R"({"name": )", R"({"name":"x",})", "not json at all", "", "[1,2]"}) {
    SCOPED_TRACE(body);
    Reply reply = PostUnitsRaw(body);
    EXPECT_EQ(reply.status, 400u) << reply;
    EXPECT_EQ(reply.error_code(), "INVALID_ARGUMENT") << reply;
    EXPECT_FALSE(reply.error_message().empty()) << reply;
  }
  Reply login = sysadmin_->Send("POST", "/api/v1/auth/login", std::string(R"({"username":)"));
  EXPECT_EQ(login.status, 400u) << login;
}

TEST_F(BadInputTest, FieldOfTheWrongTypeIsNamed) {
  Reply reply = PostUnitsRaw(R"({"name":5,"type":"other","region_code":"330500"})");
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_code(), "INVALID_ARGUMENT") << reply;
  EXPECT_EQ(reply.error_field(), "name") << reply;

  Reply enabled = PostUnitsRaw(R"({"name":"类型错误","type":"other","region_code":330500})");
  EXPECT_EQ(enabled.status, 400u) << enabled;
  EXPECT_EQ(enabled.error_field(), "region_code") << enabled;
}

TEST_F(BadInputTest, UnknownFieldIsRejectedAndNamed) {
  Reply reply = PostUnitsRaw(
      R"({"name":"多余字段单位","type":"other","region_code":"330500","colour":"green"})");
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_field(), "colour") << reply;
  EXPECT_FALSE(FindUnitId(*sysadmin_, "多余字段单位").has_value());
}

TEST_F(BadInputTest, MissingRequiredFieldIsNamed) {
  Reply reply = PostUnitsRaw(R"({"type":"other","region_code":"330500"})");
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_field(), "name") << reply;
}

TEST_F(BadInputTest, InvalidUtf8AndDeepNestingAreRejectedWithoutHarm) {
  Reply utf8 =
      PostUnitsRaw("{\"name\":\"\xff\xfe\",\"type\":\"other\",\"region_code\":\"330500\"}");
  EXPECT_EQ(utf8.status, 400u) << utf8;
  Reply deep = PostUnitsRaw(std::string(500, '[') + std::string(500, ']'));
  EXPECT_EQ(deep.status, 400u) << deep;
  EXPECT_EQ(Client(server_->port()).Get("/healthz").status, 200u);
}

TEST_F(BadInputTest, NonJsonContentTypeIsRefused) {
  Reply reply =
      PostUnitsRaw(R"({"name":"纯文本单位","type":"other","region_code":"330500"})", "text/plain");
  EXPECT_TRUE(reply.status == 400u || reply.status == 415u) << reply;
  EXPECT_FALSE(FindUnitId(*sysadmin_, "纯文本单位").has_value());
}

TEST_F(BadInputTest, BodyOverTheLimitIsRefusedWith413) {
  std::string body = R"({"name":")" + std::string(4096, 'x') + R"(","type":"other"})";
  RawConnection connection(server_->port());
  connection.Send(RawHead("POST", "/api/v1/units") +
                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string response = connection.ReadResponse(std::chrono::seconds(10));
  EXPECT_EQ(StatusOfRawResponse(response), 413u) << response.substr(0, 400);
}

TEST_F(BadInputTest, ChunkedBodyOverTheLimitIsRefusedWith413) {
  RawConnection connection(server_->port());
  std::string chunk(1000, 'x');
  std::string request = RawHead("POST", "/api/v1/units") + "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 4; ++i) request += "3e8\r\n" + chunk + "\r\n";
  request += "0\r\n\r\n";
  connection.Send(request);
  std::string response = connection.ReadResponse(std::chrono::seconds(10));
  EXPECT_EQ(StatusOfRawResponse(response), 413u) << response.substr(0, 400);
}

TEST_F(BadInputTest, UnknownApiRouteIsJsonNotFound) {
  Reply reply = sysadmin_->Get("/api/v1/nope");
  EXPECT_EQ(reply.status, 404u) << reply;
  EXPECT_EQ(reply.error_code(), "NOT_FOUND") << reply;
  EXPECT_NE(reply.header("Content-Type").find("application/json"), std::string::npos)
      << reply.header("Content-Type");
  EXPECT_EQ(reply.body.find("lvyuan-http-test-index"), std::string::npos)
      << "API paths must not fall back to the web shell";
}

TEST_F(BadInputTest, WrongMethodIs405WithAllowHeader) {
  Reply reply = sysadmin_->Delete("/api/v1/units");
  EXPECT_EQ(reply.status, 405u) << reply;
  std::string allow = reply.header("Allow");
  EXPECT_NE(allow.find("GET"), std::string::npos) << "Allow: " << allow;
  EXPECT_NE(allow.find("POST"), std::string::npos) << "Allow: " << allow;
  EXPECT_FALSE(reply.error_code().empty()) << reply;
}

TEST_F(BadInputTest, MalformedIdsAndLimitsAreClientErrors) {
  Reply id = sysadmin_->Get("/api/v1/units/abc");
  EXPECT_TRUE(id.status == 400u || id.status == 404u) << id;
  Reply huge_id = sysadmin_->Get("/api/v1/units/99999999999999999999999");
  EXPECT_TRUE(huge_id.status == 400u || huge_id.status == 404u) << huge_id;
  Reply limit = sysadmin_->Get("/api/v1/units?limit=abc");
  EXPECT_EQ(limit.status, 400u) << limit;
  EXPECT_EQ(limit.error_field(), "limit") << limit;
  Reply negative = sysadmin_->Get("/api/v1/units?limit=-1");
  EXPECT_EQ(negative.status, 400u) << negative;
}

TEST_F(BadInputTest, StalledRequestHeadersAreCutOffBySlowlorisTimeout) {
  RawConnection partial_headers(server_->port());
  ASSERT_TRUE(partial_headers.Send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  RawConnection partial_line(server_->port());
  ASSERT_TRUE(partial_line.Send("GET /heal"));

  RawConnection::ReadResult first = partial_headers.ReadUntilClosed(seconds(10));
  EXPECT_TRUE(first.closed) << "server kept a stalled connection open for 10 s";
  RawConnection::ReadResult second = partial_line.ReadUntilClosed(seconds(10));
  EXPECT_TRUE(second.closed) << "server kept a stalled connection open for 10 s";
  EXPECT_EQ(Client(server_->port()).Get("/healthz").status, 200u);
}

TEST_F(BadInputTest, HeadersTricklingInSlowerThanTheTimeoutAreCutOff) {
  // Each write alone is quick, but the header block never completes in time.
  RawConnection connection(server_->port());
  ASSERT_TRUE(connection.Send("GET /healthz HTTP/1.1\r\n"));
  bool closed = false;
  for (int i = 0; i < 20 && !closed; ++i) {
    RawConnection::ReadResult wait = connection.ReadUntilClosed(std::chrono::milliseconds(500));
    closed = wait.closed;
    if (!closed) closed = !connection.Send("X-Drip-" + std::to_string(i) + ": 1\r\n");
  }
  EXPECT_TRUE(closed) << "server accepted headers dripping for 10 s";
}

TEST_F(BadInputTest, RejectedRequestsLeaveStoredDataUnchanged) {
  std::string before = Snapshot();
  std::optional<std::int64_t> unit = FindUnitId(*sysadmin_, "湖州市林业局");
  ASSERT_TRUE(unit.has_value());
  std::string unit_path = "/api/v1/units/" + std::to_string(*unit);

  EXPECT_EQ(PostUnitsRaw(R"({"name": )").status, 400u);
  EXPECT_EQ(PostUnitsRaw(R"({"name":5,"type":"other","region_code":"330500"})").status, 400u);
  EXPECT_EQ(PostUnitsRaw(R"({"name":"a","type":"other","region_code":"330500","x":1})").status,
            400u);
  EXPECT_EQ(PostUnitsRaw(R"({"name":"b","type":"other","region_code":"999999"})").status, 400u);
  EXPECT_EQ(sysadmin_->Send("PATCH", unit_path, std::string("{oops")).status, 400u);
  EXPECT_EQ(sysadmin_->Patch(unit_path, {{"region_code", "999999"}}).status, 400u);
  EXPECT_EQ(sysadmin_->Patch(unit_path, {{"name", "改名"}, {"type", "wizardry"}}).status, 400u);
  EXPECT_EQ(sysadmin_->Patch(unit_path, {{"enabled", "yes"}}).status, 400u);
  EXPECT_EQ(sysadmin_
                ->Post("/api/v1/users", {{"username", "bad_in_user"},
                                         {"display_name", "坏输入"},
                                         {"unit_id", *unit},
                                         {"roles", boost::json::array()},
                                         {"password", "short"}})
                .status,
            400u);
  {
    RawConnection connection(server_->port());
    std::string body = R"({"name":")" + std::string(4096, 'y') + R"("})";
    connection.Send(RawHead("PATCH", unit_path) + "Content-Length: " + std::to_string(body.size()) +
                    "\r\n\r\n" + body);
    EXPECT_EQ(StatusOfRawResponse(connection.ReadResponse(seconds(10))), 413u);
  }
  sysadmin_->set_auto_csrf(false);
  EXPECT_EQ(sysadmin_->Patch(unit_path, {{"name", "无令牌改名"}}).status, 403u);
  sysadmin_->set_auto_csrf(true);

  EXPECT_EQ(Snapshot(), before);
}

}  // namespace
}  // namespace lvyuan::http_test
