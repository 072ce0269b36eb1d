// Typed access to units, users, roles, sessions, API tokens and login
// failures. Every function runs inside the caller's transaction
// (the Conn handed out by Database::Write/Read) and returns the store's
// errors unchanged (see database.h). Times are unix milliseconds.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/database.h"

namespace lvyuan::store {

struct UnitRecord {
  std::int64_t id = 0;
  std::string name;
  std::string type;
  std::string region_code;
  std::optional<std::int64_t> parent_id;
  std::string parent_name;  // filled by reads
  std::string contact_person;
  std::string contact_phone;
  bool enabled = true;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t version = 1;
};

struct UnitFilter {
  std::string name_contains;
  std::string type;
  std::string region_prefix;
  std::optional<bool> enabled;
  std::optional<std::int64_t> only_unit_id;  // scope: a unit admin sees its own unit
  std::int64_t after_id = 0;                 // keyset cursor
  int limit = 20;
};

struct Certificate {
  std::string number;
  std::string issuer;
  std::string valid_from;  // YYYY-MM-DD
  std::string valid_to;    // YYYY-MM-DD
};

struct UserRecord {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;
  std::int64_t unit_id = 0;
  std::string unit_name;  // filled by reads
  std::string unit_type;  // filled by reads
  bool unit_enabled = true;
  std::string password_hash;
  std::int64_t password_changed_at = 0;
  std::string phone;
  bool enabled = true;
  std::optional<std::string> totp_secret;
  std::optional<std::string> totp_pending_secret;
  bool totp_enabled = false;
  bool totp_exempt = false;
  std::int64_t totp_last_step = 0;
  std::optional<std::int64_t> last_login_at;
  std::optional<Certificate> certificate;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::int64_t version = 1;
  std::vector<std::string> roles;  // filled by reads
  std::int64_t locked_until = 0;   // filled by reads: the login lock on the username
};

struct UserFilter {
  std::string text_contains;  // username or display name
  std::optional<std::int64_t> unit_id;
  std::string role;
  std::optional<bool> enabled;
  std::int64_t after_id = 0;
  int limit = 20;
};

struct SessionRecord {
  std::int64_t id = 0;
  Blob token_hash;
  std::int64_t user_id = 0;
  std::int64_t created_at = 0;
  std::int64_t last_seen_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> revoked_at;
  std::string client_ip;
};

struct ApiTokenRecord {
  std::int64_t id = 0;
  std::string name;
  Blob token_hash;
  std::vector<std::string> permissions;
  std::optional<std::int64_t> unit_id;
  std::optional<std::int64_t> created_by;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
  std::optional<std::int64_t> last_used_at;
};

// settings: small deployment-wide values (secrets, ids).
Result<std::optional<Blob>> GetSetting(Conn& conn, std::string_view key);
// Inserts key if absent; returns the stored value (the existing one if any).
Result<Blob> PutSettingIfAbsent(Conn& conn, std::string_view key, const Blob& value);

// Units. InsertUnit returns the new id; AlreadyExists names field "name".
Result<std::int64_t> InsertUnit(Conn& conn, const UnitRecord& unit);
// Updates every column from unit where id and version match, bumping version.
// Aborted when the version is stale; NotFound when there is no such unit.
Status UpdateUnit(Conn& conn, const UnitRecord& unit);
Result<std::optional<UnitRecord>> FindUnit(Conn& conn, std::int64_t id);
Result<std::optional<UnitRecord>> FindUnitByName(Conn& conn, std::string_view name);
Result<std::vector<UnitRecord>> ListUnits(Conn& conn, const UnitFilter& filter);

// Users.
Result<std::int64_t> InsertUser(Conn& conn, const UserRecord& user);
// Updates every column from user where id and version match, bumping version.
Status UpdateUser(Conn& conn, const UserRecord& user);
Result<std::optional<UserRecord>> FindUser(Conn& conn, std::int64_t id);
Result<std::optional<UserRecord>> FindUserByName(Conn& conn, std::string_view username);
Result<std::vector<UserRecord>> ListUsers(Conn& conn, const UserFilter& filter);
// Notes a successful sign-in (and the TOTP step it used) without touching
// the record's version: signing in is not an edit of the user.
Status RecordLogin(Conn& conn, std::int64_t user_id, std::int64_t at,
                   std::optional<std::int64_t> totp_step);
Status SetUserRoles(Conn& conn, std::int64_t user_id, const std::vector<std::string>& roles);

// Sessions.
Result<std::int64_t> InsertSession(Conn& conn, const SessionRecord& session);
Result<std::optional<SessionRecord>> FindSessionByHash(Conn& conn, const Blob& token_hash);
Status TouchSession(Conn& conn, std::int64_t session_id, std::int64_t now);
Status RevokeSession(Conn& conn, std::int64_t session_id, std::int64_t now);
Status RevokeUserSessions(Conn& conn, std::int64_t user_id, std::int64_t now);
// Deletes sessions that ended before `before` (revoked or expired).
Result<std::int64_t> PruneSessions(Conn& conn, std::int64_t before);

// Login failures and locks, keyed by login name.
Status InsertLoginFailure(Conn& conn, std::string_view username, std::int64_t at,
                          std::string_view client_ip);
Result<std::int64_t> CountLoginFailures(Conn& conn, std::string_view username, std::int64_t since);
Status ClearLoginFailures(Conn& conn, std::string_view username);
Result<std::int64_t> PruneLoginFailures(Conn& conn, std::int64_t before);
Result<std::int64_t> LockedUntil(Conn& conn, std::string_view username);
Status SetLock(Conn& conn, std::string_view username, std::int64_t until);
Status ClearLock(Conn& conn, std::string_view username);

// Login rate limits (table login_rate_buckets): a token bucket per key that
// holds at most `capacity` tokens and refills `refill_per_minute` tokens a
// minute. Takes one token from `key`'s bucket as of `now` (unix ms): true
// when there was one, false when the key is over its rate. Buckets idle long
// enough to be full again are deleted on the way, so the table holds only
// the keys seen within that time. Call inside a write: read and update are
// one step because writers are serialised (across processes too).
// InvalidArgument (field "capacity") when capacity or refill_per_minute is
// below 1.
Result<bool> TakeLoginToken(Conn& conn, std::string_view key, std::int64_t now,
                            std::int64_t capacity, std::int64_t refill_per_minute);
// The number of buckets kept, for tests and metrics.
Result<std::int64_t> CountLoginBuckets(Conn& conn);

// API tokens.
Result<std::int64_t> InsertApiToken(Conn& conn, const ApiTokenRecord& token);
Result<std::optional<ApiTokenRecord>> FindApiTokenByHash(Conn& conn, const Blob& token_hash);
Result<std::optional<ApiTokenRecord>> FindApiToken(Conn& conn, std::int64_t id);
Result<std::vector<ApiTokenRecord>> ListApiTokens(Conn& conn);
Status RevokeApiToken(Conn& conn, std::int64_t id, std::int64_t now);
Status TouchApiToken(Conn& conn, std::int64_t id, std::int64_t now);

}  // namespace lvyuan::store
