#include "domain/accounts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "core/encoding.h"
#include "crypto/totp.h"
#include "domain/demo.h"
#include "record/log.h"

namespace lvyuan::domain {
namespace {

constexpr std::string_view kPassword = "Lvyuan@2026demo";

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("lvyuan-accounts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    auto db = store::Open({.url = (dir_ / "lvyuan.db").string()});
    ASSERT_TRUE(db.ok()) << db.error().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
    ASSERT_TRUE(catalog_ && regions_);
    AuthPolicy policy;
    policy.hash_params = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
    policy.field_cipher = &field_cipher_;
    log_ = std::move(record::Log::Open(*db_, clock_, crypto::HashAlgorithm::kSm3).value());
    accounts_ = std::make_unique<Accounts>(*db_, *catalog_, *regions_, clock_, *log_, policy);
    ASSERT_TRUE(accounts_->Initialize().ok());
    auto demo = CreateDemo(*accounts_, {});
    ASSERT_TRUE(demo.ok()) << demo.error().ToString();
  }
  static void SetUpTestSuite() {
    auto catalog = Catalog::Load(std::filesystem::path(LVYUAN_SOURCE_ROOT) / "data");
    ASSERT_TRUE(catalog.ok()) << catalog.error().ToString();
    catalog_ = std::make_unique<Catalog>(std::move(catalog).value());
    auto regions =
        core::RegionCatalogue::Load(std::filesystem::path(LVYUAN_SOURCE_ROOT) / "data/regions");
    ASSERT_TRUE(regions.ok());
    regions_ = std::make_unique<core::RegionCatalogue>(std::move(regions).value());
  }
  static void TearDownTestSuite() {
    catalog_.reset();
    regions_.reset();
  }
  void TearDown() override {
    accounts_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::optional<store::UserRecord> StoredUser(std::string_view username) {
    std::optional<store::UserRecord> user;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> Status {
                     user = TRY(store::FindUserByName(conn, username));
                     return core::Ok();
                   })
                    .ok());
    return user;
  }

  crypto::FieldCipher field_cipher_ = crypto::FieldCipher::Generate();

  Principal LoginAs(std::string_view username) {
    auto out = accounts_->Login({std::string(username), std::string(kPassword), ""}, meta_);
    EXPECT_TRUE(out.ok()) << out.error().ToString();
    auto p = accounts_->AuthenticateSession(out->session_token);
    EXPECT_TRUE(p.ok());
    return *p;
  }

  std::int64_t UnitId(std::string_view name) {
    store::UnitFilter f;
    f.name_contains = std::string(name);
    auto page = accounts_->ListUnits(Accounts::CommandLine(), f);
    EXPECT_TRUE(page.ok() && !page->items.empty());
    return page->items.front().id;
  }

  std::int64_t UserId(std::string_view username) {
    store::UserFilter f;
    f.text_contains = std::string(username);
    auto page = accounts_->ListUsers(Accounts::CommandLine(), f);
    for (const auto& u : page->items) {
      if (u.username == username) return u.id;
    }
    ADD_FAILURE() << "no user " << username;
    return 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
  static inline std::unique_ptr<Catalog> catalog_;
  static inline std::unique_ptr<core::RegionCatalogue> regions_;
  core::FakeClock clock_{1'796'154'841'000};
  std::unique_ptr<record::Log> log_;
  std::unique_ptr<Accounts> accounts_;
  RequestMeta meta_{"127.0.0.1", "test"};
};

TEST_F(AccountsTest, DemoIsIdempotent) {
  auto again = CreateDemo(*accounts_, {});
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  for (const auto& a : *again) EXPECT_FALSE(a.created) << a.username;
}

TEST_F(AccountsTest, WrongPasswordAndUnknownUserGiveTheSameAnswer) {
  auto wrong = accounts_->Login({"hzhb_admin", "not-the-password", ""}, meta_);
  auto unknown = accounts_->Login({"nobody_here", "not-the-password", ""}, meta_);
  ASSERT_FALSE(wrong.ok());
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(wrong.error().code, core::ErrorCode::kUnauthenticated);
  EXPECT_EQ(wrong.error().message, unknown.error().message);
}

TEST_F(AccountsTest, FiveFailuresLockTheNameEvenForUnknownUsers) {
  for (const char* name : {"hzhb_admin", "ghost_user"}) {
    for (int i = 0; i < 5; ++i) {
      auto r = accounts_->Login({name, "wrong-password", ""}, meta_);
      ASSERT_EQ(r.error().code, core::ErrorCode::kUnauthenticated);
    }
    auto locked = accounts_->Login({name, std::string(kPassword), ""}, meta_);
    ASSERT_FALSE(locked.ok());
    EXPECT_EQ(locked.error().code, core::ErrorCode::kLocked) << name;
  }
  clock_.Advance(15 * 60 * 1000 + 1);
  EXPECT_TRUE(accounts_->Login({"hzhb_admin", std::string(kPassword), ""}, meta_).ok());
}

TEST_F(AccountsTest, SessionExpiresWhenIdleAndAbsolutely) {
  auto out = accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_);
  ASSERT_TRUE(out.ok());
  clock_.Advance(29 * 60 * 1000);
  ASSERT_TRUE(accounts_->AuthenticateSession(out->session_token).ok());
  clock_.Advance(30 * 60 * 1000);
  EXPECT_EQ(accounts_->AuthenticateSession(out->session_token).error().code,
            core::ErrorCode::kUnauthenticated);

