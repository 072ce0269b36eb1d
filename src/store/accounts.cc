#include "store/accounts.h"

#include <array>
#include <sstream>

#include "store/sql_values.h"

namespace lvyuan::store {
namespace {

using sql::Bool;
using sql::ContainsPattern;
using sql::OptInt;
using sql::OptText;
using sql::PrefixPattern;

std::string JoinComma(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}
std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

constexpr std::string_view kUnitColumns =
    "u.id, u.name, u.type, u.region_code, u.parent_id, COALESCE(p.name, ''), u.contact_person, "
    "u.contact_phone, u.enabled, u.created_at, u.updated_at, u.version";

UnitRecord UnitFromRow(const Row& r) {
  UnitRecord u;
  u.id = r.Int(0);
  u.name = r.Text(1);
  u.type = r.Text(2);
  u.region_code = r.Text(3);
  u.parent_id = r.OptInt(4);
  u.parent_name = r.Text(5);
  u.contact_person = r.Text(6);
  u.contact_phone = r.Text(7);
  u.enabled = r.Int(8) != 0;
  u.created_at = r.Int(9);
  u.updated_at = r.Int(10);
  u.version = r.Int(11);
  return u;
}

constexpr std::string_view kUserFrom =
    " FROM users s JOIN units u ON u.id = s.unit_id "
    "LEFT JOIN login_locks l ON l.username = s.username";

constexpr std::string_view kUserColumns =
    "s.id, s.username, s.display_name, s.unit_id, u.name, u.type, u.enabled, s.password_hash, "
    "s.password_changed_at, s.phone, s.enabled, s.totp_secret, s.totp_pending_secret, "
    "s.totp_enabled, s.totp_exempt, s.totp_last_step, s.last_login_at, s.cert_number, "
    "s.cert_issuer, s.cert_valid_from, s.cert_valid_to, s.created_at, s.updated_at, s.version, "
    "COALESCE(l.locked_until, 0)";

UserRecord UserFromRow(const Row& r) {
  UserRecord u;
  u.id = r.Int(0);
  u.username = r.Text(1);
  u.display_name = r.Text(2);
  u.unit_id = r.Int(3);
  u.unit_name = r.Text(4);
  u.unit_type = r.Text(5);
  u.unit_enabled = r.Int(6) != 0;
  u.password_hash = r.Text(7);
  u.password_changed_at = r.Int(8);
  u.phone = r.Text(9);
  u.enabled = r.Int(10) != 0;
  u.totp_secret = r.OptText(11);
  u.totp_pending_secret = r.OptText(12);
  u.totp_enabled = r.Int(13) != 0;
  u.totp_exempt = r.Int(14) != 0;
  u.totp_last_step = r.Int(15);
  u.last_login_at = r.OptInt(16);
  if (!r.IsNull(17)) {
    u.certificate = Certificate{r.Text(17), r.Text(18), r.Text(19), r.Text(20)};
  }
  u.created_at = r.Int(21);
  u.updated_at = r.Int(22);
  u.version = r.Int(23);
  u.locked_until = r.Int(24);
  return u;
}

Result<std::vector<std::string>> RolesOf(Conn& conn, std::int64_t user_id) {
  std::array<Value, 1> p{user_id};
  auto rows = TRY(conn.Query("SELECT role FROM user_roles WHERE user_id = ? ORDER BY role", p));
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(r.Text(0));
  return out;
}

std::vector<Value> UserValues(const UserRecord& u) {
  const auto& c = u.certificate;
  return {u.username,
          u.display_name,
          u.unit_id,
          u.password_hash,
          u.password_changed_at,
          u.phone,
          Bool(u.enabled),
          OptText(u.totp_secret),
          OptText(u.totp_pending_secret),
          Bool(u.totp_enabled),
          Bool(u.totp_exempt),
          u.totp_last_step,
          OptInt(u.last_login_at),
          c ? Value(c->number) : Null(),
          c ? Value(c->issuer) : Null(),
          c ? Value(c->valid_from) : Null(),
          c ? Value(c->valid_to) : Null(),
          u.updated_at};
}

ApiTokenRecord TokenFromRow(const Row& r) {
  ApiTokenRecord t;
  t.id = r.Int(0);
  t.name = r.Text(1);
  t.token_hash = r.Bytes(2);
  t.permissions = SplitComma(r.Text(3));
  t.unit_id = r.OptInt(4);
  t.created_by = r.OptInt(5);
  t.created_at = r.Int(6);
  t.expires_at = r.OptInt(7);
  t.revoked_at = r.OptInt(8);
  t.last_used_at = r.OptInt(9);
  return t;
}
constexpr std::string_view kTokenColumns =
    "id, name, token_hash, permissions, unit_id, created_by, created_at, expires_at, revoked_at, "
    "last_used_at";

}  // namespace

Result<std::optional<Blob>> GetSetting(Conn& conn, std::string_view key) {
  std::array<Value, 1> p{std::string(key)};
  auto row = TRY(conn.QueryOne("SELECT value FROM settings WHERE key = ?", p));
  if (!row) return std::optional<Blob>();
  return std::optional<Blob>(row->Bytes(0));
}

Result<Blob> PutSettingIfAbsent(Conn& conn, std::string_view key, const Blob& value) {
  std::array<Value, 2> p{std::string(key), value};
  TRY(conn.Exec("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", p));
  auto stored = TRY(GetSetting(conn, key));
  if (!stored) return core::Internal("setting vanished: " + std::string(key));
  return *stored;
}

Result<std::int64_t> InsertUnit(Conn& conn, const UnitRecord& u) {
  std::vector<Value> p{u.name,           u.type,          u.region_code,   OptInt(u.parent_id),
                       u.contact_person, u.contact_phone, Bool(u.enabled), u.created_at,
                       u.updated_at};
  auto row = conn.QueryOne(
      "INSERT INTO units (name, type, region_code, parent_id, contact_person, contact_phone, "
      "enabled, created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1) "
      "RETURNING id",
      p);
  if (!row.ok()) {
    auto e = std::move(row).error();
    if (e.code == core::ErrorCode::kAlreadyExists) {
      return core::AlreadyExists("已存在同名的成员单位", "name");
    }
    return e;
  }
  return (*row)->Int(0);
}

Status UpdateUnit(Conn& conn, const UnitRecord& u) {
  std::vector<Value> p{u.name,
                       u.type,
                       u.region_code,
                       OptInt(u.parent_id),
                       u.contact_person,
                       u.contact_phone,
                       Bool(u.enabled),
                       u.updated_at,
                       u.id,
                       u.version};
  auto changed = conn.Exec(
      "UPDATE units SET name = ?, type = ?, region_code = ?, parent_id = ?, contact_person = ?, "
      "contact_phone = ?, enabled = ?, updated_at = ?, version = version + 1 "
      "WHERE id = ? AND version = ?",
      p);
  if (!changed.ok()) {
    auto e = std::move(changed).error();
    if (e.code == core::ErrorCode::kAlreadyExists) {
      return core::AlreadyExists("已存在同名的成员单位", "name");
    }
    return e;
  }
  if (*changed == 0) {
    auto existing = TRY(FindUnit(conn, u.id));
    if (!existing) return core::NotFound("成员单位不存在");
    return core::Aborted("该成员单位已被他人修改，请刷新后重试");
  }
  return core::Ok();
}

namespace {

Result<std::optional<UnitRecord>> FindUnitWhere(Conn& conn, std::string_view condition,
                                                Value value) {
  std::array<Value, 1> p{std::move(value)};
  auto row = TRY(conn.QueryOne(std::string("SELECT ") + std::string(kUnitColumns) +
                                   " FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE " +
                                   std::string(condition),
                               p));
  if (!row) return std::optional<UnitRecord>();
  return std::optional<UnitRecord>(UnitFromRow(*row));
}

}  // namespace

Result<std::optional<UnitRecord>> FindUnit(Conn& conn, std::int64_t id) {
  return FindUnitWhere(conn, "u.id = ?", id);
}

Result<std::optional<UnitRecord>> FindUnitByName(Conn& conn, std::string_view name) {
  return FindUnitWhere(conn, "u.name = ?", std::string(name));
}

Result<std::vector<UnitRecord>> ListUnits(Conn& conn, const UnitFilter& f) {
  std::string sql = std::string("SELECT ") + std::string(kUnitColumns) +
                    " FROM units u LEFT JOIN units p ON p.id = u.parent_id WHERE u.id > ?";
  std::vector<Value> p{f.after_id};
  if (!f.name_contains.empty()) {
    sql += " AND u.name LIKE ? ESCAPE '\\'";
    p.emplace_back(ContainsPattern(f.name_contains));
  }
  if (!f.type.empty()) {
    sql += " AND u.type = ?";
    p.emplace_back(f.type);
  }
  if (!f.region_prefix.empty()) {
    sql += " AND u.region_code LIKE ? ESCAPE '\\'";
    p.emplace_back(PrefixPattern(f.region_prefix));
  }
  if (f.enabled) {
    sql += " AND u.enabled = ?";
    p.emplace_back(Bool(*f.enabled));
  }
  if (f.only_unit_id) {
    sql += " AND u.id = ?";
    p.emplace_back(*f.only_unit_id);
  }
  sql += " ORDER BY u.id LIMIT ?";
  p.emplace_back(static_cast<std::int64_t>(f.limit));
  auto rows = TRY(conn.Query(sql, p));
  std::vector<UnitRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(UnitFromRow(r));
  return out;
}

Result<std::int64_t> InsertUser(Conn& conn, const UserRecord& u) {
  auto p = UserValues(u);
  p.emplace_back(u.created_at);
  auto row = conn.QueryOne(
      "INSERT INTO users (username, display_name, unit_id, password_hash, password_changed_at, "
      "phone, enabled, totp_secret, totp_pending_secret, totp_enabled, totp_exempt, "
      "totp_last_step, last_login_at, cert_number, cert_issuer, cert_valid_from, cert_valid_to, "
      "updated_at, created_at, version) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) RETURNING id",
      p);
  if (!row.ok()) {
    auto e = std::move(row).error();
    if (e.code == core::ErrorCode::kAlreadyExists) {
      return core::AlreadyExists("用户名已被使用", "username");
    }
    return e;
  }
  std::int64_t id = (*row)->Int(0);
  TRY(SetUserRoles(conn, id, u.roles));
  return id;
}

Status UpdateUser(Conn& conn, const UserRecord& u) {
  auto p = UserValues(u);
  p.emplace_back(u.id);
  p.emplace_back(u.version);
  auto changed = TRY(conn.Exec(
      "UPDATE users SET username = ?, display_name = ?, unit_id = ?, password_hash = ?, "
      "password_changed_at = ?, phone = ?, enabled = ?, totp_secret = ?, totp_pending_secret = ?, "
      "totp_enabled = ?, totp_exempt = ?, totp_last_step = ?, last_login_at = ?, cert_number = ?, "
      "cert_issuer = ?, cert_valid_from = ?, cert_valid_to = ?, updated_at = ?, "
      "version = version + 1 WHERE id = ? AND version = ?",
      p));
  if (changed == 0) {
    auto existing = TRY(FindUser(conn, u.id));
    if (!existing) return core::NotFound("用户不存在");
    return core::Aborted("该用户已被他人修改，请刷新后重试");
  }
  return core::Ok();
}

namespace {

Result<std::optional<UserRecord>> FindUserWhere(Conn& conn, std::string_view condition,
                                                Value value) {
  std::array<Value, 1> p{std::move(value)};
  auto row = TRY(conn.QueryOne(std::string("SELECT ") + std::string(kUserColumns) +
                                   std::string(kUserFrom) + " WHERE " + std::string(condition),
                               p));
  if (!row) return std::optional<UserRecord>();
  auto user = UserFromRow(*row);
  user.roles = TRY(RolesOf(conn, user.id));
  return std::optional<UserRecord>(std::move(user));
}

}  // namespace

Result<std::optional<UserRecord>> FindUser(Conn& conn, std::int64_t id) {
  return FindUserWhere(conn, "s.id = ?", id);
}

Result<std::optional<UserRecord>> FindUserByName(Conn& conn, std::string_view username) {
  return FindUserWhere(conn, "s.username = ?", std::string(username));
}

Result<std::vector<UserRecord>> ListUsers(Conn& conn, const UserFilter& f) {
  std::string sql = std::string("SELECT ") + std::string(kUserColumns) + std::string(kUserFrom) +
                    " WHERE s.id > ?";
  std::vector<Value> p{f.after_id};
  if (!f.text_contains.empty()) {
    sql += " AND (s.username LIKE ? ESCAPE '\\' OR s.display_name LIKE ? ESCAPE '\\')";
    p.emplace_back(ContainsPattern(f.text_contains));
    p.emplace_back(ContainsPattern(f.text_contains));
  }
  if (f.unit_id) {
    sql += " AND s.unit_id = ?";
    p.emplace_back(*f.unit_id);
  }
  if (!f.role.empty()) {
    sql += " AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = s.id AND r.role = ?)";
    p.emplace_back(f.role);
  }
  if (f.enabled) {
    sql += " AND s.enabled = ?";
    p.emplace_back(Bool(*f.enabled));
  }
  sql += " ORDER BY s.id LIMIT ?";
  p.emplace_back(static_cast<std::int64_t>(f.limit));
  auto rows = TRY(conn.Query(sql, p));
  std::vector<UserRecord> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    auto user = UserFromRow(r);
    user.roles = TRY(RolesOf(conn, user.id));
    out.push_back(std::move(user));
  }
  return out;
}

