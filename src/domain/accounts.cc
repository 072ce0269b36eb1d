#include "domain/accounts.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "core/encoding.h"
#include "core/strings.h"
#include "crypto/hash.h"
#include "crypto/random.h"
#include "crypto/totp.h"
#include "domain/record_actor.h"

namespace lvyuan::domain {
namespace json = boost::json;
namespace {

constexpr std::string_view kBadCredentials = "用户名或密码错误";
constexpr std::string_view kLockedMessage = "登录失败次数过多，账号已临时锁定，请稍后再试";
constexpr std::string_view kCsrfKeySetting = "csrf_key";

store::Blob HashToken(std::string_view token) {
  auto d = crypto::Sm3(token);
  return store::Blob(d.begin(), d.end());
}

std::string NormaliseUsername(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == ' ' || c == '\t') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

Status ValidateUsername(std::string_view u) {
  if (u.size() < 3 || u.size() > 32) {
    return core::InvalidArgument("用户名长度应为 3 到 32 个字符", "username");
  }
  if (!(u[0] >= 'a' && u[0] <= 'z')) {
    return core::InvalidArgument("用户名应以小写英文字母开头", "username");
  }
  for (char c : u) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) {
      return core::InvalidArgument("用户名只能包含小写字母、数字、下划线、点和连字符", "username");
    }
  }
  return core::Ok();
}

Status LimitText(std::string_view value, std::string_view field, std::string_view label,
                 std::size_t max_chars) {
  if (core::Utf8Length(value) > max_chars) {
    return core::InvalidArgument(
        std::string(label) + "过长（最多 " + std::to_string(max_chars) + " 个字符）",
        std::string(field));
  }
  return core::Ok();
}

Status RequireText(std::string_view value, std::string_view field, std::string_view label,
                   std::size_t max_chars) {
  if (value.empty()) {
    return core::InvalidArgument(std::string(label) + "不能为空", std::string(field));
  }
  return LimitText(value, field, label, max_chars);
}

Status ValidatePhone(std::string_view phone) {
  if (phone.empty()) return core::Ok();
  if (phone.size() > 20) return core::InvalidArgument("电话号码过长", "phone");
  for (char c : phone) {
    if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == ' ')) {
      return core::InvalidArgument("电话号码只能包含数字、空格、+ 和 -", "phone");
    }
  }
  return core::Ok();
}

Status ValidateCertificate(const store::Certificate& c) {
  TRY(RequireText(c.number, "certificate.number", "执法证号", 64));
  TRY(RequireText(c.issuer, "certificate.issuer", "发证机关", 100));
  if (!core::IsIsoDate(c.valid_from)) {
    return core::InvalidArgument("有效期起始日期格式应为 YYYY-MM-DD", "certificate.valid_from");
  }
  if (!core::IsIsoDate(c.valid_to)) {
    return core::InvalidArgument("有效期截止日期格式应为 YYYY-MM-DD", "certificate.valid_to");
  }
  if (c.valid_to < c.valid_from) {
    return core::InvalidArgument("有效期截止日期早于起始日期", "certificate.valid_to");
  }
  return core::Ok();
}

json::object DetailJson(std::initializer_list<std::pair<std::string_view, json::value>> items) {
  json::object o;
  for (const auto& [k, v] : items) o[k] = v;
  return o;
}

// The changes of a created object: every field from null to its value.
json::object Created(std::initializer_list<std::pair<std::string_view, json::value>> items) {
  json::object o;
  for (const auto& [k, v] : items) o[k] = json::object{{"before", nullptr}, {"after", v}};
  return o;
}

json::array ToJson(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

// One page of a keyset-paged list: asks the store for one row more than the
// (clamped) limit to learn whether a next page exists.
template <typename Filter, typename Record>
Result<Page<Record>> ReadPage(store::Database& db, Filter filter, int max_limit,
                              Result<std::vector<Record>> (*list)(store::Conn&, const Filter&)) {
  const int want = std::clamp(filter.limit, 1, max_limit);
  filter.limit = want + 1;
  Page<Record> page;
  TRY(db.Read([&](store::Conn& conn) -> Status {
    page.items = TRY(list(conn, filter));
    return core::Ok();
  }));
  if (static_cast<int>(page.items.size()) > want) {
    page.items.resize(static_cast<std::size_t>(want));
    if constexpr (requires { page.items.back().seq; }) {
      page.next_after = page.items.back().seq;
    } else {
      page.next_after = page.items.back().id;
    }
  }
  return page;
}

}  // namespace

bool CertificateValid(const std::optional<store::Certificate>& cert, std::string_view date) {
  return cert && !cert->valid_from.empty() && cert->valid_from <= date && date <= cert->valid_to;
}

Accounts::Accounts(store::Database& db, const Catalog& catalog,
                   const core::RegionCatalogue& regions, const core::Clock& clock, record::Log& log,
                   AuthPolicy policy)
    : db_(db),
      catalog_(catalog),
      regions_(regions),
      clock_(clock),
      log_(log),
      policy_(std::move(policy)) {}

Status Accounts::Initialize() {
  auto fresh = crypto::RandomBytes(32);
  store::Blob key;
  TRY(Write([&](store::Conn& conn) -> Status {
    key = TRY(store::PutSettingIfAbsent(conn, kCsrfKeySetting, fresh));
    return core::Ok();
  }));
  csrf_key_.assign(key.begin(), key.end());
  dummy_hash_ = TRY(crypto::HashPassword(crypto::RandomToken(16), policy_.hash_params));
  return core::Ok();
}

Status Accounts::Write(const std::function<Status(store::Conn&)>& fn) {
  Status s = db_.Write(fn);
  ++generation_;
  return s;
}

