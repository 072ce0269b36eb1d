// Units and user accounts through the API: validation, round trips, paging,
// disabling and password resets.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

constexpr std::string_view kStrongPassword = "Lv#Test-2026-Strong";

bool IsUtcTimestamp(const boost::json::value& value) {
  static const std::regex kIso(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$)");
  return value.is_string() && std::regex_match(std::string(value.as_string()), kIso);
}

class UsersUnitsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { server_ = ServerProcess::Start().release(); }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  void SetUp() override {
    sysadmin_ = std::make_unique<Client>(server_->port());
    ASSERT_EQ(sysadmin_->Login("sysadmin", kDemoPassword).status, 200u);
    hzhb_admin_ = std::make_unique<Client>(server_->port());
    ASSERT_EQ(hzhb_admin_->Login("hzhb_admin", kDemoPassword).status, 200u);
    std::optional<std::int64_t> unit = FindUnitId(*sysadmin_, "湖州市生态环境局");
    ASSERT_TRUE(unit.has_value());
    ecology_unit_ = *unit;
  }

  boost::json::object NewOfficer(std::string_view username, std::string_view password) {
    return {{"username", username},
            {"display_name", "测试执法员"},
            {"unit_id", ecology_unit_},
            {"roles", boost::json::array{"enforcement_officer"}},
            {"password", password}};
  }

  static ServerProcess* server_;
  std::unique_ptr<Client> sysadmin_;
  std::unique_ptr<Client> hzhb_admin_;
  std::int64_t ecology_unit_ = 0;
};
ServerProcess* UsersUnitsTest::server_ = nullptr;

TEST_F(UsersUnitsTest, CreatesUnitInAnjiCountyAndReadsEveryFieldBack) {
  Reply created = sysadmin_->Post("/api/v1/units", {{"name", "安吉县生态环境保护综合行政执法队"},
                                                    {"type", "ecology_environment"},
                                                    {"region_code", "330523"},
                                                    {"contact_person", "李四"},
                                                    {"contact_phone", "0572-5123456"}});
  ASSERT_EQ(created.status, 201u) << created;
  boost::json::value unit = created.json();
  EXPECT_EQ(AsString(unit.at("name")), "安吉县生态环境保护综合行政执法队");
  EXPECT_EQ(AsString(unit.at("type")), "ecology_environment");
  EXPECT_EQ(AsString(unit.at("region_code")), "330523");
  EXPECT_NE(AsString(unit.at("region_name")).find("安吉县"), std::string::npos) << created;
  EXPECT_EQ(AsString(unit.at("contact_person")), "李四");
  EXPECT_EQ(AsString(unit.at("contact_phone")), "0572-5123456");
  EXPECT_TRUE(unit.at("enabled").as_bool());
  EXPECT_TRUE(unit.at("parent_id").is_null()) << created;
  EXPECT_TRUE(IsUtcTimestamp(unit.at("created_at"))) << created;
  EXPECT_TRUE(IsUtcTimestamp(unit.at("updated_at"))) << created;

  std::string path = "/api/v1/units/" + std::to_string(AsInt(unit.at("id")));
  Reply read = sysadmin_->Get(path);
  ASSERT_EQ(read.status, 200u) << read;
  EXPECT_EQ(read.json(), unit);

  Reply patched = sysadmin_->Patch(path, {{"contact_person", "王小明"}, {"enabled", false}});
  ASSERT_EQ(patched.status, 200u) << patched;
  EXPECT_EQ(AsString(patched.json().at("contact_person")), "王小明");
  EXPECT_FALSE(patched.json().at("enabled").as_bool());
  EXPECT_EQ(AsString(patched.json().at("name")), "安吉县生态环境保护综合行政执法队");
  EXPECT_GT(AsInt(patched.json().at("version")), AsInt(unit.at("version")));
  EXPECT_EQ(sysadmin_->Get(path).json(), patched.json());
}