Status RecordLogin(Conn& conn, std::int64_t user_id, std::int64_t at,
                   std::optional<std::int64_t> totp_step) {
  std::array<Value, 3> p{at, OptInt(totp_step), user_id};
  TRY(
      conn.Exec("UPDATE users SET last_login_at = ?, totp_last_step = COALESCE(?, totp_last_step) "
                "WHERE id = ?",
                p));
  return core::Ok();
}

Status SetUserRoles(Conn& conn, std::int64_t user_id, const std::vector<std::string>& roles) {
  std::array<Value, 1> p{user_id};
  TRY(conn.Exec("DELETE FROM user_roles WHERE user_id = ?", p));
  for (const auto& role : roles) {
    std::array<Value, 2> q{user_id, role};
    TRY(conn.Exec("INSERT INTO user_roles (user_id, role) VALUES (?, ?) ON CONFLICT DO NOTHING",
                  q));
  }
  return core::Ok();
}

Result<std::int64_t> InsertSession(Conn& conn, const SessionRecord& s) {
  std::vector<Value> p{s.token_hash,   s.user_id,    s.created_at,
                       s.last_seen_at, s.expires_at, s.client_ip};
  auto row = TRY(conn.QueryOne(
      "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at, "
      "client_ip) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
      p));
  if (!row) return core::Internal("INSERT RETURNING gave no row");
  return row->Int(0);
}