  auto busy = accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_);
  ASSERT_TRUE(busy.ok());
  for (int i = 0; i < 12 * 3; ++i) {  // active every 20 minutes for 12 hours
    clock_.Advance(20 * 60 * 1000);
    if (!accounts_->AuthenticateSession(busy->session_token).ok()) {
      EXPECT_GE(i, 12 * 3 - 1);
      return;
    }
  }
  ADD_FAILURE() << "session outlived the absolute limit";
}

TEST_F(AccountsTest, AdministratorsIdleOutAfterFifteenMinutes) {
  auto out = accounts_->Login({"sysadmin", std::string(kPassword), ""}, meta_);
  ASSERT_TRUE(out.ok());
  clock_.Advance(16 * 60 * 1000);
  EXPECT_FALSE(accounts_->AuthenticateSession(out->session_token).ok());
}

TEST_F(AccountsTest, LogoutEndsTheSessionOnTheServer) {
  auto out = accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_);
  ASSERT_TRUE(out.ok());
  auto p = accounts_->AuthenticateSession(out->session_token);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(accounts_->Logout(*p, meta_).ok());
  EXPECT_FALSE(accounts_->AuthenticateSession(out->session_token).ok());
}

TEST_F(AccountsTest, CsrfTokenIsBoundToTheSession) {
  auto a = accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_);
  auto b = accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_);
  ASSERT_TRUE(a.ok() && b.ok());
  auto pa = accounts_->AuthenticateSession(a->session_token);
  EXPECT_TRUE(accounts_->CheckCsrf(*pa, pa->csrf_token));
  EXPECT_FALSE(accounts_->CheckCsrf(*pa, b->principal.csrf_token));
  EXPECT_FALSE(accounts_->CheckCsrf(*pa, ""));
}

TEST_F(AccountsTest, TotpEnrolmentThenLoginNeedsAFreshCode) {
  Principal reviewer = LoginAs("hzhb_reviewer");
  auto setup = accounts_->BeginTotpEnrolment(reviewer, meta_);
  ASSERT_TRUE(setup.ok());
  EXPECT_TRUE(setup->otpauth_uri.starts_with("otpauth://totp/"));
  auto key = core::Base32Decode(setup->secret_base32);
  ASSERT_TRUE(key.ok());
  std::string code = crypto::Totp(*key, clock_.NowMs() / 1000);
  ASSERT_TRUE(accounts_->ConfirmTotpEnrolment(reviewer, code, meta_).ok());
  // At rest the secret is sealed under the field key, bound to the user.
  auto stored = StoredUser("hzhb_reviewer");
  ASSERT_TRUE(stored && stored->totp_secret);
  EXPECT_TRUE(crypto::FieldCipher::IsSealed(*stored->totp_secret));
  EXPECT_EQ(stored->totp_secret->find(setup->secret_base32), std::string::npos);
  EXPECT_EQ(field_cipher_.Open(*stored->totp_secret, "totp:" + std::to_string(stored->id)).value(),
            setup->secret_base32);

  auto no_code = accounts_->Login({"hzhb_reviewer", std::string(kPassword), ""}, meta_);
  ASSERT_FALSE(no_code.ok());
  EXPECT_EQ(no_code.error().field, "totp");
  // The code used for enrolment cannot be replayed.
  auto replay = accounts_->Login({"hzhb_reviewer", std::string(kPassword), code}, meta_);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.error().field, "totp");
  clock_.Advance(30'000);
  std::string next = crypto::Totp(*key, clock_.NowMs() / 1000);
  EXPECT_TRUE(accounts_->Login({"hzhb_reviewer", std::string(kPassword), next}, meta_).ok());
}