TEST_F(UsersUnitsTest, CreatesChildUnitNamingItsParent) {
  std::optional<std::int64_t> parent = FindUnitId(*sysadmin_, "湖州市生态环境局");
  ASSERT_TRUE(parent.has_value());
  Reply created = sysadmin_->Post("/api/v1/units", {{"name", "湖州市生态环境局吴兴分局"},
                                                    {"type", "ecology_environment"},
                                                    {"region_code", "330502"},
                                                    {"parent_id", *parent}});
  ASSERT_EQ(created.status, 201u) << created;
  EXPECT_EQ(AsInt(created.json().at("parent_id")), *parent);
  EXPECT_EQ(AsString(created.json().at("parent_name")), "湖州市生态环境局");

  Reply orphan = sysadmin_->Post("/api/v1/units", {{"name", "无上级单位"},
                                                   {"type", "other"},
                                                   {"region_code", "330502"},
                                                   {"parent_id", 987654321}});
  ASSERT_TRUE(orphan.status == 400u || orphan.status == 404u) << orphan;
  if (orphan.status == 400u) {
    EXPECT_EQ(orphan.error_field(), "parent_id") << orphan;
  }
  EXPECT_FALSE(FindUnitId(*sysadmin_, "无上级单位").has_value());
}

TEST_F(UsersUnitsTest, RejectsUnknownRegionCodeNamingTheField) {
  Reply reply = sysadmin_->Post(
      "/api/v1/units", {{"name", "虚构地区单位"}, {"type", "other"}, {"region_code", "999999"}});
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_code(), "INVALID_ARGUMENT") << reply;
  EXPECT_EQ(reply.error_field(), "region_code") << reply;
  EXPECT_FALSE(reply.error_message().empty());
  EXPECT_FALSE(FindUnitId(*sysadmin_, "虚构地区单位").has_value());
}

TEST_F(UsersUnitsTest, RejectsUnknownUnitTypeNamingTheField) {
  Reply reply = sysadmin_->Post(
      "/api/v1/units",
      {{"name", "未知类型单位"}, {"type", "ministry_of_magic"}, {"region_code", "330500"}});
  EXPECT_EQ(reply.status, 400u) << reply;
  EXPECT_EQ(reply.error_field(), "type") << reply;
}

TEST_F(UsersUnitsTest, RegionFilterMatchesCodePrefix) {
  std::vector<boost::json::object> units = ListAll(*sysadmin_, "/api/v1/units?region=3305");
  ASSERT_FALSE(units.empty());
  for (const auto& unit : units) {
    EXPECT_TRUE(AsString(unit.at("region_code")).starts_with("3305"))
        << boost::json::serialize(unit);
  }
  bool has_anji_court = false;
  for (const auto& unit : ListAll(*sysadmin_, "/api/v1/units?region=330523")) {
    has_anji_court = has_anji_court || unit.at("name").as_string() == "安吉县人民法院";
    EXPECT_EQ(AsString(unit.at("region_code")), "330523");
  }
  EXPECT_TRUE(has_anji_court);
}

TEST_F(UsersUnitsTest, DuplicateUsernameIsAConflictOnTheUsernameField) {
  Reply first = hzhb_admin_->Post("/api/v1/users", NewOfficer("hb_dup_officer", kStrongPassword));
  ASSERT_EQ(first.status, 201u) << first;
  Reply second = hzhb_admin_->Post("/api/v1/users", NewOfficer("hb_dup_officer", kStrongPassword));
  EXPECT_EQ(second.status, 409u) << second;
  EXPECT_EQ(second.error_code(), "ALREADY_EXISTS") << second;
  EXPECT_EQ(second.error_field(), "username") << second;

  Reply demo_name = hzhb_admin_->Post("/api/v1/users", NewOfficer("hzzy_judge", kStrongPassword));
  EXPECT_EQ(demo_name.status, 409u) << "usernames are unique across units: " << demo_name;
}

TEST_F(UsersUnitsTest, RejectsWeakPasswordsNamingThePasswordField) {
  struct Case {
    std::string username;
    std::string password;
  };
  for (const auto& weak : {Case{"hb_weak_short", "Ab1#efghi"},        // 9 characters
                           Case{"hb_weak_same01", "hb_weak_same01"},  // equal to the username
                           Case{"hb_weak_common", "password123"}}) {  // a common password
    SCOPED_TRACE(weak.password);
    Reply reply = hzhb_admin_->Post("/api/v1/users", NewOfficer(weak.username, weak.password));
    EXPECT_EQ(reply.status, 400u) << reply;
    EXPECT_EQ(reply.error_code(), "INVALID_ARGUMENT") << reply;
    EXPECT_EQ(reply.error_field(), "password") << reply;
    EXPECT_FALSE(FindUserId(*sysadmin_, weak.username).has_value());
  }
}