Result<std::optional<SessionRecord>> FindSessionByHash(Conn& conn, const Blob& token_hash) {
  std::array<Value, 1> p{token_hash};
  auto row = TRY(conn.QueryOne(
      "SELECT id, token_hash, user_id, created_at, last_seen_at, expires_at, revoked_at, "
      "client_ip FROM sessions WHERE token_hash = ?",
      p));
  if (!row) return std::optional<SessionRecord>();
  SessionRecord s;
  s.id = row->Int(0);
  s.token_hash = row->Bytes(1);
  s.user_id = row->Int(2);
  s.created_at = row->Int(3);
  s.last_seen_at = row->Int(4);
  s.expires_at = row->Int(5);
  s.revoked_at = row->OptInt(6);
  s.client_ip = row->Text(7);
  return std::optional<SessionRecord>(std::move(s));
}

Status TouchSession(Conn& conn, std::int64_t session_id, std::int64_t now) {
  std::array<Value, 3> p{now, session_id, now};
  TRY(conn.Exec("UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", p));
  return core::Ok();
}

Status RevokeSession(Conn& conn, std::int64_t session_id, std::int64_t now) {
  std::array<Value, 2> p{now, session_id};
  TRY(conn.Exec("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", p));
  return core::Ok();
}

Status RevokeUserSessions(Conn& conn, std::int64_t user_id, std::int64_t now) {
  std::array<Value, 2> p{now, user_id};
  TRY(conn.Exec("UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", p));
  return core::Ok();
}

