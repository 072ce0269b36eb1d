// Units, users, roles, sign-in, sessions, API tokens and the audit log: the
// account rules every later procedure relies on.
//
// Permission codes are checked twice: the HTTP route declares the one a
// request needs, and every function here re-checks what it depends on
// (scope to one's own unit, which roles one may grant), so a caller that is
// not HTTP (the CLI, tests) gets the same rules. An object outside the
// caller's scope answers NotFound, never PermissionDenied, so its existence
// is not revealed.
//
// Every change and every sign-in outcome appends an event to the
// whole-process record (record::Log) in the same transaction as the change.
//
// Thread-safe: the object holds no mutable state besides the database and
// the session cache.
//
// Several processes (PostgreSQL): with a notifier (UseNotifier), every
// change that can end or alter a session publishes one message on
// kAccountsChannel in its transaction, and every process that receives one
// (or hears that messages may have been lost) empties its session cache, so
// a logout, disabling or role change made by one process is seen by the
// others as soon as the message arrives rather than after session_cache_ms.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/regions.h"
#include "core/result.h"
#include "crypto/field_cipher.h"
#include "crypto/password.h"
#include "domain/catalog.h"
#include "domain/principal.h"
#include "record/log.h"
#include "store/accounts.h"
#include "store/database.h"
#include "store/notify.h"
#include "store/record.h"

namespace lvyuan::domain {

struct AuthPolicy {
  std::int64_t idle_timeout_ms = 30 * 60 * 1000;
  std::int64_t admin_idle_timeout_ms = 15 * 60 * 1000;
  std::int64_t absolute_timeout_ms = 12 * 3600 * 1000;
  int lockout_threshold = 5;
  std::int64_t lockout_window_ms = 15 * 60 * 1000;
  std::int64_t lockout_duration_ms = 15 * 60 * 1000;
  std::size_t password_min_length = 10;
  crypto::PasswordHashParams hash_params;
  // How long an authenticated session may be answered from memory. Every
  // change made through this object empties the cache at once; the limit
  // bounds how stale it can be after changes made elsewhere.
  std::int64_t session_cache_ms = 5000;
  // Seals TOTP secrets at rest (SM4-CTR + HMAC-SM3, context "totp:<user id>").
  // The product always sets it; left null (in some unit tests) secrets are
  // stored as given. Secrets stored before sealing existed are still read.
  const crypto::FieldCipher* field_cipher = nullptr;
};

// Where a request came from, for the audit entry.
struct RequestMeta {
  std::string client_ip;
  std::string request_id;
};

struct LoginInput {
  std::string username;
  std::string password;
  std::string totp;
};

struct LoginOutput {
  std::string session_token;  // goes into the cookie; never stored
  Principal principal;
  std::int64_t expires_at_ms = 0;
};

template <typename T>
struct Page {
  std::vector<T> items;
  std::optional<std::int64_t> next_after;  // cursor for the next page
};

struct UnitInput {
  std::string name;
  std::string type;
  std::string region_code;
  std::optional<std::int64_t> parent_id;
  std::string contact_person;
  std::string contact_phone;
};

struct UnitPatch {
  std::optional<std::string> name;
  std::optional<std::string> type;
  std::optional<std::string> region_code;
  std::optional<std::optional<std::int64_t>> parent_id;  // inner nullopt clears it
  std::optional<std::string> contact_person;
  std::optional<std::string> contact_phone;
  std::optional<bool> enabled;
  std::optional<std::int64_t> expected_version;
};

struct UserInput {
  std::string username;
  std::string display_name;
  std::int64_t unit_id = 0;
  std::vector<std::string> roles;
  std::string password;
  std::string phone;
  std::optional<store::Certificate> certificate;
  bool totp_exempt = false;  // only the CLI and the demo may set it
  // A hash of `password` made earlier (the demo hashes its one password
  // once); only the command line may pass one.
  std::string password_hash;
};

struct UserPatch {
  std::optional<std::string> display_name;
  std::optional<std::vector<std::string>> roles;
  std::optional<bool> enabled;
  std::optional<std::string> phone;
  std::optional<std::optional<store::Certificate>> certificate;  // inner nullopt removes it
  std::optional<std::string> password;                           // administrator reset
  std::optional<std::int64_t> expected_version;
};

struct TotpSetup {
  std::string secret_base32;
  std::string otpauth_uri;
};

struct ApiTokenInput {
  std::string name;
  std::vector<std::string> permissions;
  std::optional<std::int64_t> expires_at_ms;
};

struct IssuedApiToken {
  store::ApiTokenRecord record;
  std::string token;  // shown once
};

// The notifier channel of account changes. Payloads (ASCII):
//   "session <id>"  that session was revoked (logout);
//   "user <id>"     the user changed (disabled, password, roles, TOTP…); their
//                   sessions may have been revoked;
//   "unit <id>"     the unit changed (disabled…), and so its users.
inline constexpr std::string_view kAccountsChannel = "accounts";

struct AccountsChange {
  enum class Kind { kSession, kUser, kUnit };
  Kind kind = Kind::kSession;
  std::int64_t id = 0;
};
// Parses a kAccountsChannel payload; nullopt when it is not one.
std::optional<AccountsChange> ParseAccountsChange(std::string_view payload);

// True when the certificate is valid on the given China date (YYYY-MM-DD).
bool CertificateValid(const std::optional<store::Certificate>& cert, std::string_view date);

class Accounts {
 public:
  // All references must outlive this object.
  Accounts(store::Database& db, const Catalog& catalog, const core::RegionCatalogue& regions,
           const core::Clock& clock, record::Log& log, AuthPolicy policy);

