// Login, sessions, lockout, expiry, rate limiting and TOTP, seen from outside.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "harness.h"

namespace lvyuan::http_test {
namespace {

constexpr std::string_view kCookie = "__Host-lvyuan";

std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The Set-Cookie field that sets the session cookie, lower-cased attributes
// split out.
struct SessionCookie {
  std::string value;
  std::vector<std::string> attributes;  // lower-case, trimmed, e.g. "path=/"
  bool Has(std::string_view attribute) const {
    for (const auto& item : attributes) {
      if (item == attribute) return true;
    }
    return false;
  }
  bool HasPrefix(std::string_view prefix) const {
    for (const auto& item : attributes) {
      if (item.starts_with(prefix)) return true;
    }
    return false;
  }
};

std::optional<SessionCookie> FindSessionCookie(const Reply& reply) {
  for (const auto& field : reply.set_cookies) {
    if (!field.starts_with(std::string(kCookie) + "=")) continue;
    SessionCookie cookie;
    std::size_t semicolon = field.find(';');
    cookie.value = field.substr(kCookie.size() + 1, semicolon - kCookie.size() - 1);
    while (semicolon != std::string::npos) {
      std::size_t next = field.find(';', semicolon + 1);
      std::string item = field.substr(semicolon + 1, next - semicolon - 1);
      std::size_t start = item.find_first_not_of(' ');
      std::size_t end = item.find_last_not_of(' ');
      item = start == std::string::npos ? "" : item.substr(start, end - start + 1);
      for (char& c : item) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      cookie.attributes.push_back(item);
      semicolon = next;
    }
    return cookie;
  }
  return std::nullopt;
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = ServerProcess::Start(WithEnv({{"LVYUAN_AUTH_LOCKOUT_THRESHOLD", "5"}})).release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  Client NewClient() { return Client(server_->port()); }

  static ServerProcess* server_;
};
ServerProcess* AuthTest::server_ = nullptr;

TEST_F(AuthTest, LoginSetsHostOnlyHttpOnlyStrictSessionCookieAndReturnsCsrfTokenAndUser) {
  Client client = NewClient();
  Reply reply = client.Login("hzhb_officer", kDemoPassword);
  ASSERT_EQ(reply.status, 200u) << reply;

  std::optional<SessionCookie> cookie = FindSessionCookie(reply);
  ASSERT_TRUE(cookie.has_value()) << "no __Host-lvyuan Set-Cookie in the login response";
  EXPECT_GE(cookie->value.size(), 16u) << "session token looks too short to be unguessable";
  EXPECT_TRUE(cookie->Has("httponly"));
  EXPECT_TRUE(cookie->Has("samesite=strict"));
  EXPECT_TRUE(cookie->Has("path=/"));
  EXPECT_FALSE(cookie->HasPrefix("domain=")) << "__Host- cookies must not carry Domain";

  boost::json::value body = reply.json();
  EXPECT_FALSE(AsString(body.at("csrf_token")).empty());
  EXPECT_EQ(AsString(body.at("user").at("username")), "hzhb_officer");
  EXPECT_EQ(AsString(body.at("user").at("unit").at("name")), "湖州市生态环境局");
  EXPECT_EQ(reply.body.find(std::string(kDemoPassword)), std::string::npos);
  EXPECT_EQ(reply.body.find(cookie->value), std::string::npos)
      << "the session token must only travel in the HttpOnly cookie";
}

TEST_F(AuthTest, MeAnswersWithTheSessionCookieAndRepeatsTheCsrfToken) {
  Client client = NewClient();
  ASSERT_EQ(client.Login("hzhb_leader", kDemoPassword).status, 200u);
  Reply me = client.Get("/api/v1/me");
  ASSERT_EQ(me.status, 200u) << me;
  boost::json::value body = me.json();
  EXPECT_EQ(AsString(body.at("username")), "hzhb_leader");
  EXPECT_EQ(AsString(body.at("unit").at("type")), "ecology_environment");
  EXPECT_EQ(AsString(body.at("csrf_token")), client.csrf_token());
  bool has_leader = false;
  for (const auto& role : body.at("roles").as_array()) {
    has_leader = has_leader || role.as_string() == "unit_leader";
  }
  EXPECT_TRUE(has_leader) << me;
  EXPECT_TRUE(body.at("permissions").is_array());
  EXPECT_FALSE(body.at("totp_enabled").as_bool());
}

TEST_F(AuthTest, MeWithoutSessionIsUnauthenticated) {
  Client client = NewClient();
  Reply me = client.Get("/api/v1/me");
  EXPECT_EQ(me.status, 401u) << me;
  EXPECT_EQ(me.error_code(), "UNAUTHENTICATED") << me;

  client.set_cookie(std::string(kCookie), "forged-token-value-0123456789abcdef");
  Reply forged = client.Get("/api/v1/me");
  EXPECT_EQ(forged.status, 401u) << forged;
}

TEST_F(AuthTest, WrongPasswordAndUnknownUserGetTheSameUnauthenticatedAnswer) {
  Client client = NewClient();
  Reply wrong = client.Login("hzzy_clerk", "Wrong-password-1");
  Reply unknown = client.Login("no_such_user_anywhere", "Wrong-password-1");
  ASSERT_EQ(wrong.status, 401u) << wrong;
  ASSERT_EQ(unknown.status, 401u) << unknown;
  EXPECT_EQ(wrong.error_code(), "UNAUTHENTICATED");
  EXPECT_EQ(unknown.error_code(), "UNAUTHENTICATED");
  EXPECT_FALSE(wrong.error_message().empty());
  EXPECT_EQ(wrong.error_message(), unknown.error_message());
  EXPECT_EQ(wrong.error_field(), unknown.error_field());
  EXPECT_TRUE(FindSessionCookie(wrong) == std::nullopt || FindSessionCookie(wrong)->value.empty());
  EXPECT_TRUE(client.cookie(std::string(kCookie)).empty());
}

TEST_F(AuthTest, FiveWrongPasswordsLockTheAccountEvenAgainstTheRightPassword) {
  Client client = NewClient();
  for (int attempt = 1; attempt <= 4; ++attempt) {
    Reply reply = client.Login("hzjc_procurator", "Wrong-password-" + std::to_string(attempt));
    ASSERT_EQ(reply.status, 401u) << "attempt " << attempt << ": " << reply;
  }
  // The fifth failure reaches the threshold; whether it already answers 423
  // is the server's choice.
  Reply fifth = client.Login("hzjc_procurator", "Wrong-password-5");
  ASSERT_TRUE(fifth.status == 401u || fifth.status == 423u) << fifth;

  Reply sixth = client.Login("hzjc_procurator", kDemoPassword);
  EXPECT_EQ(sixth.status, 423u) << sixth;
  EXPECT_EQ(sixth.error_code(), "LOCKED") << sixth;
  EXPECT_FALSE(sixth.error_message().empty());
  EXPECT_TRUE(client.cookie(std::string(kCookie)).empty())
      << "a locked login must not get a session";
}

TEST_F(AuthTest, UnknownUsernameLocksLikeARealOneSoExistenceIsNotRevealed) {
  Client client = NewClient();
  for (int attempt = 1; attempt <= 5; ++attempt) {
    Reply reply = client.Login("ghost_account_x", "Wrong-password-" + std::to_string(attempt));
    ASSERT_TRUE(reply.status == 401u || (attempt == 5 && reply.status == 423u))
        << "attempt " << attempt << ": " << reply;
  }
  Reply sixth = client.Login("ghost_account_x", "Wrong-password-6");
  EXPECT_EQ(sixth.status, 423u) << sixth;
  EXPECT_EQ(sixth.error_code(), "LOCKED") << sixth;

  // Same answer as a locked real account.
  for (int attempt = 1; attempt <= 5; ++attempt) {
    client.Login("hzga_officer", "Wrong-password-" + std::to_string(attempt));
  }
  Reply real = client.Login("hzga_officer", "Wrong-password-6");
  ASSERT_EQ(real.status, 423u) << real;
  EXPECT_EQ(real.error_message(), sixth.error_message());
}

TEST_F(AuthTest, LogoutAnswers204AndTheOldCookieNoLongerAuthenticates) {
  Client client = NewClient();
  ASSERT_EQ(client.Login("hzny_officer", kDemoPassword).status, 200u);
  std::string token = client.cookie(std::string(kCookie));
  ASSERT_FALSE(token.empty());
  ASSERT_EQ(client.Get("/api/v1/me").status, 200u);

  Reply logout = client.Post("/api/v1/auth/logout");
  EXPECT_EQ(logout.status, 204u) << logout;

  Client replay = NewClient();
  replay.set_cookie(std::string(kCookie), token);
  Reply me = replay.Get("/api/v1/me");
  EXPECT_EQ(me.status, 401u) << me;
}

TEST_F(AuthTest, EveryLoginIssuesANewSessionToken) {
  Client first = NewClient();
  Client second = NewClient();
  ASSERT_EQ(first.Login("hzsl_officer", kDemoPassword).status, 200u);
  ASSERT_EQ(second.Login("hzsl_officer", kDemoPassword).status, 200u);
  std::string first_token = first.cookie(std::string(kCookie));
  std::string second_token = second.cookie(std::string(kCookie));
  ASSERT_FALSE(first_token.empty());
  EXPECT_NE(first_token, second_token);
  EXPECT_NE(first.csrf_token(), second.csrf_token());

  // Logging in again on a client that already has a session replaces it.
  ASSERT_EQ(first.Login("hzsl_officer", kDemoPassword).status, 200u);
  EXPECT_NE(first.cookie(std::string(kCookie)), first_token);
}

TEST_F(AuthTest, TotpEnrolmentThenLoginNeedsAFreshCodeAndRejectsReplay) {
  Client client = NewClient();
  ASSERT_EQ(client.Login("hzhb_reviewer", kDemoPassword).status, 200u);
  Reply setup = client.Post("/api/v1/me/totp/setup");
  ASSERT_EQ(setup.status, 200u) << setup;
  std::string secret = AsString(setup.json().at("secret"));
  std::string uri = AsString(setup.json().at("otpauth_uri"));
  ASSERT_FALSE(secret.empty());
  EXPECT_TRUE(uri.starts_with("otpauth://totp/")) << uri;
  EXPECT_NE(uri.find("secret=" + secret), std::string::npos) << uri;
  EXPECT_NE(uri.find("issuer=lvyuan"), std::string::npos) << uri;

  std::int64_t confirm_time = UnixNow();
  std::string right = Totp(secret, confirm_time);
  std::string wrong = right == "000000" ? "111111" : "000000";
  Reply bad_confirm = client.Post("/api/v1/me/totp/confirm", {{"code", wrong}});
  EXPECT_EQ(bad_confirm.status, 400u) << bad_confirm;
  EXPECT_EQ(bad_confirm.error_field(), "code") << bad_confirm;

  Reply confirm = client.Post("/api/v1/me/totp/confirm", {{"code", right}});
  ASSERT_EQ(confirm.status, 204u) << confirm;
  Reply me = client.Get("/api/v1/me");
  ASSERT_EQ(me.status, 200u) << me;
  EXPECT_TRUE(me.json().at("totp_enabled").as_bool()) << me;

  Client fresh = NewClient();
  Reply without = fresh.Login("hzhb_reviewer", kDemoPassword);
  EXPECT_EQ(without.status, 401u) << without;
  EXPECT_EQ(without.error_field(), "totp") << without;
  EXPECT_TRUE(fresh.cookie(std::string(kCookie)).empty());

  Reply wrong_code = fresh.Login("hzhb_reviewer", kDemoPassword, wrong);
  EXPECT_EQ(wrong_code.status, 401u) << wrong_code;
  EXPECT_EQ(wrong_code.error_field(), "totp") << wrong_code;

  // The confirmation spent the code of its time step; wait for the next step
  // so the login code has certainly not been used.
  while (UnixNow() / 30 <= confirm_time / 30) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  std::string code = Totp(secret, UnixNow());
  Reply with = fresh.Login("hzhb_reviewer", kDemoPassword, code);
  ASSERT_EQ(with.status, 200u) << with;
  EXPECT_FALSE(fresh.cookie(std::string(kCookie)).empty());

  Client replay = NewClient();
  Reply replayed = replay.Login("hzhb_reviewer", kDemoPassword, code);
  EXPECT_EQ(replayed.status, 401u) << replayed;
  EXPECT_EQ(replayed.error_field(), "totp") << replayed;
  EXPECT_TRUE(replay.cookie(std::string(kCookie)).empty());
}

TEST(AuthExpiryTest, IdleSessionExpiresAfterTheConfiguredIdleTimeout) {
  auto server = ServerProcess::Start(
      WithEnv({{"LVYUAN_AUTH_IDLE_TIMEOUT_S", "2"}, {"LVYUAN_AUTH_ADMIN_IDLE_TIMEOUT_S", "1"}}));
  Client officer(server->port());
  Client admin(server->port());
  ASSERT_EQ(officer.Login("hzhb_officer", kDemoPassword).status, 200u);
  ASSERT_EQ(admin.Login("sysadmin", kDemoPassword).status, 200u);
  ASSERT_EQ(officer.Get("/api/v1/me").status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  Reply officer_me = officer.Get("/api/v1/me");
  Reply admin_me = admin.Get("/api/v1/me");
  EXPECT_EQ(officer_me.status, 401u) << officer_me;
  EXPECT_EQ(officer_me.error_code(), "UNAUTHENTICATED") << officer_me;
  EXPECT_EQ(admin_me.status, 401u) << admin_me;
}

TEST(AuthExpiryTest, ActiveSessionStillEndsAtTheAbsoluteTimeout) {
  auto server = ServerProcess::Start(WithEnv({{"LVYUAN_AUTH_ABSOLUTE_TIMEOUT_S", "3"}}));
  Client client(server->port());
  ASSERT_EQ(client.Login("hzhb_officer", kDemoPassword).status, 200u);
  auto logged_in = std::chrono::steady_clock::now();
  ASSERT_EQ(client.Get("/api/v1/me").status, 200u);
  // Stay active (one request a second, well inside the default idle timeout)
  // until safely past the absolute timeout.
  while (std::chrono::steady_clock::now() - logged_in < std::chrono::milliseconds(4500)) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    client.Get("/api/v1/me");
  }
  Reply me = client.Get("/api/v1/me");
  EXPECT_EQ(me.status, 401u) << me;
}

TEST(AuthRateLimitTest, LoginAttemptsBeyondTheRateAreRefusedWith429) {
  auto server = ServerProcess::Start(WithEnv(
      {{"LVYUAN_AUTH_LOGIN_RATE_PER_MINUTE", "3"}, {"LVYUAN_AUTH_LOCKOUT_THRESHOLD", "100"}}));
  Client client(server->port());
  for (int attempt = 1; attempt <= 3; ++attempt) {
    Reply reply = client.Login("hzhb_officer", "Wrong-password-" + std::to_string(attempt));
    ASSERT_EQ(reply.status, 401u) << "attempt " << attempt << ": " << reply;
  }
  Reply limited = client.Login("hzhb_officer", kDemoPassword);
  EXPECT_EQ(limited.status, 429u) << limited;
  EXPECT_EQ(limited.error_code(), "RESOURCE_EXHAUSTED") << limited;
  EXPECT_TRUE(client.cookie(std::string(kCookie)).empty());
}

}  // namespace
}  // namespace lvyuan::http_test
