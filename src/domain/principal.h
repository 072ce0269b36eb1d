// Who is acting: the authenticated user (or API token) behind a request.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace lvyuan::store {
struct UserRecord;
}

namespace lvyuan::domain {

// The three separated administrators (三员分立) and everybody else.
enum class AdminClass { kNone, kSystem, kSecurity, kAudit };

struct Principal {
  enum class Via { kSession, kApiToken, kCommandLine };

  std::int64_t user_id = 0;  // 0 for an API token not tied to a user
  std::string username;      // or the API token's name
  std::string display_name;
  std::int64_t unit_id = 0;
  std::string unit_type;
  std::vector<std::string> roles;
  std::set<std::string, std::less<>> permissions;
  AdminClass admin_class = AdminClass::kNone;
  Via via = Via::kSession;
  std::int64_t credential_id = 0;  // session row id or API token id
  // True when the user's roles require TOTP and it is not enrolled yet: only
  // the enrolment endpoints are open to such a session.
  bool must_enrol_totp = false;
  // For a session: the CSRF token the browser must echo on unsafe requests.
  std::string csrf_token;
  // Session expiry (absolute), unix milliseconds; 0 when not a session.
  std::int64_t expires_at_ms = 0;
  // The user's record as read when the session was authenticated (sessions
  // only), so handlers need not read it again.
  std::shared_ptr<const store::UserRecord> user;

  bool Has(std::string_view permission) const { return permissions.contains(permission); }
};

}  // namespace lvyuan::domain