TEST_F(AccountsTest, TotpSecretsStoredBeforeSealingStillVerify) {
  auto user = StoredUser("hzhb_reviewer");
  ASSERT_TRUE(user);
  const std::string secret = core::Base32Encode(crypto::NewTotpSecret());
  user->totp_secret = secret;  // as an older version stored it
  user->totp_enabled = true;
  ASSERT_TRUE(db_->Write([&](store::Conn& conn) { return store::UpdateUser(conn, *user); }).ok());
  const std::string code = crypto::Totp(core::Base32Decode(secret).value(), clock_.NowMs() / 1000);
  EXPECT_TRUE(accounts_->Login({"hzhb_reviewer", std::string(kPassword), code}, meta_).ok());
}

TEST_F(AccountsTest, PasswordPolicyNamesTheField) {
  for (const char* pw : {"short1!", "hzhb_newbie", "Password123"}) {
    auto s = accounts_->CheckPasswordPolicy("hzhb_newbie", pw);
    ASSERT_FALSE(s.ok()) << pw;
    EXPECT_EQ(s.error().field, "password");
  }
  EXPECT_TRUE(accounts_->CheckPasswordPolicy("hzhb_newbie", "Sturdy-Pass-2026").ok());
}

TEST_F(AccountsTest, SystemAdminCannotGrantRolesOrReadAudit) {
  Principal sys = LoginAs("sysadmin");
  UserInput in{"new_judge", "新法官", UnitId("湖州市中级人民法院"), {"judge"}, "Sturdy-Pass-2026"};
  auto r = accounts_->CreateUser(sys, in, meta_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::ErrorCode::kPermissionDenied);
  in.roles.clear();
  EXPECT_TRUE(accounts_->CreateUser(sys, in, meta_).ok());
  EXPECT_EQ(accounts_->ListAudit(sys, {}).error().code, core::ErrorCode::kPermissionDenied);
}

TEST_F(AccountsTest, SecurityAdminGrantsButCannotCombineAdministratorRoles) {
  Principal sec = LoginAs("secadmin");
  std::int64_t officer = UserId("hzhb_officer");
  UserPatch grant;
  grant.roles = std::vector<std::string>{"enforcement_officer", "legal_reviewer"};
  EXPECT_TRUE(accounts_->UpdateUser(sec, officer, grant, meta_).ok());
  UserPatch bad;
  bad.roles = std::vector<std::string>{"audit_admin", "judge"};
  auto r = accounts_->UpdateUser(sec, officer, bad, meta_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "roles");
  UserPatch profile;
  profile.display_name = "改名";
  EXPECT_EQ(accounts_->UpdateUser(sec, officer, profile, meta_).error().code,
            core::ErrorCode::kPermissionDenied);
}

TEST_F(AccountsTest, UnitAdminSeesOnlyItsOwnUnit) {
  Principal admin = LoginAs("hzhb_admin");
  auto page = accounts_->ListUsers(admin, {});
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->items.empty());
  for (const auto& u : page->items) EXPECT_EQ(u.unit_name, "湖州市生态环境局");
  std::int64_t judge = UserId("hzzy_judge");
  EXPECT_EQ(accounts_->GetUser(admin, judge).error().code, core::ErrorCode::kNotFound);
  UserPatch p;
  p.enabled = false;
  EXPECT_EQ(accounts_->UpdateUser(admin, judge, p, meta_).error().code, core::ErrorCode::kNotFound);
  UserInput in{"sneaky", "越权", UnitId("湖州市中级人民法院"), {}, "Sturdy-Pass-2026"};
  EXPECT_EQ(accounts_->CreateUser(admin, in, meta_).error().code, core::ErrorCode::kNotFound);
  // A unit admin may grant business roles that fit the unit, not administrator roles.
  UserInput officer{
      "new_officer", "新执法", admin.unit_id, {"enforcement_officer"}, "Sturdy-Pass-2026"};
  EXPECT_TRUE(accounts_->CreateUser(admin, officer, meta_).ok());
  UserInput judge_here{"odd_judge", "法官", admin.unit_id, {"judge"}, "Sturdy-Pass-2026"};
  EXPECT_EQ(accounts_->CreateUser(admin, judge_here, meta_).error().field, "roles");
  UserInput sys_here{"odd_admin", "管理员", admin.unit_id, {"system_admin"}, "Sturdy-Pass-2026"};
  EXPECT_EQ(accounts_->CreateUser(admin, sys_here, meta_).error().code,
            core::ErrorCode::kPermissionDenied);
}