Result<std::int64_t> PruneSessions(Conn& conn, std::int64_t before) {
  std::array<Value, 2> p{before, before};
  return conn.Exec("DELETE FROM sessions WHERE revoked_at < ? OR expires_at < ?", p);
}

Status InsertLoginFailure(Conn& conn, std::string_view username, std::int64_t at,
                          std::string_view client_ip) {
  std::array<Value, 3> p{std::string(username), at, std::string(client_ip)};
  TRY(conn.Exec("INSERT INTO login_failures (username, at, client_ip) VALUES (?, ?, ?)", p));
  return core::Ok();
}

Result<std::int64_t> CountLoginFailures(Conn& conn, std::string_view username, std::int64_t since) {
  std::array<Value, 2> p{std::string(username), since};
  auto row =
      TRY(conn.QueryOne("SELECT COUNT(*) FROM login_failures WHERE username = ? AND at >= ?", p));
  return row ? row->Int(0) : 0;
}

Status ClearLoginFailures(Conn& conn, std::string_view username) {
  std::array<Value, 1> p{std::string(username)};
  TRY(conn.Exec("DELETE FROM login_failures WHERE username = ?", p));
  return core::Ok();
}

Result<std::int64_t> PruneLoginFailures(Conn& conn, std::int64_t before) {
  std::array<Value, 1> p{before};
  return conn.Exec("DELETE FROM login_failures WHERE at < ?", p);
}