  // Creates the deployment's CSRF key if missing and loads it. Call once
  // after migrating, before serving.
  Status Initialize();
  // Publishes account changes through `notifier` and empties the session
  // cache on every message of kAccountsChannel and on every reset. Call once
  // before serving; the notifier must outlive this object.
  void UseNotifier(store::Notifier& notifier);

  const Catalog& catalog() const { return catalog_; }
  const core::RegionCatalogue& regions() const { return regions_; }
  const core::Clock& clock() const { return clock_; }
  const AuthPolicy& policy() const { return policy_; }

  // The principal the command line acts as: every permission, every unit.
  static Principal CommandLine();

  // --- sign-in -------------------------------------------------------------
  // Unauthenticated (same message whether or not the user exists) for wrong
  // credentials or a disabled account; Unauthenticated with field "totp" when
  // a TOTP code is needed or wrong; Locked while locked out.
  Result<LoginOutput> Login(const LoginInput& input, const RequestMeta& meta);
  Status Logout(const Principal& who, const RequestMeta& meta);
  // Unauthenticated for an unknown, revoked, idle or expired session, or a
  // disabled user or unit. Refreshes the idle timer.
  Result<Principal> AuthenticateSession(std::string_view session_token);
  Result<Principal> AuthenticateApiToken(std::string_view bearer_token);
  // The same, as the principal the session cache holds (shared, never
  // changed): what the server uses on every request, without a copy.
  Result<std::shared_ptr<const Principal>> AuthenticateSessionShared(
      std::string_view session_token);
  // The CSRF token bound to a session token (an HMAC; nothing stored).
  std::string CsrfTokenFor(std::string_view session_token) const;
  bool CheckCsrf(const Principal& who, std::string_view header_value) const;
  // Appends an audit entry for a refused request.
  void RecordDenied(const Principal* who, std::string_view action, std::string_view reason,
                    const RequestMeta& meta);

  // --- the signed-in user --------------------------------------------------
  Result<store::UserRecord> Me(const Principal& who);
  Status ChangeOwnPassword(const Principal& who, std::string_view current,
                           std::string_view replacement, const RequestMeta& meta);
  Result<TotpSetup> BeginTotpEnrolment(const Principal& who, const RequestMeta& meta);
  Status ConfirmTotpEnrolment(const Principal& who, std::string_view code, const RequestMeta& meta);

  // --- units ---------------------------------------------------------------
  Result<Page<store::UnitRecord>> ListUnits(const Principal& who, store::UnitFilter filter);
  Result<store::UnitRecord> GetUnit(const Principal& who, std::int64_t id);
  Result<store::UnitRecord> CreateUnit(const Principal& who, const UnitInput& input,
                                       const RequestMeta& meta);
  Result<store::UnitRecord> UpdateUnit(const Principal& who, std::int64_t id,
                                       const UnitPatch& patch, const RequestMeta& meta);