TEST_F(AccountsTest, DisablingAUserEndsItsSessions) {
  auto out = accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_);
  ASSERT_TRUE(out.ok());
  Principal admin = LoginAs("hzhb_admin");
  UserPatch p;
  p.enabled = false;
  ASSERT_TRUE(accounts_->UpdateUser(admin, UserId("hzhb_officer"), p, meta_).ok());
  EXPECT_FALSE(accounts_->AuthenticateSession(out->session_token).ok());
  EXPECT_FALSE(accounts_->Login({"hzhb_officer", std::string(kPassword), ""}, meta_).ok());
}

TEST_F(AccountsTest, CertificateValidityFollowsTheDates) {
  auto officer = accounts_->GetUser(Accounts::CommandLine(), UserId("hzhb_officer"));
  auto expired = accounts_->GetUser(Accounts::CommandLine(), UserId("hzhb_officer2"));
  const std::string today = core::ChinaDate(clock_.NowMs());
  EXPECT_TRUE(CertificateValid(officer->certificate, today));
  EXPECT_FALSE(CertificateValid(expired->certificate, today));
  EXPECT_FALSE(CertificateValid(std::nullopt, today));
}

TEST_F(AccountsTest, UnitRegionIsValidatedAgainstTheCatalogue) {
  UnitInput in{"测试单位", "court", "999999", std::nullopt, "", ""};
  auto r = accounts_->CreateUnit(Accounts::CommandLine(), in, meta_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "region_code");
  in.region_code = "330523";
  in.type = "bank";
  EXPECT_EQ(accounts_->CreateUnit(Accounts::CommandLine(), in, meta_).error().field, "type");
}

TEST_F(AccountsTest, EveryChangeIsAudited) {
  Principal admin = LoginAs("hzhb_admin");
  UserInput in{"audited_one", "审计对象", admin.unit_id, {}, "Sturdy-Pass-2026"};
  ASSERT_TRUE(accounts_->CreateUser(admin, in, meta_).ok());
  store::EventFilter f;
  f.action_prefix = "user.create";
  auto page = accounts_->ListAudit(Accounts::CommandLine(), f);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->items.empty());
  EXPECT_EQ(page->items.front().actor_username, "hzhb_admin");
  const store::EventRecord& e = page->items.front();
  EXPECT_EQ(e.object_type, "user");
  EXPECT_NE(e.changes.find(R"("username":{"after":"audited_one","before":null})"),
            std::string::npos)
      << e.changes;
  EXPECT_EQ(e.request_id, meta_.request_id);
  EXPECT_EQ(e.leaf_hash.size(), 32U);
}

TEST_F(AccountsTest, UpdateRecordsBeforeAndAfterOfChangedFieldsOnly) {
  Principal admin = LoginAs("hzhb_admin");
  auto unit = accounts_->GetUnit(admin, admin.unit_id);
  ASSERT_TRUE(unit.ok());
  UnitPatch patch;
  patch.contact_phone = "0572-1234567";
  patch.expected_version = unit->version;
  auto updated = accounts_->UpdateUnit(Accounts::CommandLine(), admin.unit_id, patch, meta_);
  ASSERT_TRUE(updated.ok()) << updated.error().ToString();
  store::EventFilter f;
  f.action_prefix = "unit.update";
  auto page = accounts_->ListAudit(Accounts::CommandLine(), f);
  ASSERT_TRUE(page.ok());
  ASSERT_FALSE(page->items.empty());
  EXPECT_EQ(page->items.front().changes, R"({"contact_phone":{"after":"0572-1234567","before":")" +
                                             unit->contact_phone + R"("}})");
}

TEST_F(AccountsTest, AuditLogRefusesUpdateAndDelete) {
  auto s = db_->Write([](store::Conn& conn) -> core::Status {
    TRY(conn.Exec("DELETE FROM record_events"));
    return core::Ok();
  });
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, core::ErrorCode::kFailedPrecondition);
  auto u = db_->Write([](store::Conn& conn) -> core::Status {
    TRY(conn.Exec("UPDATE record_events SET outcome = 'ok'"));
    return core::Ok();
  });
  EXPECT_FALSE(u.ok());
}

}  // namespace
}  // namespace lvyuan::domain