TEST_F(UsersUnitsTest, CreatedUserRoundTripsAndCanLogIn) {
  boost::json::object body = NewOfficer("hb_roundtrip", kStrongPassword);
  body["phone"] = "13800138000";
  Reply created = hzhb_admin_->Post("/api/v1/users", body);
  ASSERT_EQ(created.status, 201u) << created;
  boost::json::value user = created.json();
  EXPECT_EQ(AsString(user.at("username")), "hb_roundtrip");
  EXPECT_EQ(AsString(user.at("display_name")), "测试执法员");
  EXPECT_EQ(AsInt(user.at("unit_id")), ecology_unit_);
  EXPECT_EQ(AsString(user.at("unit_name")), "湖州市生态环境局");
  EXPECT_EQ(boost::json::serialize(user.at("roles")), R"(["enforcement_officer"])");
  EXPECT_TRUE(user.at("enabled").as_bool());
  ASSERT_TRUE(user.as_object().contains("locked")) << "User lacks \"locked\": " << created;
  EXPECT_FALSE(user.at("locked").as_bool());
  EXPECT_TRUE(IsUtcTimestamp(user.at("created_at"))) << created;
  EXPECT_EQ(created.body.find(std::string(kStrongPassword)), std::string::npos);
  EXPECT_EQ(created.body.find("$argon2"), std::string::npos) << "no password hash is served";

  Reply read = hzhb_admin_->Get("/api/v1/users/" + std::to_string(AsInt(user.at("id"))));
  ASSERT_EQ(read.status, 200u) << read;
  EXPECT_EQ(read.json(), user);

  Client self(server_->port());
  EXPECT_EQ(self.Login("hb_roundtrip", kStrongPassword).status, 200u);
}

TEST_F(UsersUnitsTest, DisablingAUserRevokesItsSessionAndRefusesLogin) {
  Reply created = hzhb_admin_->Post("/api/v1/users", NewOfficer("hb_to_disable", kStrongPassword));
  ASSERT_EQ(created.status, 201u) << created;
  std::string path = "/api/v1/users/" + std::to_string(AsInt(created.json().at("id")));
  Client user(server_->port());
  ASSERT_EQ(user.Login("hb_to_disable", kStrongPassword).status, 200u);
  ASSERT_EQ(user.Get("/api/v1/me").status, 200u);

  Reply disable = hzhb_admin_->Patch(path, {{"enabled", false}});
  ASSERT_EQ(disable.status, 200u) << disable;
  EXPECT_FALSE(disable.json().at("enabled").as_bool());

  Reply me = user.Get("/api/v1/me");
  EXPECT_EQ(me.status, 401u) << "existing session must be revoked: " << me;
  Client again(server_->port());
  Reply login = again.Login("hb_to_disable", kStrongPassword);
  EXPECT_EQ(login.status, 401u) << login;
  EXPECT_TRUE(again.cookie("__Host-lvyuan").empty());
}

TEST_F(UsersUnitsTest, AdminPasswordResetReplacesTheOldPassword) {
  Reply created = hzhb_admin_->Post("/api/v1/users", NewOfficer("hb_reset_me", kStrongPassword));
  ASSERT_EQ(created.status, 201u) << created;
  std::string path = "/api/v1/users/" + std::to_string(AsInt(created.json().at("id")));

  Reply weak = hzhb_admin_->Patch(path, {{"password", "short1!"}});
  EXPECT_EQ(weak.status, 400u) << weak;
  EXPECT_EQ(weak.error_field(), "password") << weak;

  Reply reset = hzhb_admin_->Patch(path, {{"password", "Reset#Pass-2026"}});
  ASSERT_EQ(reset.status, 200u) << reset;
  Client user(server_->port());
  EXPECT_EQ(user.Login("hb_reset_me", kStrongPassword).status, 401u);
  EXPECT_EQ(user.Login("hb_reset_me", "Reset#Pass-2026").status, 200u);
}

