// 三员分立: the system, security and audit administrators each hold only their
// own powers, and every refusal is written to the audit log.
#include <gtest/gtest.h>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

constexpr std::string_view kStrongPassword = "Lv#Test-2026-Strong";

class SeparationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    using Account = std::pair<std::unique_ptr<Client>*, const char*>;
    for (auto [client, name] : {Account{&sysadmin_, "sysadmin"}, Account{&secadmin_, "secadmin"},
                                Account{&auditadmin_, "auditadmin"}}) {
      *client = std::make_unique<Client>(server_->port());
      Reply reply = (*client)->Login(name, kDemoPassword);
      ASSERT_EQ(reply.status, 200u) << name << ": " << reply;
    }
  }

  std::int64_t UnitId(std::string_view name) {
    std::optional<std::int64_t> id = FindUnitId(*sysadmin_, name);
    if (!id) throw std::runtime_error("demo unit missing: " + std::string(name));
    return *id;
  }

  // The audit events with this request id, as the audit admin sees them.
  std::vector<boost::json::object> EventsOfRequest(std::string_view request_id) {
    std::vector<boost::json::object> out;
    for (auto& event : ListAll(*auditadmin_, "/api/v1/audit/events")) {
      const auto* id = event.if_contains("request_id");
      if (id != nullptr && id->is_string() && id->as_string() == request_id) out.push_back(event);
    }
    return out;
  }

  void ExpectDeniedEventFor(std::string_view request_id, std::string_view actor) {
    std::vector<boost::json::object> events = EventsOfRequest(request_id);
    ASSERT_FALSE(events.empty()) << "no audit event with request_id " << request_id;
    bool found = false;
    for (const auto& event : events) {
      if (AsString(event.at("outcome")) == "denied" &&
          AsString(event.at("actor_username")) == actor) {
        found = true;
      }
    }
    EXPECT_TRUE(found) << "no denied event by " << actor << " for request " << request_id << ": "
                       << boost::json::serialize(events.front());
  }

  static ServerProcess* server_;
  std::unique_ptr<Client> sysadmin_;
  std::unique_ptr<Client> secadmin_;
  std::unique_ptr<Client> auditadmin_;
};
ServerProcess* SeparationTest::server_ = nullptr;

TEST_F(SeparationTest, SystemAdminManagesUnitsAndUsersWithoutRoles) {
  EXPECT_EQ(sysadmin_->Get("/api/v1/units").status, 200u);
  Reply unit = sysadmin_->Post("/api/v1/units", {{"name", "湖州市南浔区生态环境分局"},
                                                 {"type", "ecology_environment"},
                                                 {"region_code", "330503"}});
  ASSERT_EQ(unit.status, 201u) << unit;
  EXPECT_EQ(sysadmin_->Get("/api/v1/users").status, 200u);
  Reply user = sysadmin_->Post("/api/v1/users", {{"username", "nx_staff01"},
                                                 {"display_name", "王五"},
                                                 {"unit_id", AsInt(unit.json().at("id"))},
                                                 {"roles", boost::json::array()},
                                                 {"password", kStrongPassword}});
  ASSERT_EQ(user.status, 201u) << user;
  EXPECT_EQ(AsString(user.json().at("unit_name")), "湖州市南浔区生态环境分局");
  EXPECT_TRUE(user.json().at("roles").as_array().empty());
}

TEST_F(SeparationTest, SystemAdminCannotReadTheAuditLog) {
  Reply reply = sysadmin_->Get("/api/v1/audit/events");
  EXPECT_EQ(reply.status, 403u) << reply;
  EXPECT_EQ(reply.error_code(), "PERMISSION_DENIED") << reply;
}

TEST_F(SeparationTest, SystemAdminCannotAssignRoles) {
  std::int64_t court = UnitId("湖州市中级人民法院");
  Reply create = sysadmin_->Post("/api/v1/users", {{"username", "zy_newjudge"},
                                                   {"display_name", "赵六"},
                                                   {"unit_id", court},
                                                   {"roles", boost::json::array{"judge"}},
                                                   {"password", kStrongPassword}});
  EXPECT_EQ(create.status, 403u) << create;
  EXPECT_FALSE(FindUserId(*sysadmin_, "zy_newjudge").has_value());

  std::optional<std::int64_t> clerk = FindUserId(*sysadmin_, "hzzy_clerk");
  ASSERT_TRUE(clerk.has_value());
  Reply patch = sysadmin_->Patch("/api/v1/users/" + std::to_string(*clerk),
                                 {{"roles", boost::json::array{"clerk", "judge"}}});
  EXPECT_EQ(patch.status, 403u) << patch;
  Reply after = sysadmin_->Get("/api/v1/users/" + std::to_string(*clerk));
  ASSERT_EQ(after.status, 200u) << after;
  EXPECT_EQ(boost::json::serialize(after.json().at("roles")), R"(["clerk"])");

  Reply roles = sysadmin_->Get("/api/v1/roles");
  if (roles.status == 200u) {
    boost::json::value body = roles.json();
    for (const auto& role : body.at("items").as_array()) {
      EXPECT_FALSE(role.at("assignable").as_bool()) << boost::json::serialize(role);
    }
  }
}