Status Accounts::Write(const std::string& change, const std::function<Status(store::Conn&)>& fn) {
  if (notifier_ == nullptr) return Write(fn);
  Status s = notifier_->Write([&](store::Conn& conn, store::Outbox& outbox) -> Status {
    TRY(fn(conn));
    if (change.empty()) return core::Ok();
    return outbox.Publish(kAccountsChannel, change);
  });
  ++generation_;
  return s;
}

void Accounts::UseNotifier(store::Notifier& notifier) {
  notifier_ = &notifier;
  // A generation bump empties the whole cache, including entries being
  // loaded from before the change arrived (they carry the old generation).
  subscription_ = notifier.Subscribe(
      std::string(kAccountsChannel), [this](const store::Notification&) { ++generation_; },
      [this] { ++generation_; });
}

std::optional<AccountsChange> ParseAccountsChange(std::string_view payload) {
  const std::size_t space = payload.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  const std::string_view kind = payload.substr(0, space);
  const std::string_view digits = payload.substr(space + 1);
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string_view::npos) {
    return std::nullopt;
  }
  AccountsChange change;
  change.id = std::stoll(std::string(digits));
  if (kind == "session") {
    change.kind = AccountsChange::Kind::kSession;
  } else if (kind == "user") {
    change.kind = AccountsChange::Kind::kUser;
  } else if (kind == "unit") {
    change.kind = AccountsChange::Kind::kUnit;
  } else {
    return std::nullopt;
  }
  return change;
}

Principal Accounts::CommandLine() {
  Principal p;
  p.username = "cli";
  p.display_name = "命令行";
  p.via = Principal::Via::kCommandLine;
  p.admin_class = AdminClass::kSystem;
  return p;
}

bool Accounts::SeesAllUnits(const Principal& who) const {
  return who.via == Principal::Via::kCommandLine || who.Has("system:scope:all");
}

bool Accounts::TotpRequired(const std::vector<std::string>& roles) const {
  return std::any_of(roles.begin(), roles.end(), [&](const std::string& code) {
    const Role* r = catalog_.FindRole(code);
    return r && r->requires_totp;
  });
}

Principal Accounts::PrincipalFor(const store::UserRecord& user) const {
  Principal p;
  p.user_id = user.id;
  p.username = user.username;
  p.display_name = user.display_name;
  p.unit_id = user.unit_id;
  p.unit_type = user.unit_type;
  p.roles = user.roles;
  for (const auto& code : user.roles) {
    const Role* r = catalog_.FindRole(code);
    if (!r) continue;  // a role removed from the catalogue grants nothing
    if (r->admin_class != AdminClass::kNone) p.admin_class = r->admin_class;
    p.permissions.insert(r->permissions.begin(), r->permissions.end());
  }
  p.must_enrol_totp = TotpRequired(user.roles) && !user.totp_enabled && !user.totp_exempt;
  return p;
}

std::string Accounts::SealTotpSecret(std::int64_t user_id, const std::string& base32) const {
  if (policy_.field_cipher == nullptr) return base32;
  return policy_.field_cipher->Seal(base32, "totp:" + std::to_string(user_id));
}

Result<std::string> Accounts::OpenTotpSecret(std::int64_t user_id,
                                             const std::string& stored) const {
  if (!crypto::FieldCipher::IsSealed(stored)) return stored;  // stored before sealing existed
  if (policy_.field_cipher == nullptr) {
    return core::FailedPrecondition("动态口令密钥已加密存储，但未配置字段密钥");
  }
  return policy_.field_cipher->Open(stored, "totp:" + std::to_string(user_id));
}

Status Accounts::AppendAudit(store::Conn& conn, const Principal* who, std::string_view action,
                             std::string_view object_type, std::string_view object_id,
                             std::string_view outcome, const RequestMeta& meta, json::object detail,
                             json::object changes) {
  record::EventInput e;
  if (who) e.actor = ActorOf(*who);
  e.action = action;
  e.object_type = object_type;
  e.object_id = object_id;
  e.outcome = outcome;
  e.client_ip = meta.client_ip;
  e.request_id = meta.request_id;
  e.detail = std::move(detail);
  e.changes = std::move(changes);
  TRY(log_.Append(conn, e));
  return core::Ok();
}

// ---------------------------------------------------------------- sign-in