  // --- users ---------------------------------------------------------------
  Result<Page<store::UserRecord>> ListUsers(const Principal& who, store::UserFilter filter);
  Result<store::UserRecord> GetUser(const Principal& who, std::int64_t id);
  Result<store::UserRecord> CreateUser(const Principal& who, const UserInput& input,
                                       const RequestMeta& meta);
  Result<store::UserRecord> UpdateUser(const Principal& who, std::int64_t id,
                                       const UserPatch& patch, const RequestMeta& meta);
  // Command line: clears TOTP so the user enrols again.
  Status ResetTotp(std::string_view username, const RequestMeta& meta);
  // Whether `who` may grant `role` to a user of a unit of `unit_type`.
  bool CanGrant(const Principal& who, const Role& role, std::string_view unit_type) const;
  // Roles whose TOTP requirement applies to this set.
  bool TotpRequired(const std::vector<std::string>& roles) const;

  // --- API tokens ----------------------------------------------------------
  Result<std::vector<store::ApiTokenRecord>> ListApiTokens(const Principal& who);
  Result<IssuedApiToken> IssueApiToken(const Principal& who, const ApiTokenInput& input,
                                       const RequestMeta& meta);
  Status RevokeApiToken(const Principal& who, std::int64_t id, const RequestMeta& meta);

  // --- audit ---------------------------------------------------------------
  Result<Page<store::EventRecord>> ListAudit(const Principal& who, store::EventFilter filter);

  // Checks the password policy; InvalidArgument with field "password".
  Status CheckPasswordPolicy(std::string_view username, std::string_view password) const;

 private:
  Principal PrincipalFor(const store::UserRecord& user) const;
  bool SeesAllUnits(const Principal& who) const;
  Status CheckRoles(const Principal& who, const std::vector<std::string>& roles,
                    const std::vector<std::string>& previous, const std::string& unit_type) const;
  Status AppendAudit(store::Conn& conn, const Principal* who, std::string_view action,
                     std::string_view object_type, std::string_view object_id,
                     std::string_view outcome, const RequestMeta& meta, boost::json::object detail,
                     boost::json::object changes = {});
  Status ValidateUnitFields(const store::UnitRecord& unit) const;
  // A TOTP secret (base32) as stored, and back.
  std::string SealTotpSecret(std::int64_t user_id, const std::string& base32) const;
  Result<std::string> OpenTotpSecret(std::int64_t user_id, const std::string& stored) const;
  // db_.Write, then invalidates the session cache (after the commit, so a
  // concurrent reader cannot cache the state from before it).
  Status Write(const std::function<Status(store::Conn&)>& fn);
  // The same, and publishes `change` (a kAccountsChannel payload; read after
  // fn ran, so fn may fill it in; empty publishes nothing) in the
  // transaction when a notifier is in use.
  Status Write(const std::string& change, const std::function<Status(store::Conn&)>& fn);

  struct CachedSession {
    std::shared_ptr<const Principal> principal;
    std::int64_t last_seen_at = 0;
    std::uint64_t generation = 0;
    std::int64_t loaded_at = 0;
  };

  store::Database& db_;
  const Catalog& catalog_;
  const core::RegionCatalogue& regions_;
  const core::Clock& clock_;
  record::Log& log_;
  AuthPolicy policy_;
  std::vector<std::uint8_t> csrf_key_;  // set once by Initialize
  std::string dummy_hash_;              // verified for unknown users to even out timing

  std::atomic<std::uint64_t> generation_{1};  // bumped after every committed change
  std::mutex cache_mu_;                       // guards cache_
  // Looked up by the token's text without making a string of it.
  struct TokenHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view token) const {
      return std::hash<std::string_view>{}(token);
    }
  };
  std::unordered_map<std::string, CachedSession, TokenHash, std::equal_to<>>
      cache_;  // by session token

  store::Notifier* notifier_ = nullptr;         // set once by UseNotifier
  store::Notifier::Subscription subscription_;  // last: it goes first
};

}  // namespace lvyuan::domain