TEST_F(SeparationTest, AuditAdminSeesLoginEventsWithTheirOutcome) {
  Client stranger(server_->port());
  ASSERT_EQ(stranger.Login("hzly_officer", "Not-the-password-1").status, 401u);
  ASSERT_EQ(stranger.Login("hzly_officer", kDemoPassword).status, 200u);

  Reply page = auditadmin_->Get("/api/v1/audit/events");
  ASSERT_EQ(page.status, 200u) << page;
  bool ok_login = false;
  bool failed_login = false;
  for (const auto& event : ListAll(*auditadmin_, "/api/v1/audit/events")) {
    std::string action = AsString(event.at("action"));
    if (action.find("login") == std::string::npos) continue;
    std::string outcome = AsString(event.at("outcome"));
    EXPECT_TRUE(outcome == "ok" || outcome == "denied" || outcome == "failed") << outcome;
    std::string text = boost::json::serialize(event);
    if (text.find("hzly_officer") == std::string::npos) continue;
    ok_login = ok_login || outcome == "ok";
    failed_login = failed_login || outcome != "ok";
    EXPECT_FALSE(AsString(event.at("at")).empty());
    EXPECT_EQ(text.find("Not-the-password-1"), std::string::npos) << "password in the audit log";
  }
  EXPECT_TRUE(ok_login) << "no successful login event for hzly_officer";
  EXPECT_TRUE(failed_login) << "no failed login event for hzly_officer";
}

TEST_F(SeparationTest, AuditAdminCannotManageUnitsOrUsers) {
  Reply create = auditadmin_->Post(
      "/api/v1/units",
      {{"name", "审计员创建的单位"}, {"type", "other"}, {"region_code", "330500"}});
  EXPECT_EQ(create.status, 403u) << create;
  Reply users = auditadmin_->Get("/api/v1/users");
  EXPECT_EQ(users.status, 403u) << users;
  EXPECT_FALSE(FindUnitId(*sysadmin_, "审计员创建的单位").has_value());
}

TEST_F(SeparationTest, SecurityAdminIssuesTokensAndAssignsBusinessRolesOnly) {
  Reply token = secadmin_->Post(
      "/api/v1/tokens",
      {{"name", "法院系统对接"}, {"permissions", boost::json::array{"system:unit:list"}}});
  EXPECT_EQ(token.status, 201u) << token;
  EXPECT_EQ(secadmin_->Get("/api/v1/tokens").status, 200u);

  std::int64_t court = UnitId("湖州市中级人民法院");
  Reply user = sysadmin_->Post("/api/v1/users", {{"username", "zy_assignee"},
                                                 {"display_name", "钱七"},
                                                 {"unit_id", court},
                                                 {"roles", boost::json::array()},
                                                 {"password", kStrongPassword}});
  ASSERT_EQ(user.status, 201u) << user;
  std::string path = "/api/v1/users/" + std::to_string(AsInt(user.json().at("id")));

  Reply assign = secadmin_->Patch(path, {{"roles", boost::json::array{"judge"}}});
  ASSERT_EQ(assign.status, 200u) << assign;
  EXPECT_EQ(boost::json::serialize(assign.json().at("roles")), R"(["judge"])");

  for (std::string_view admin_role : {"system_admin", "security_admin", "audit_admin"}) {
    Reply escalate = secadmin_->Patch(path, {{"roles", boost::json::array{admin_role}}});
    EXPECT_EQ(escalate.status, 403u) << admin_role << ": " << escalate;
  }
  Reply after = sysadmin_->Get(path);
  ASSERT_EQ(after.status, 200u) << after;
  EXPECT_EQ(boost::json::serialize(after.json().at("roles")), R"(["judge"])");
}

TEST_F(SeparationTest, SecurityAdminCannotReadTheAuditLog) {
  Reply reply = secadmin_->Get("/api/v1/audit/events");
  EXPECT_EQ(reply.status, 403u) << reply;
}

TEST_F(SeparationTest, EveryDenialIsAuditedAsDenied) {
  struct Denial {
    Client* client;
    std::string actor;
    std::string method;
    std::string target;
    std::string request_id;
  };
  std::vector<Denial> denials = {
      {sysadmin_.get(), "sysadmin", "GET", "/api/v1/audit/events", "deny-sys-audit-1"},
      {auditadmin_.get(), "auditadmin", "POST", "/api/v1/units", "deny-audit-unit-1"},
      {auditadmin_.get(), "auditadmin", "GET", "/api/v1/users", "deny-audit-users-1"},
      {secadmin_.get(), "secadmin", "GET", "/api/v1/audit/events", "deny-sec-audit-1"},
  };
  for (const auto& denial : denials) {
    std::optional<std::string> body;
    if (denial.method == "POST") {
      body = R"({"name":"不应存在的单位","type":"other","region_code":"330500"})";
    }
    Reply reply = denial.client->Send(denial.method, denial.target, body, "application/json",
                                      {{"X-Request-Id", denial.request_id}});
    ASSERT_EQ(reply.status, 403u) << denial.actor << " " << denial.target << ": " << reply;
  }
  for (const auto& denial : denials) {
    SCOPED_TRACE(denial.request_id);
    ExpectDeniedEventFor(denial.request_id, denial.actor);
  }
}

}  // namespace
}  // namespace lvyuan::http_test