Result<LoginOutput> Accounts::Login(const LoginInput& input, const RequestMeta& meta) {
  const std::string username = NormaliseUsername(input.username);
  if (username.empty()) return core::InvalidArgument("请输入用户名", "username");
  if (input.password.empty()) return core::InvalidArgument("请输入密码", "password");
  if (username.size() > 64 || input.password.size() > 256) {
    return core::Unauthenticated(std::string(kBadCredentials));
  }
  const std::int64_t now = clock_.NowMs();
  Principal attempt;
  attempt.username = username;

  // Read what is needed first: password hashing must not hold the writer.
  std::int64_t locked_until = 0;
  std::optional<store::UserRecord> user;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    locked_until = TRY(store::LockedUntil(conn, username));
    user = TRY(store::FindUserByName(conn, username));
    return core::Ok();
  }));
  if (locked_until > now) {
    TRY(Write([&](store::Conn& conn) {
      return AppendAudit(conn, &attempt, "auth.login", "user", username, "denied", meta,
                         DetailJson({{"reason", "locked"}}));
    }));
    return core::Locked(std::string(kLockedMessage));
  }

  bool password_ok =
      crypto::VerifyPassword(user ? user->password_hash : dummy_hash_, input.password) &&
      user.has_value();
  std::string failure;  // empty = success so far
  if (!password_ok) {
    failure = user ? "bad_password" : "unknown_user";
  } else if (!user->enabled || !user->unit_enabled) {
    failure = user->enabled ? "unit_disabled" : "disabled";
  }

  std::optional<std::int64_t> totp_step;
  bool totp_missing = false;
  if (failure.empty() && user->totp_enabled && user->totp_secret) {
    if (input.totp.empty()) {
      totp_missing = true;
    } else {
      // A secret that does not open (another field key) verifies nothing.
      auto secret = OpenTotpSecret(user->id, *user->totp_secret);
      auto key = secret.ok() ? core::Base32Decode(*secret)
                             : core::Result<std::vector<std::uint8_t>>(secret.error());
      if (key.ok()) {
        totp_step = crypto::VerifyTotp(*key, input.totp, now / 1000);
      }
      if (!totp_step || *totp_step <= user->totp_last_step) failure = "bad_totp";
    }
  }

  if (totp_missing) {
    TRY(Write([&](store::Conn& conn) {
      return AppendAudit(conn, &attempt, "auth.login", "user", username, "failed", meta,
                         DetailJson({{"reason", "totp_required"}}));
    }));
    return core::Error{core::ErrorCode::kUnauthenticated, "请输入动态口令（TOTP）", "totp"};
  }

  if (!failure.empty()) {
    TRY(Write([&](store::Conn& conn) -> Status {
      // Old failures no longer count towards a lock; keep the table small.
      TRY(store::PruneLoginFailures(conn, now - policy_.lockout_window_ms));
      TRY(store::InsertLoginFailure(conn, username, now, meta.client_ip));
      auto count = TRY(store::CountLoginFailures(conn, username, now - policy_.lockout_window_ms));
      TRY(AppendAudit(conn, &attempt, "auth.login", "user", username, "failed", meta,
                      DetailJson({{"reason", json::value(failure)}})));
      if (count >= policy_.lockout_threshold) {
        TRY(store::SetLock(conn, username, now + policy_.lockout_duration_ms));
        TRY(store::ClearLoginFailures(conn, username));
        TRY(AppendAudit(conn, &attempt, "auth.lockout", "user", username, "denied", meta,
                        DetailJson({{"failures", count}})));
      }
      return core::Ok();
    }));
    // The attempt that trips the lock still reads as a plain failure.
    if (failure == "bad_totp") {
      return core::Error{core::ErrorCode::kUnauthenticated, "动态口令错误或已使用", "totp"};
    }
    return core::Unauthenticated(std::string(kBadCredentials));
  }

  LoginOutput out;
  out.session_token = crypto::RandomToken(32);
  out.expires_at_ms = now + policy_.absolute_timeout_ms;
  TRY(Write([&](store::Conn& conn) -> Status {
    store::SessionRecord s;
    s.token_hash = HashToken(out.session_token);
    s.user_id = user->id;
    s.created_at = now;
    s.last_seen_at = now;
    s.expires_at = out.expires_at_ms;
    s.client_ip = meta.client_ip;
    auto session_id = TRY(store::InsertSession(conn, s));
    // Sessions that ended a day ago serve nothing; the audit log keeps the history.
    TRY(store::PruneSessions(conn, now - 86'400'000));
    TRY(store::RecordLogin(conn, user->id, now, totp_step));
    auto fresh = TRY(store::FindUser(conn, user->id));
    if (!fresh) return core::Internal("user vanished during login");
    TRY(store::ClearLoginFailures(conn, username));
    TRY(store::ClearLock(conn, username));
    out.principal = PrincipalFor(*fresh);
    out.principal.credential_id = session_id;
    out.principal.csrf_token = CsrfTokenFor(out.session_token);
    out.principal.expires_at_ms = out.expires_at_ms;
    return AppendAudit(conn, &out.principal, "auth.login", "user", std::to_string(user->id), "ok",
                       meta, DetailJson({{"session", session_id}}));
  }));
  return out;
}

Status Accounts::Logout(const Principal& who, const RequestMeta& meta) {
  if (who.via != Principal::Via::kSession) {
    return core::FailedPrecondition("只有登录会话可以退出");
  }
  const std::int64_t now = clock_.NowMs();
  return Write("session " + std::to_string(who.credential_id), [&](store::Conn& conn) -> Status {
    TRY(store::RevokeSession(conn, who.credential_id, now));
    return AppendAudit(conn, &who, "auth.logout", "user", std::to_string(who.user_id), "ok", meta,
                       DetailJson({{"session", who.credential_id}}));
  });
}

Result<Principal> Accounts::AuthenticateSession(std::string_view token) {
  std::shared_ptr<const Principal> principal = TRY(AuthenticateSessionShared(token));
  return *principal;
}