TEST_F(UsersUnitsTest, UserChangesOwnPasswordWithTheCurrentOne) {
  Reply created = hzhb_admin_->Post("/api/v1/users", NewOfficer("hb_self_change", kStrongPassword));
  ASSERT_EQ(created.status, 201u) << created;
  Client user(server_->port());
  ASSERT_EQ(user.Login("hb_self_change", kStrongPassword).status, 200u);

  Reply wrong_current = user.Post("/api/v1/me/password", {{"current_password", "Not-it#2026x"},
                                                          {"new_password", "Brand-New#2026"}});
  EXPECT_TRUE(wrong_current.status == 400u || wrong_current.status == 401u ||
              wrong_current.status == 403u)
      << wrong_current;
  Reply common = user.Post("/api/v1/me/password", {{"current_password", kStrongPassword},
                                                   {"new_password", "password123"}});
  EXPECT_EQ(common.status, 400u) << common;
  EXPECT_EQ(common.error_field(), "new_password") << common;

  Reply change = user.Post("/api/v1/me/password", {{"current_password", kStrongPassword},
                                                   {"new_password", "Brand-New#2026"}});
  ASSERT_EQ(change.status, 204u) << change;
  Client again(server_->port());
  EXPECT_EQ(again.Login("hb_self_change", kStrongPassword).status, 401u);
  EXPECT_EQ(again.Login("hb_self_change", "Brand-New#2026").status, 200u);
}

TEST_F(UsersUnitsTest, CursorPagingWalksEveryUnitOnceInPagesOfThree) {
  std::vector<boost::json::object> all = ListAll(*sysadmin_, "/api/v1/units", 100);
  ASSERT_GE(all.size(), 14u) << "the demo deployment has 14 units";

  std::set<std::int64_t> seen;
  std::string cursor;
  int pages = 0;
  while (true) {
    std::string target = "/api/v1/units?limit=3";
    if (!cursor.empty()) target += "&cursor=" + UrlEncode(cursor);
    Reply page = sysadmin_->Get(target);
    ASSERT_EQ(page.status, 200u) << page;
    boost::json::value body = page.json();
    const auto& items = body.at("items").as_array();
    ASSERT_LE(items.size(), 3u);
    for (const auto& item : items) {
      EXPECT_TRUE(seen.insert(AsInt(item.at("id"))).second)
          << "unit listed twice: " << boost::json::serialize(item);
    }
    ++pages;
    ASSERT_LT(pages, 100) << "paging does not terminate";
    const boost::json::value& next = body.at("next_cursor");
    if (next.is_null()) break;
    ASSERT_FALSE(items.empty()) << "a page with a next cursor must not be empty";
    cursor = AsString(next);
  }
  std::set<std::int64_t> expected;
  for (const auto& unit : all) expected.insert(AsInt(unit.at("id")));
  EXPECT_EQ(seen, expected);
  EXPECT_GE(pages, 5);

  Reply bogus = sysadmin_->Get("/api/v1/units?limit=3&cursor=not-a-real-cursor");
  EXPECT_EQ(bogus.status, 400u) << bogus;
}

TEST_F(UsersUnitsTest, SqlLookingNameIsStoredAsPlainText) {
  const std::string name = "Robert'); DROP TABLE units;--";
  std::size_t before = ListAll(*sysadmin_, "/api/v1/units").size();
  Reply created = sysadmin_->Post("/api/v1/units",
                                  {{"name", name}, {"type", "other"}, {"region_code", "330500"}});
  ASSERT_EQ(created.status, 201u) << created;
  EXPECT_EQ(AsString(created.json().at("name")), name);
  Reply read = sysadmin_->Get("/api/v1/units/" + std::to_string(AsInt(created.json().at("id"))));
  ASSERT_EQ(read.status, 200u) << read;
  EXPECT_EQ(AsString(read.json().at("name")), name);
  EXPECT_EQ(ListAll(*sysadmin_, "/api/v1/units").size(), before + 1);
  EXPECT_EQ(FindUnitId(*sysadmin_, name), AsInt(created.json().at("id")));

  Reply search = sysadmin_->Get("/api/v1/units?q=" + UrlEncode("' OR '1'='1"));
  ASSERT_EQ(search.status, 200u) << search;
  EXPECT_TRUE(search.json().at("items").as_array().empty()) << search;
}

}  // namespace
}  // namespace lvyuan::http_test
