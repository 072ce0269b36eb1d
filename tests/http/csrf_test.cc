// Cross-site request forgery defences and Bearer API tokens.
#include <gtest/gtest.h>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

boost::json::object NewUnit(std::string_view name) {
  return {{"name", name}, {"type", "other"}, {"region_code", "330500"}};
}

class CsrfTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    sysadmin_ = std::make_unique<Client>(server_->port());
    ASSERT_EQ(sysadmin_->Login("sysadmin", kDemoPassword).status, 200u);
  }
  bool UnitExists(std::string_view name) { return FindUnitId(*sysadmin_, name).has_value(); }

  static ServerProcess* server_;
  std::unique_ptr<Client> sysadmin_;
};
ServerProcess* CsrfTest::server_ = nullptr;

TEST_F(CsrfTest, UnsafeRequestWithoutCsrfHeaderIsForbidden) {
  sysadmin_->set_auto_csrf(false);
  Reply reply = sysadmin_->Post("/api/v1/units", NewUnit("无令牌单位"));
  EXPECT_EQ(reply.status, 403u) << reply;
  EXPECT_EQ(reply.error_code(), "PERMISSION_DENIED") << reply;
  sysadmin_->set_auto_csrf(true);
  EXPECT_FALSE(UnitExists("无令牌单位"));
}

TEST_F(CsrfTest, UnsafeRequestWithWrongCsrfTokenIsForbidden) {
  Reply reply = sysadmin_->Post("/api/v1/units", NewUnit("错令牌单位"),
                                {{"X-CSRF-Token", sysadmin_->csrf_token() + "x"}});
  EXPECT_EQ(reply.status, 403u) << reply;
  Reply empty = sysadmin_->Post("/api/v1/units", NewUnit("错令牌单位"), {{"X-CSRF-Token", " "}});
  EXPECT_EQ(empty.status, 403u) << empty;
  EXPECT_FALSE(UnitExists("错令牌单位"));
}

TEST_F(CsrfTest, CsrfTokenOfAnotherSessionIsForbidden) {
  Client other(server_->port());
  ASSERT_EQ(other.Login("sysadmin", kDemoPassword).status, 200u);
  ASSERT_NE(other.csrf_token(), sysadmin_->csrf_token());
  Reply reply = sysadmin_->Post("/api/v1/units", NewUnit("他人令牌单位"),
                                {{"X-CSRF-Token", other.csrf_token()}});
  EXPECT_EQ(reply.status, 403u) << reply;
  EXPECT_FALSE(UnitExists("他人令牌单位"));
}

TEST_F(CsrfTest, UnsafeRequestWithTheSessionsCsrfTokenSucceeds) {
  Reply reply = sysadmin_->Post("/api/v1/units", NewUnit("有令牌单位"));
  EXPECT_EQ(reply.status, 201u) << reply;
  EXPECT_TRUE(UnitExists("有令牌单位"));
}

TEST_F(CsrfTest, CrossSiteOriginIsForbiddenEvenWithTheRightToken) {
  Reply reply =
      sysadmin_->Post("/api/v1/units", NewUnit("跨站单位"), {{"Origin", "http://evil.example"}});
  EXPECT_EQ(reply.status, 403u) << reply;
  EXPECT_FALSE(UnitExists("跨站单位"));
}

TEST_F(CsrfTest, LoginFromCrossSiteOriginDoesNotStartASession) {
  Client client(server_->port());
  Reply reply = client.Send(
      "POST", "/api/v1/auth/login",
      R"({"username":"hzhb_officer","password":")" + std::string(kDemoPassword) + R"("})",
      "application/json", {{"Origin", "http://evil.example"}});
  EXPECT_EQ(reply.status, 403u) << reply;
  EXPECT_TRUE(client.cookie("__Host-lvyuan").empty());
}

TEST_F(CsrfTest, BearerTokenReadsWithoutCsrfCannotWriteAndStopsWorkingWhenRevoked) {
  Client secadmin(server_->port());
  ASSERT_EQ(secadmin.Login("secadmin", kDemoPassword).status, 200u);
  boost::json::array permissions{"system:unit:list"};
  Reply created =
      secadmin.Post("/api/v1/tokens", {{"name", "数据交换接口"}, {"permissions", permissions}});
  ASSERT_EQ(created.status, 201u) << created;
  std::string token = AsString(created.json().at("token"));
  std::int64_t id = AsInt(created.json().at("id"));
  ASSERT_FALSE(token.empty());

  Reply listed = secadmin.Get("/api/v1/tokens");
  ASSERT_EQ(listed.status, 200u) << listed;
  EXPECT_EQ(listed.body.find(token), std::string::npos) << "a token is shown only once";

  Client machine(server_->port());
  machine.set_bearer(token);
  Reply units = machine.Get("/api/v1/units");
  EXPECT_EQ(units.status, 200u) << units;
  EXPECT_FALSE(units.json().at("items").as_array().empty());

  Reply write = machine.Post("/api/v1/units", NewUnit("令牌写入单位"));
  EXPECT_EQ(write.status, 403u) << write;
  Reply users = machine.Get("/api/v1/users");
  EXPECT_EQ(users.status, 403u) << users;

  Reply revoke = secadmin.Delete("/api/v1/tokens/" + std::to_string(id));
  EXPECT_EQ(revoke.status, 204u) << revoke;
  Reply after = machine.Get("/api/v1/units");
  EXPECT_EQ(after.status, 401u) << after;
  EXPECT_FALSE(UnitExists("令牌写入单位"));
}

TEST_F(CsrfTest, UnknownBearerTokenIsUnauthenticated) {
  Client machine(server_->port());
  machine.set_bearer("lvy_0000000000000000000000000000000000000000");
  Reply reply = machine.Get("/api/v1/units");
  EXPECT_EQ(reply.status, 401u) << reply;
  EXPECT_EQ(reply.error_code(), "UNAUTHENTICATED") << reply;
}

}  // namespace
}  // namespace lvyuan::http_test