Result<std::shared_ptr<const Principal>> Accounts::AuthenticateSessionShared(
    std::string_view token) {
  if (token.empty() || token.size() > 128) return core::Unauthenticated("请先登录");
  const std::int64_t now = clock_.NowMs();
  // The cache is keyed by the token itself (memory only): a hit then costs
  // no hashing. The database only ever sees the token's hash.
  const std::string_view key = token;
  const std::uint64_t generation = generation_.load();

  std::shared_ptr<const Principal> principal;
  std::int64_t last_seen_at = 0;
  {
    std::lock_guard lock(cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      if (it->second.generation == generation &&
          now - it->second.loaded_at < policy_.session_cache_ms) {
        principal = it->second.principal;
        last_seen_at = it->second.last_seen_at;
      } else {
        cache_.erase(it);
      }
    }
  }
  if (!principal) {
    std::optional<store::SessionRecord> session;
    std::optional<store::UserRecord> user;
    TRY(db_.Read([&](store::Conn& conn) -> Status {
      session = TRY(store::FindSessionByHash(conn, HashToken(token)));
      if (session) user = TRY(store::FindUser(conn, session->user_id));
      return core::Ok();
    }));
    if (!session || session->revoked_at || !user) return core::Unauthenticated("请先登录");
    if (!user->enabled || !user->unit_enabled) return core::Unauthenticated("账号已停用");
    auto made = std::make_shared<Principal>(PrincipalFor(*user));
    made->via = Principal::Via::kSession;
    made->credential_id = session->id;
    made->csrf_token = CsrfTokenFor(token);
    made->expires_at_ms = session->expires_at;
    made->user = std::make_shared<const store::UserRecord>(std::move(*user));
    CachedSession entry;
    entry.principal = std::move(made);
    entry.last_seen_at = session->last_seen_at;
    entry.generation = generation;
    entry.loaded_at = now;
    principal = entry.principal;
    last_seen_at = entry.last_seen_at;
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= 10000) cache_.clear();  // bounded; it refills on demand
    cache_.insert_or_assign(std::string(key), std::move(entry));
  }
  if (now >= principal->expires_at_ms) return core::Unauthenticated("登录已过期，请重新登录");
  const std::int64_t idle = principal->admin_class != AdminClass::kNone
                                ? policy_.admin_idle_timeout_ms
                                : policy_.idle_timeout_ms;
  if (now - last_seen_at >= idle) return core::Unauthenticated("长时间未操作，请重新登录");
  // Refreshing the idle timer costs a write; do it only when a tenth of the
  // idle period (at most a minute) has passed, which keeps reads read-only.
  const std::int64_t refresh = std::min<std::int64_t>(60'000, idle / 10);
  if (now - last_seen_at >= refresh) {
    const std::int64_t session_id = principal->credential_id;
    TRY(db_.Write([&](store::Conn& conn) { return store::TouchSession(conn, session_id, now); }));
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(key); it != cache_.end()) it->second.last_seen_at = now;
  }
  return principal;
}

Result<Principal> Accounts::AuthenticateApiToken(std::string_view token) {
  if (token.empty() || token.size() > 128) return core::Unauthenticated("接口令牌无效");
  const std::int64_t now = clock_.NowMs();
  std::optional<store::ApiTokenRecord> record;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    record = TRY(store::FindApiTokenByHash(conn, HashToken(token)));
    return core::Ok();
  }));
  if (!record || record->revoked_at) return core::Unauthenticated("接口令牌无效或已吊销");
  if (record->expires_at && now >= *record->expires_at) {
    return core::Unauthenticated("接口令牌已过期");
  }
  if (!record->last_used_at || now - *record->last_used_at >= 60'000) {
    TRY(Write([&](store::Conn& conn) { return store::TouchApiToken(conn, record->id, now); }));
  }
  Principal p;
  p.username = "token:" + record->name;
  p.display_name = record->name;
  p.unit_id = record->unit_id.value_or(0);
  p.via = Principal::Via::kApiToken;
  p.credential_id = record->id;
  p.permissions.insert(record->permissions.begin(), record->permissions.end());
  return p;
}

std::string Accounts::CsrfTokenFor(std::string_view session_token) const {
  auto mac = crypto::HmacSm3(csrf_key_, core::AsBytes(session_token));
  return core::Base64UrlEncode(mac);
}

bool Accounts::CheckCsrf(const Principal& who, std::string_view header_value) const {
  if (who.via != Principal::Via::kSession) return true;
  return !who.csrf_token.empty() && crypto::ConstantTimeEqual(who.csrf_token, header_value);
}

void Accounts::RecordDenied(const Principal* who, std::string_view action, std::string_view reason,
                            const RequestMeta& meta) {
  // Best effort: a refused request must still be refused if logging fails.
  (void)Write([&](store::Conn& conn) {
    return AppendAudit(conn, who, action, "", "", "denied", meta,
                       DetailJson({{"reason", json::value(std::string(reason))}}));
  });
}

// ---------------------------------------------------------- the signed-in user

Result<store::UserRecord> Accounts::Me(const Principal& who) {
  if (who.user_id == 0) return core::NotFound("接口令牌没有对应的用户");
  if (who.user) return *who.user;
  std::optional<store::UserRecord> user;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    user = TRY(store::FindUser(conn, who.user_id));
    return core::Ok();
  }));
  if (!user) return core::NotFound("用户不存在");
  return *user;
}

Status Accounts::CheckPasswordPolicy(std::string_view username, std::string_view password) const {
  if (core::Utf8Length(password) < policy_.password_min_length) {
    return core::InvalidArgument(
        "密码至少 " + std::to_string(policy_.password_min_length) + " 个字符", "password");
  }
  if (password.size() > 128)
    return core::InvalidArgument("密码过长（最多 128 个字符）", "password");
  if (NormaliseUsername(password) == NormaliseUsername(username)) {
    return core::InvalidArgument("密码不能与用户名相同", "password");
  }
  if (catalog_.IsCommonPassword(password)) {
    return core::InvalidArgument("密码过于常见，请换一个", "password");
  }
  return core::Ok();
}

Status Accounts::ChangeOwnPassword(const Principal& who, std::string_view current,
                                   std::string_view replacement, const RequestMeta& meta) {
  auto user = TRY(Me(who));
  if (!crypto::VerifyPassword(user.password_hash, current)) {
    return core::InvalidArgument("当前密码不正确", "current_password");
  }
  if (auto s = CheckPasswordPolicy(user.username, replacement); !s.ok()) {
    auto e = std::move(s).error();
    e.field = "new_password";
    return e;
  }
  auto hash = TRY(crypto::HashPassword(replacement, policy_.hash_params));
  const std::int64_t now = clock_.NowMs();
  return Write("user " + std::to_string(who.user_id), [&](store::Conn& conn) -> Status {
    auto fresh = TRY(store::FindUser(conn, who.user_id));
    if (!fresh) return core::NotFound("用户不存在");
    fresh->password_hash = hash;
    fresh->password_changed_at = now;
    fresh->updated_at = now;
    TRY(store::UpdateUser(conn, *fresh));
    return AppendAudit(conn, &who, "user.password.change", "user", std::to_string(who.user_id),
                       "ok", meta, {});
  });
}

