// A unit administrator sees and changes only its own unit's accounts; to it
// other units' users do not exist (404, never 403).
#include <gtest/gtest.h>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

constexpr std::string_view kEcology = "湖州市生态环境局";
constexpr std::string_view kCourt = "湖州市中级人民法院";
constexpr std::string_view kStrongPassword = "Lv#Test-2026-Strong";

class IsolationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    for (auto [client, name] :
         {std::pair<std::unique_ptr<Client>*, const char*>{&sysadmin_, "sysadmin"},
          {&hzhb_admin_, "hzhb_admin"},
          {&hzzy_admin_, "hzzy_admin"}}) {
      *client = std::make_unique<Client>(server_->port());
      Reply reply = (*client)->Login(name, kDemoPassword);
      ASSERT_EQ(reply.status, 200u) << name << ": " << reply;
    }
  }
  std::int64_t UserId(std::string_view username) {
    std::optional<std::int64_t> id = FindUserId(*sysadmin_, username);
    if (!id) throw std::runtime_error("demo user missing: " + std::string(username));
    return *id;
  }
  std::int64_t UnitId(std::string_view name) {
    std::optional<std::int64_t> id = FindUnitId(*sysadmin_, name);
    if (!id) throw std::runtime_error("demo unit missing: " + std::string(name));
    return *id;
  }
  static std::string UserPath(std::int64_t id) { return "/api/v1/users/" + std::to_string(id); }

  static ServerProcess* server_;
  std::unique_ptr<Client> sysadmin_;
  std::unique_ptr<Client> hzhb_admin_;
  std::unique_ptr<Client> hzzy_admin_;
};
ServerProcess* IsolationTest::server_ = nullptr;

TEST_F(IsolationTest, UnitAdminListsOnlyUsersOfItsOwnUnit) {
  std::int64_t own = UnitId(kEcology);
  std::vector<boost::json::object> users = ListAll(*hzhb_admin_, "/api/v1/users");
  ASSERT_FALSE(users.empty());
  bool sees_officer = false;
  for (const auto& user : users) {
    EXPECT_EQ(AsInt(user.at("unit_id")), own) << boost::json::serialize(user);
    EXPECT_EQ(AsString(user.at("unit_name")), kEcology);
    sees_officer = sees_officer || user.at("username").as_string() == "hzhb_officer";
  }
  EXPECT_TRUE(sees_officer);

  // Asking for another unit's users explicitly does not widen the view.
  Reply other = hzhb_admin_->Get("/api/v1/users?unit_id=" + std::to_string(UnitId(kCourt)));
  if (other.status == 200u) {
    boost::json::value body = other.json();
    for (const auto& user : body.at("items").as_array()) {
      EXPECT_EQ(AsInt(user.at("unit_id")), own) << boost::json::serialize(user);
    }
  } else {
    EXPECT_TRUE(other.status == 403u || other.status == 404u) << other;
  }
}

TEST_F(IsolationTest, OtherUnitsUserIsNotFoundExactlyLikeAMissingOne) {
  std::int64_t judge = UserId("hzzy_judge");
  Reply foreign = hzhb_admin_->Get(UserPath(judge));
  EXPECT_EQ(foreign.status, 404u) << foreign;
  EXPECT_EQ(foreign.error_code(), "NOT_FOUND") << foreign;
  EXPECT_EQ(foreign.body.find("hzzy_judge"), std::string::npos) << foreign;

  Reply missing = hzhb_admin_->Get(UserPath(987654321));
  ASSERT_EQ(missing.status, 404u) << missing;
  // Same answer (ignoring the id a message may quote): existence is not revealed.
  auto without_digits = [](std::string text) {
    std::erase_if(text, [](char c) { return c >= '0' && c <= '9'; });
    return text;
  };
  EXPECT_EQ(without_digits(foreign.body), without_digits(missing.body));
}