Result<bool> TakeLoginToken(Conn& conn, std::string_view key, std::int64_t now,
                            std::int64_t capacity, std::int64_t refill_per_minute) {
  if (capacity < 1 || refill_per_minute < 1) {
    return core::InvalidArgument("登录频率限制须至少为 1", "capacity");
  }
  constexpr std::int64_t kMilli = 1000;
  const std::int64_t full = capacity * kMilli;
  // Milli-tokens refilled per millisecond is refill_per_minute / 60; a bucket
  // idle for refill_ms is full again and needs no row.
  const std::int64_t refill_ms =
      (full * 60'000 + refill_per_minute * kMilli - 1) / (refill_per_minute * kMilli);
  std::array<Value, 1> prune{now - refill_ms};
  TRY(conn.Exec("DELETE FROM login_rate_buckets WHERE updated_at < ?", prune));
  std::array<Value, 1> which{std::string(key)};
  auto row = TRY(conn.QueryOne(
      "SELECT tokens_milli, updated_at FROM login_rate_buckets WHERE key = ?", which));
  std::int64_t tokens = full;
  std::int64_t stamp = now;
  if (row) {
    const std::int64_t elapsed = std::max<std::int64_t>(0, now - row->Int(1));
    const std::int64_t refilled =
        elapsed >= refill_ms ? full : elapsed * refill_per_minute * kMilli / 60'000;
    tokens = row->Int(0) + refilled;
    if (tokens >= full) {
      tokens = full;
    } else {
      // Stamp the time the refilled amount stands for, so the rounding
      // remainder is not lost when attempts come close together.
      stamp = row->Int(1) + refilled * 60'000 / (refill_per_minute * kMilli);
    }
  }
  const bool allowed = tokens >= kMilli;
  if (allowed) tokens -= kMilli;
  std::array<Value, 3> p{std::string(key), tokens, stamp};
  TRY(
      conn.Exec("INSERT INTO login_rate_buckets (key, tokens_milli, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET tokens_milli = excluded.tokens_milli, "
                "updated_at = excluded.updated_at",
                p));
  return allowed;
}

Result<std::int64_t> CountLoginBuckets(Conn& conn) {
  auto row = TRY(conn.QueryOne("SELECT COUNT(*) FROM login_rate_buckets"));
  return row ? row->Int(0) : 0;
}

Result<std::int64_t> LockedUntil(Conn& conn, std::string_view username) {
  std::array<Value, 1> p{std::string(username)};
  auto row = TRY(conn.QueryOne("SELECT locked_until FROM login_locks WHERE username = ?", p));
  return row ? row->Int(0) : 0;
}

Status SetLock(Conn& conn, std::string_view username, std::int64_t until) {
  std::array<Value, 2> p{std::string(username), until};
  TRY(
      conn.Exec("INSERT INTO login_locks (username, locked_until) VALUES (?, ?) "
                "ON CONFLICT (username) DO UPDATE SET locked_until = excluded.locked_until",
                p));
  return core::Ok();
}

Status ClearLock(Conn& conn, std::string_view username) {
  std::array<Value, 1> p{std::string(username)};
  TRY(conn.Exec("DELETE FROM login_locks WHERE username = ?", p));
  return core::Ok();
}

Result<std::int64_t> InsertApiToken(Conn& conn, const ApiTokenRecord& t) {
  std::vector<Value> p{t.name,
                       t.token_hash,
                       JoinComma(t.permissions),
                       OptInt(t.unit_id),
                       OptInt(t.created_by),
                       t.created_at,
                       OptInt(t.expires_at)};
  auto row = TRY(conn.QueryOne(
      "INSERT INTO api_tokens (name, token_hash, permissions, unit_id, created_by, created_at, "
      "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
      p));
  if (!row) return core::Internal("INSERT RETURNING gave no row");
  return row->Int(0);
}

Result<std::optional<ApiTokenRecord>> FindApiTokenByHash(Conn& conn, const Blob& token_hash) {
  std::array<Value, 1> p{token_hash};
  auto row = TRY(conn.QueryOne(
      std::string("SELECT ") + std::string(kTokenColumns) + " FROM api_tokens WHERE token_hash = ?",
      p));
  if (!row) return std::optional<ApiTokenRecord>();
  return std::optional<ApiTokenRecord>(TokenFromRow(*row));
}

Result<std::optional<ApiTokenRecord>> FindApiToken(Conn& conn, std::int64_t id) {
  std::array<Value, 1> p{id};
  auto row = TRY(conn.QueryOne(
      std::string("SELECT ") + std::string(kTokenColumns) + " FROM api_tokens WHERE id = ?", p));
  if (!row) return std::optional<ApiTokenRecord>();
  return std::optional<ApiTokenRecord>(TokenFromRow(*row));
}

Result<std::vector<ApiTokenRecord>> ListApiTokens(Conn& conn) {
  auto rows = TRY(conn.Query(std::string("SELECT ") + std::string(kTokenColumns) +
                             " FROM api_tokens ORDER BY id DESC LIMIT 500"));
  std::vector<ApiTokenRecord> out;
  for (const auto& r : rows) out.push_back(TokenFromRow(r));
  return out;
}

Status RevokeApiToken(Conn& conn, std::int64_t id, std::int64_t now) {
  std::array<Value, 2> p{now, id};
  TRY(conn.Exec("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", p));
  return core::Ok();
}

Status TouchApiToken(Conn& conn, std::int64_t id, std::int64_t now) {
  std::array<Value, 2> p{now, id};
  TRY(conn.Exec("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", p));
  return core::Ok();
}

}  // namespace lvyuan::store