Result<TotpSetup> Accounts::BeginTotpEnrolment(const Principal& who, const RequestMeta& meta) {
  if (who.user_id == 0) return core::FailedPrecondition("接口令牌不能绑定动态口令");
  TotpSetup out;
  out.secret_base32 = core::Base32Encode(crypto::NewTotpSecret());
  const std::int64_t now = clock_.NowMs();
  TRY(Write([&](store::Conn& conn) -> Status {
    auto user = TRY(store::FindUser(conn, who.user_id));
    if (!user) return core::NotFound("用户不存在");
    if (user->totp_enabled) {
      return core::FailedPrecondition("已绑定动态口令；如需更换请联系管理员重置");
    }
    user->totp_pending_secret = SealTotpSecret(user->id, out.secret_base32);
    user->updated_at = now;
    TRY(store::UpdateUser(conn, *user));
    return AppendAudit(conn, &who, "user.totp.begin", "user", std::to_string(who.user_id), "ok",
                       meta, {});
  }));
  out.otpauth_uri = crypto::TotpUri("lvyuan", who.username, out.secret_base32);
  return out;
}

Status Accounts::ConfirmTotpEnrolment(const Principal& who, std::string_view code,
                                      const RequestMeta& meta) {
  const std::int64_t now = clock_.NowMs();
  return Write("user " + std::to_string(who.user_id), [&](store::Conn& conn) -> Status {
    auto user = TRY(store::FindUser(conn, who.user_id));
    if (!user) return core::NotFound("用户不存在");
    if (user->totp_enabled) return core::FailedPrecondition("已绑定动态口令");
    if (!user->totp_pending_secret) {
      return core::FailedPrecondition("请先获取动态口令密钥", "code");
    }
    const std::string secret = TRY(OpenTotpSecret(user->id, *user->totp_pending_secret));
    auto key = TRY(core::Base32Decode(secret));
    auto step = crypto::VerifyTotp(key, code, now / 1000);
    if (!step) return core::InvalidArgument("动态口令不正确，请核对手机上的 6 位数字", "code");
    user->totp_secret = user->totp_pending_secret;
    user->totp_pending_secret.reset();
    user->totp_enabled = true;
    user->totp_last_step = *step;
    user->updated_at = now;
    TRY(store::UpdateUser(conn, *user));
    return AppendAudit(conn, &who, "user.totp.enable", "user", std::to_string(who.user_id), "ok",
                       meta, {});
  });
}

// ---------------------------------------------------------------- units

Status Accounts::ValidateUnitFields(const store::UnitRecord& u) const {
  TRY(RequireText(u.name, "name", "单位名称", 100));
  if (u.type.empty()) return core::InvalidArgument("请选择单位类型", "type");
  if (!catalog_.InDict("unit_types", u.type)) {
    return core::InvalidArgument("单位类型不存在：" + u.type, "type");
  }
  TRY(regions_.Validate(u.region_code, "region_code"));
  TRY(LimitText(u.contact_person, "contact_person", "联系人", 50));
  if (!u.contact_phone.empty()) {
    auto s = ValidatePhone(u.contact_phone);
    if (!s.ok()) {
      auto e = std::move(s).error();
      e.field = "contact_phone";
      return e;
    }
  }
  return core::Ok();
}

Result<Page<store::UnitRecord>> Accounts::ListUnits(const Principal& who,
                                                    store::UnitFilter filter) {
  if (!SeesAllUnits(who)) filter.only_unit_id = who.unit_id;
  return ReadPage(db_, std::move(filter), 200, store::ListUnits);
}

Result<store::UnitRecord> Accounts::GetUnit(const Principal& who, std::int64_t id) {
  if (!SeesAllUnits(who) && who.unit_id != id) return core::NotFound("成员单位不存在");
  std::optional<store::UnitRecord> unit;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    unit = TRY(store::FindUnit(conn, id));
    return core::Ok();
  }));
  if (!unit) return core::NotFound("成员单位不存在");
  return *unit;
}

Result<store::UnitRecord> Accounts::CreateUnit(const Principal& who, const UnitInput& in,
                                               const RequestMeta& meta) {
  if (!SeesAllUnits(who)) return core::PermissionDenied("只有系统管理员可以新增成员单位");
  store::UnitRecord u;
  u.name = in.name;
  u.type = in.type;
  u.region_code = in.region_code;
  u.parent_id = in.parent_id;
  u.contact_person = in.contact_person;
  u.contact_phone = in.contact_phone;
  TRY(ValidateUnitFields(u));
  const std::int64_t now = clock_.NowMs();
  u.created_at = now;
  u.updated_at = now;
  std::optional<store::UnitRecord> created;
  TRY(Write([&](store::Conn& conn) -> Status {
    if (u.parent_id) {
      auto parent = TRY(store::FindUnit(conn, *u.parent_id));
      if (!parent) return core::InvalidArgument("上级单位不存在", "parent_id");
    }
    auto id = TRY(store::InsertUnit(conn, u));
    created = TRY(store::FindUnit(conn, id));
    return AppendAudit(
        conn, &who, "unit.create", "unit", std::to_string(id), "ok", meta, {},
        Created({{"name", json::value(u.name)},
                 {"type", json::value(u.type)},
                 {"region_code", json::value(u.region_code)},
                 {"parent_id", u.parent_id ? json::value(*u.parent_id) : json::value(nullptr)},
                 {"contact_person", json::value(u.contact_person)},
                 {"contact_phone", json::value(u.contact_phone)}}));
  }));
  return *created;
}