TEST_F(IsolationTest, UnitAdminCannotChangeOtherUnitsUser) {
  std::int64_t judge = UserId("hzzy_judge");
  Reply before = sysadmin_->Get(UserPath(judge));
  ASSERT_EQ(before.status, 200u) << before;

  Reply rename = hzhb_admin_->Patch(UserPath(judge), {{"display_name", "被篡改"}});
  EXPECT_EQ(rename.status, 404u) << rename;
  Reply disable = hzhb_admin_->Patch(UserPath(judge), {{"enabled", false}});
  EXPECT_EQ(disable.status, 404u) << disable;
  Reply reset = hzhb_admin_->Patch(UserPath(judge), {{"password", "Taken-Over#2026"}});
  EXPECT_EQ(reset.status, 404u) << reset;

  Reply after = sysadmin_->Get(UserPath(judge));
  ASSERT_EQ(after.status, 200u) << after;
  EXPECT_EQ(after.json().at("display_name"), before.json().at("display_name"));
  EXPECT_TRUE(after.json().at("enabled").as_bool());
  Client judge_client(server_->port());
  EXPECT_EQ(judge_client.Login("hzzy_judge", kDemoPassword).status, 200u);
}

TEST_F(IsolationTest, UnitAdminCannotCreateUsersInAnotherUnit) {
  Reply reply = hzhb_admin_->Post("/api/v1/users", {{"username", "planted_clerk"},
                                                    {"display_name", "孙八"},
                                                    {"unit_id", UnitId(kCourt)},
                                                    {"roles", boost::json::array{"clerk"}},
                                                    {"password", kStrongPassword}});
  EXPECT_TRUE(reply.status == 403u || reply.status == 404u) << reply;
  EXPECT_FALSE(FindUserId(*sysadmin_, "planted_clerk").has_value());
}

TEST_F(IsolationTest, CourtAdminLikewiseCannotSeeEcologyUsers) {
  std::int64_t own = UnitId(kCourt);
  for (const auto& user : ListAll(*hzzy_admin_, "/api/v1/users")) {
    EXPECT_EQ(AsInt(user.at("unit_id")), own) << boost::json::serialize(user);
  }
  Reply foreign = hzzy_admin_->Get(UserPath(UserId("hzhb_officer")));
  EXPECT_EQ(foreign.status, 404u) << foreign;
}

TEST_F(IsolationTest, UnitAdminCannotGrantAdministratorRoles) {
  std::int64_t own = UnitId(kEcology);
  int suffix = 0;
  for (std::string_view role : {"system_admin", "security_admin", "audit_admin"}) {
    std::string username = "hb_escalate" + std::to_string(++suffix);
    Reply create = hzhb_admin_->Post("/api/v1/users", {{"username", username},
                                                       {"display_name", "周九"},
                                                       {"unit_id", own},
                                                       {"roles", boost::json::array{role}},
                                                       {"password", kStrongPassword}});
    EXPECT_EQ(create.status, 403u) << role << ": " << create;
    EXPECT_FALSE(FindUserId(*sysadmin_, username).has_value()) << role;
  }

  std::int64_t officer = UserId("hzhb_officer");
  Reply patch =
      hzhb_admin_->Patch(UserPath(officer), {{"roles", boost::json::array{"security_admin"}}});
  EXPECT_EQ(patch.status, 403u) << patch;
  Reply after = sysadmin_->Get(UserPath(officer));
  ASSERT_EQ(after.status, 200u) << after;
  EXPECT_EQ(boost::json::serialize(after.json().at("roles")), R"(["enforcement_officer"])");
}

TEST_F(IsolationTest, UnitAdminCreatesAndEditsUsersOfItsOwnUnit) {
  std::int64_t own = UnitId(kEcology);
  Reply create =
      hzhb_admin_->Post("/api/v1/users", {{"username", "hb_newofficer"},
                                          {"display_name", "吴十"},
                                          {"unit_id", own},
                                          {"roles", boost::json::array{"enforcement_officer"}},
                                          {"password", kStrongPassword}});
  ASSERT_EQ(create.status, 201u) << create;
  std::int64_t id = AsInt(create.json().at("id"));
  Reply patch = hzhb_admin_->Patch(UserPath(id), {{"display_name", "吴十一"}});
  ASSERT_EQ(patch.status, 200u) << patch;
  EXPECT_EQ(AsString(patch.json().at("display_name")), "吴十一");
  EXPECT_EQ(hzzy_admin_->Get(UserPath(id)).status, 404u);
}

}  // namespace
}  // namespace lvyuan::http_test