Result<store::UnitRecord> Accounts::UpdateUnit(const Principal& who, std::int64_t id,
                                               const UnitPatch& patch, const RequestMeta& meta) {
  if (!SeesAllUnits(who)) {
    if (who.unit_id != id) return core::NotFound("成员单位不存在");
    return core::PermissionDenied("只有系统管理员可以修改成员单位");
  }
  const std::int64_t now = clock_.NowMs();
  std::optional<store::UnitRecord> updated;
  // Only what a signed-in principal holds (enabled, type) concerns sessions.
  std::string change;
  TRY(Write(change, [&](store::Conn& conn) -> Status {
    auto unit = TRY(store::FindUnit(conn, id));
    if (!unit) return core::NotFound("成员单位不存在");
    if (patch.expected_version && *patch.expected_version != unit->version) {
      return core::Aborted("该成员单位已被他人修改，请刷新后重试");
    }
    json::object changed;
    auto set_text = [&](const std::optional<std::string>& v, std::string& field,
                        std::string_view name) {
      if (v && *v != field) {
        changed[name] = json::object{{"before", field}, {"after", *v}};
        field = *v;
      }
    };
    set_text(patch.name, unit->name, "name");
    set_text(patch.type, unit->type, "type");
    set_text(patch.region_code, unit->region_code, "region_code");
    set_text(patch.contact_person, unit->contact_person, "contact_person");
    set_text(patch.contact_phone, unit->contact_phone, "contact_phone");
    if (patch.parent_id && *patch.parent_id != unit->parent_id) {
      if (*patch.parent_id) {
        // Refuse cycles: walk up from the new parent.
        std::int64_t cursor = **patch.parent_id;
        for (int depth = 0; depth < 64; ++depth) {
          if (cursor == id)
            return core::InvalidArgument("上级单位不能是本单位或其下级", "parent_id");
          auto parent = TRY(store::FindUnit(conn, cursor));
          if (!parent) return core::InvalidArgument("上级单位不存在", "parent_id");
          if (!parent->parent_id) break;
          cursor = *parent->parent_id;
        }
      }
      changed["parent_id"] = json::object{
          {"before", unit->parent_id ? json::value(*unit->parent_id) : json::value(nullptr)},
          {"after", *patch.parent_id ? json::value(**patch.parent_id) : json::value(nullptr)}};
      unit->parent_id = *patch.parent_id;
    }
    if (patch.enabled && *patch.enabled != unit->enabled) {
      changed["enabled"] = json::object{{"before", unit->enabled}, {"after", *patch.enabled}};
      unit->enabled = *patch.enabled;
    }
    TRY(ValidateUnitFields(*unit));
    if (changed.empty()) {
      updated = unit;
      return core::Ok();
    }
    unit->updated_at = now;
    TRY(store::UpdateUnit(conn, *unit));
    updated = TRY(store::FindUnit(conn, id));
    if (changed.contains("enabled") || changed.contains("type")) {
      change = "unit " + std::to_string(id);
    }
    return AppendAudit(conn, &who, "unit.update", "unit", std::to_string(id), "ok", meta, {},
                       std::move(changed));
  }));
  return *updated;
}

// ---------------------------------------------------------------- users

bool Accounts::CanGrant(const Principal& who, const Role& role, std::string_view unit_type) const {
  if (!role.unit_types.empty() && std::find(role.unit_types.begin(), role.unit_types.end(),
                                            unit_type) == role.unit_types.end()) {
    return false;
  }
  if (who.via == Principal::Via::kCommandLine) return true;
  if (!who.Has("system:user:grant")) return false;
  return std::any_of(role.assignable_by.begin(), role.assignable_by.end(),
                     [&](const std::string& by) {
                       return std::find(who.roles.begin(), who.roles.end(), by) != who.roles.end();
                     });
}

Status Accounts::CheckRoles(const Principal& who, const std::vector<std::string>& roles,
                            const std::vector<std::string>& previous,
                            const std::string& unit_type) const {
  std::set<std::string> wanted(roles.begin(), roles.end());
  std::set<std::string> had(previous.begin(), previous.end());
  bool exclusive = false;
  for (const auto& code : wanted) {
    const Role* r = catalog_.FindRole(code);
    if (!r) return core::InvalidArgument("角色不存在：" + code, "roles");
    if (r->exclusive) exclusive = true;
  }
  if (exclusive && wanted.size() > 1) {
    return core::InvalidArgument("系统管理员、安全管理员、审计管理员（三员）不能兼任其他角色",
                                 "roles");
  }
  std::vector<std::string> touched;
  std::set_symmetric_difference(wanted.begin(), wanted.end(), had.begin(), had.end(),
                                std::back_inserter(touched));
  for (const auto& code : touched) {
    const Role* r = catalog_.FindRole(code);
    if (!r) continue;  // removing a role the catalogue no longer knows is fine
    if (!r->unit_types.empty() && wanted.contains(code) &&
        std::find(r->unit_types.begin(), r->unit_types.end(), unit_type) == r->unit_types.end()) {
      return core::InvalidArgument("角色“" + r->name_zh + "”不适用于该类型的单位", "roles");
    }
    Role any_unit = *r;
    any_unit.unit_types.clear();
    if (!CanGrant(who, any_unit, unit_type)) {
      return core::PermissionDenied("无权授予或撤销角色“" + r->name_zh + "”");
    }
  }
  return core::Ok();
}

Result<Page<store::UserRecord>> Accounts::ListUsers(const Principal& who,
                                                    store::UserFilter filter) {
  if (!SeesAllUnits(who)) {
    if (filter.unit_id && *filter.unit_id != who.unit_id) {
      return Page<store::UserRecord>{};  // another unit's users do not exist for the caller
    }
    filter.unit_id = who.unit_id;
  }
  return ReadPage(db_, std::move(filter), 200, store::ListUsers);
}

Result<store::UserRecord> Accounts::GetUser(const Principal& who, std::int64_t id) {
  std::optional<store::UserRecord> user;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    user = TRY(store::FindUser(conn, id));
    return core::Ok();
  }));
  if (!user || (!SeesAllUnits(who) && user->unit_id != who.unit_id)) {
    return core::NotFound("用户不存在");
  }
  return *user;
}

Result<store::UserRecord> Accounts::CreateUser(const Principal& who, const UserInput& in,
                                               const RequestMeta& meta) {
  if (!SeesAllUnits(who) && in.unit_id != who.unit_id) {
    return core::NotFound("成员单位不存在");
  }
  store::UserRecord u;
  u.username = NormaliseUsername(in.username);
  TRY(ValidateUsername(u.username));
  u.display_name = in.display_name;
  TRY(RequireText(u.display_name, "display_name", "姓名", 50));
  TRY(ValidatePhone(in.phone));
  u.phone = in.phone;
  if (in.certificate) TRY(ValidateCertificate(*in.certificate));
  u.certificate = in.certificate;
  TRY(CheckPasswordPolicy(u.username, in.password));
  if (in.totp_exempt && who.via != Principal::Via::kCommandLine) {
    return core::PermissionDenied("只有命令行可以免除动态口令");
  }
  u.totp_exempt = in.totp_exempt;
  u.unit_id = in.unit_id;
  std::optional<store::UnitRecord> unit;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    unit = TRY(store::FindUnit(conn, in.unit_id));
    return core::Ok();
  }));
  if (!unit) return core::InvalidArgument("所属单位不存在", "unit_id");
  TRY(CheckRoles(who, in.roles, {}, unit->type));
  std::set<std::string> unique_roles(in.roles.begin(), in.roles.end());
  u.roles.assign(unique_roles.begin(), unique_roles.end());
  if (!in.password_hash.empty()) {
    if (who.via != Principal::Via::kCommandLine) {
      return core::PermissionDenied("只有命令行可以提供密码摘要");
    }
    u.password_hash = in.password_hash;
  } else {
    u.password_hash = TRY(crypto::HashPassword(in.password, policy_.hash_params));
  }
  const std::int64_t now = clock_.NowMs();
  u.password_changed_at = now;
  u.created_at = now;
  u.updated_at = now;
  std::optional<store::UserRecord> created;
  TRY(Write([&](store::Conn& conn) -> Status {
    auto id = TRY(store::InsertUser(conn, u));
    created = TRY(store::FindUser(conn, id));
    return AppendAudit(conn, &who, "user.create", "user", std::to_string(id), "ok", meta, {},
                       Created({{"username", json::value(u.username)},
                                {"display_name", json::value(u.display_name)},
                                {"unit_id", u.unit_id},
                                {"phone", json::value(u.phone)},
                                {"roles", ToJson(u.roles)}}));
  }));
  return *created;
}

Result<store::UserRecord> Accounts::UpdateUser(const Principal& who, std::int64_t id,
                                               const UserPatch& patch, const RequestMeta& meta) {
  auto current = TRY(GetUser(who, id));
  const bool edits_profile =
      patch.display_name || patch.enabled || patch.phone || patch.certificate;
  const bool is_cli = who.via == Principal::Via::kCommandLine;
  if (edits_profile && !is_cli && !who.Has("system:user:edit")) {
    return core::PermissionDenied("无权修改用户资料");
  }
  if (patch.password && !is_cli && !who.Has("system:user:resetpwd")) {
    return core::PermissionDenied("无权重置用户密码");
  }
  if (patch.roles) TRY(CheckRoles(who, *patch.roles, current.roles, current.unit_type));
  if (patch.display_name) TRY(RequireText(*patch.display_name, "display_name", "姓名", 50));
  if (patch.phone) TRY(ValidatePhone(*patch.phone));
  if (patch.certificate && *patch.certificate) TRY(ValidateCertificate(**patch.certificate));
  std::string new_hash;
  if (patch.password) {
    TRY(CheckPasswordPolicy(current.username, *patch.password));
    new_hash = TRY(crypto::HashPassword(*patch.password, policy_.hash_params));
  }
  if (patch.enabled && !*patch.enabled && id == who.user_id) {
    return core::FailedPrecondition("不能停用自己的账号", "enabled");
  }
  const std::int64_t now = clock_.NowMs();
  std::optional<store::UserRecord> updated;
  TRY(Write("user " + std::to_string(id), [&](store::Conn& conn) -> Status {
    auto user = TRY(store::FindUser(conn, id));
    if (!user) return core::NotFound("用户不存在");
    if (patch.expected_version && *patch.expected_version != user->version) {
      return core::Aborted("该用户已被他人修改，请刷新后重试");
    }
    json::object changed;
    bool revoke_sessions = false;
    if (patch.display_name && *patch.display_name != user->display_name) {
      changed["display_name"] =
          json::object{{"before", user->display_name}, {"after", *patch.display_name}};
      user->display_name = *patch.display_name;
    }
    if (patch.phone && *patch.phone != user->phone) {
      changed["phone"] = json::object{{"before", user->phone}, {"after", *patch.phone}};
      user->phone = *patch.phone;
    }
    if (patch.enabled && *patch.enabled != user->enabled) {
      changed["enabled"] = json::object{{"before", user->enabled}, {"after", *patch.enabled}};
      user->enabled = *patch.enabled;
      if (!user->enabled) revoke_sessions = true;
    }
    if (patch.certificate) {
      changed["certificate"] =
          json::object{{"before", user->certificate ? json::value(user->certificate->number)
                                                    : json::value(nullptr)},
                       {"after", (*patch.certificate) ? json::value((*patch.certificate)->number)
                                                      : json::value(nullptr)}};
      user->certificate = *patch.certificate;
    }
    if (patch.password) {
      // Never the hash: only that it changed.
      changed["password"] = json::object{{"before", "***"}, {"after", "***(重置)"}};
      user->password_hash = new_hash;
      user->password_changed_at = now;
      revoke_sessions = true;
    }
    if (patch.roles) {
      std::set<std::string> unique_roles(patch.roles->begin(), patch.roles->end());
      std::vector<std::string> roles(unique_roles.begin(), unique_roles.end());
      if (roles != user->roles) {
        changed["roles"] = json::object{{"before", ToJson(user->roles)}, {"after", ToJson(roles)}};
        TRY(store::SetUserRoles(conn, id, roles));
        revoke_sessions = true;
      }
    }
    if (changed.empty()) {
      updated = user;
      return core::Ok();
    }
    user->updated_at = now;
    TRY(store::UpdateUser(conn, *user));
    if (revoke_sessions) TRY(store::RevokeUserSessions(conn, id, now));
    updated = TRY(store::FindUser(conn, id));
    return AppendAudit(conn, &who, "user.update", "user", std::to_string(id), "ok", meta, {},
                       std::move(changed));
  }));
  return *updated;
}

Status Accounts::ResetTotp(std::string_view username, const RequestMeta& meta) {
  const std::int64_t now = clock_.NowMs();
  Principal cli = CommandLine();
  std::string change;
  return Write(change, [&](store::Conn& conn) -> Status {
    auto user = TRY(store::FindUserByName(conn, NormaliseUsername(username)));
    change = "user " + std::to_string(user ? user->id : 0);
    if (!user) return core::NotFound("用户不存在：" + std::string(username));
    user->totp_secret.reset();
    user->totp_pending_secret.reset();
    user->totp_enabled = false;
    user->totp_last_step = 0;
    user->updated_at = now;
    TRY(store::UpdateUser(conn, *user));
    TRY(store::RevokeUserSessions(conn, user->id, now));
    return AppendAudit(conn, &cli, "user.totp.reset", "user", std::to_string(user->id), "ok", meta,
                       {});
  });
}

// ---------------------------------------------------------------- API tokens

Result<std::vector<store::ApiTokenRecord>> Accounts::ListApiTokens(const Principal& who) {
  (void)who;
  std::vector<store::ApiTokenRecord> out;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    out = TRY(store::ListApiTokens(conn));
    return core::Ok();
  }));
  return out;
}

Result<IssuedApiToken> Accounts::IssueApiToken(const Principal& who, const ApiTokenInput& in,
                                               const RequestMeta& meta) {
  TRY(RequireText(in.name, "name", "令牌名称", 100));
  if (in.permissions.empty()) return core::InvalidArgument("请至少选择一项权限", "permissions");
  std::set<std::string> perms;
  for (const auto& p : in.permissions) {
    if (!catalog_.IsPermission(p)) return core::InvalidArgument("权限不存在：" + p, "permissions");
    if (p.starts_with("system:token:") || p == "system:user:grant" || p == "system:scope:all") {
      return core::InvalidArgument("接口令牌不能持有管理类权限：" + p, "permissions");
    }
    perms.insert(p);
  }
  const std::int64_t now = clock_.NowMs();
  if (in.expires_at_ms && *in.expires_at_ms <= now) {
    return core::InvalidArgument("过期时间必须晚于当前时间", "expires_at");
  }
  IssuedApiToken out;
  out.token = "lvy_" + crypto::RandomToken(32);
  out.record.name = in.name;
  out.record.token_hash = HashToken(out.token);
  out.record.permissions.assign(perms.begin(), perms.end());
  if (who.unit_id) out.record.unit_id = who.unit_id;
  if (who.user_id) out.record.created_by = who.user_id;
  out.record.created_at = now;
  out.record.expires_at = in.expires_at_ms;
  TRY(Write([&](store::Conn& conn) -> Status {
    out.record.id = TRY(store::InsertApiToken(conn, out.record));
    return AppendAudit(conn, &who, "token.issue", "api_token", std::to_string(out.record.id), "ok",
                       meta,
                       DetailJson({{"name", json::value(in.name)},
                                   {"permissions", ToJson(out.record.permissions)}}));
  }));
  return out;
}

Status Accounts::RevokeApiToken(const Principal& who, std::int64_t id, const RequestMeta& meta) {
  const std::int64_t now = clock_.NowMs();
  return Write([&](store::Conn& conn) -> Status {
    auto token = TRY(store::FindApiToken(conn, id));
    if (!token) return core::NotFound("接口令牌不存在");
    TRY(store::RevokeApiToken(conn, id, now));
    return AppendAudit(conn, &who, "token.revoke", "api_token", std::to_string(id), "ok", meta, {});
  });
}

// ---------------------------------------------------------------- audit

Result<Page<store::EventRecord>> Accounts::ListAudit(const Principal& who,
                                                     store::EventFilter filter) {
  if (who.via != Principal::Via::kCommandLine && !who.Has("audit:event:list")) {
    return core::PermissionDenied("只有审计管理员可以查看审计日志");
  }
  return ReadPage(db_, std::move(filter), 500, store::ListEvents);
}

}  // namespace lvyuan::domain
