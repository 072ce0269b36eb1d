#include "http/routes.h"

#include <boost/json.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "http/json.h"
#include "http/route_helpers.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;
using core::Status;

namespace {

json::value UnitJson(const domain::Accounts& accounts, const store::UnitRecord& u) {
  const core::Region* region = accounts.regions().Find(u.region_code);
  return json::object{
      {"id", u.id},
      {"name", u.name},
      {"type", u.type},
      {"region_code", u.region_code},
      {"region_name", region ? accounts.regions().FullName(u.region_code) : std::string()},
      {"parent_id", u.parent_id ? json::value(*u.parent_id) : json::value(nullptr)},
      {"parent_name", u.parent_id ? json::value(u.parent_name) : json::value(nullptr)},
      {"contact_person", u.contact_person},
      {"contact_phone", u.contact_phone},
      {"enabled", u.enabled},
      {"created_at", core::FormatIsoUtc(u.created_at)},
      {"updated_at", core::FormatIsoUtc(u.updated_at)},
      {"version", u.version}};
}

json::value CertificateJson(const std::optional<store::Certificate>& c) {
  if (!c) return nullptr;
  return json::object{{"number", c->number},
                      {"issuer", c->issuer},
                      {"valid_from", c->valid_from},
                      {"valid_to", c->valid_to}};
}

json::value UserJson(const domain::Accounts& accounts, const store::UserRecord& u) {
  const std::string today = core::ChinaDate(accounts.clock().NowMs());
  return json::object{{"id", u.id},
                      {"username", u.username},
                      {"display_name", u.display_name},
                      {"unit_id", u.unit_id},
                      {"unit_name", u.unit_name},
                      {"unit_type", u.unit_type},
                      {"roles", Strings(u.roles)},
                      {"enabled", u.enabled},
                      {"phone", u.phone},
                      {"totp_enabled", u.totp_enabled},
                      {"totp_required", accounts.TotpRequired(u.roles)},
                      {"locked", u.locked_until > accounts.clock().NowMs()},
                      {"last_login_at", OptTime(u.last_login_at)},
                      {"certificate", CertificateJson(u.certificate)},
                      {"certificate_valid", domain::CertificateValid(u.certificate, today)},
                      {"created_at", core::FormatIsoUtc(u.created_at)},
                      {"updated_at", core::FormatIsoUtc(u.updated_at)},
                      {"version", u.version}};
}

json::value MeJson(const domain::Accounts& accounts, const domain::Principal& p,
                   const std::optional<store::UserRecord>& user) {
  json::array perms;
  for (const auto& code : p.permissions) perms.emplace_back(code);
  json::object unit{
      {"id", p.unit_id}, {"name", user ? user->unit_name : ""}, {"type", p.unit_type}};
  return json::object{
      {"id", p.user_id},
      {"username", p.username},
      {"display_name", p.display_name},
      {"unit", std::move(unit)},
      {"roles", Strings(p.roles)},
      {"permissions", std::move(perms)},
      {"totp_enabled", user ? user->totp_enabled : false},
      {"totp_required", accounts.TotpRequired(p.roles)},
      {"must_enrol_totp", p.must_enrol_totp},
      {"certificate", user ? CertificateJson(user->certificate) : json::value(nullptr)},
      {"certificate_valid",
       user ? domain::CertificateValid(user->certificate, core::ChinaDate(accounts.clock().NowMs()))
            : false},
      {"session_expires_at",
       p.expires_at_ms ? json::value(core::FormatIsoUtc(p.expires_at_ms)) : json::value(nullptr)},
      {"csrf_token", p.csrf_token}};
}

json::value TokenJson(const store::ApiTokenRecord& t) {
  return json::object{{"id", t.id},
                      {"name", t.name},
                      {"permissions", Strings(t.permissions)},
                      {"created_at", core::FormatIsoUtc(t.created_at)},
                      {"expires_at", OptTime(t.expires_at)},
                      {"revoked_at", OptTime(t.revoked_at)},
                      {"last_used_at", OptTime(t.last_used_at)}};
}

Result<std::optional<store::Certificate>> ReadCertificate(const JsonFields& f) {
  const json::object* obj = TRY(f.OptObject("certificate"));
  if (!obj) return std::optional<store::Certificate>();
  JsonFields c(*obj, f.Prefixed("certificate"));
  TRY(c.RejectUnknown({"number", "issuer", "valid_from", "valid_to"}));
  store::Certificate cert;
  cert.number = TRY(c.String("number", 64));
  cert.issuer = TRY(c.String("issuer", 100));
  cert.valid_from = TRY(c.String("valid_from", 10));
  cert.valid_to = TRY(c.String("valid_to", 10));
  return std::optional<store::Certificate>(std::move(cert));
}

std::string SessionCookie(std::string_view token, std::int64_t max_age_s) {
  // __Host- cookies must be Secure, have Path=/ and no Domain. Browsers treat
  // http://127.0.0.1 and http://localhost as secure contexts, so this works
  // for a local deployment too; anything else must be served over TLS.
  return std::string(kSessionCookie) + "=" + std::string(token) +
         "; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
}

}  // namespace

void RegisterRoutes(Router& router, const Services& services, const ApiOptions& options) {
  domain::Accounts& accounts = services.accounts;
  if (services.record) AddRecordRoutes(router, services);
  if (services.evidence) AddEvidenceRoutes(router, services);
  if (services.calendar) AddCalendarRoutes(router, services);
  if (services.notifier) AddStreamRoutes(router, services);
  if (services.matters) AddMatterRoutes(router, services, options);
  if (services.subjects || services.directory) AddSubjectRoutes(router, services);
  const RateLimiterOptions login_rate{
      .capacity = static_cast<double>(options.login_rate_per_minute),
      .refill_per_second = options.login_rate_per_minute / 60.0,
      .max_keys = 10000};
  std::function<bool(std::string_view)> allow_login;
  if (options.rate_limit_store != nullptr) {
    auto shared = std::make_shared<SharedRateLimiter>(login_rate, *options.rate_limit_store,
                                                      accounts.clock());
    allow_login = [shared](std::string_view key) { return shared->Allow(key); };
  } else {
    auto local = std::make_shared<RateLimiter>(login_rate);
    allow_login = [local](std::string_view key) { return local->Allow(key); };
  }
  domain::Accounts* a = &accounts;

  // ---- sign-in
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/auth/login",
       .auth = Auth::kPublic,
       .handler = WithJsonBody([a, allow_login](Request& r,
                                                const json::object& body) -> Result<Response> {
         if (!allow_login(r.client_ip)) {
           auto resp = ErrorResponse(core::ResourceExhausted("登录尝试过于频繁，请稍后再试"));
           resp.set(beast_http::field::retry_after, "60");
           return resp;
         }
         JsonFields f(body);
         TRY(f.RejectUnknown({"username", "password", "totp"}));
         domain::LoginInput in;
         in.username = TRY(f.String("username", 64));
         in.password = TRY(f.String("password", 256));
         in.totp = TRY(f.OptString("totp", 16)).value_or("");
         auto out = TRY(a->Login(in, MetaOf(r)));
         auto user = a->Me(out.principal);
         auto resp = JsonResponse(
             200, json::object{{"csrf_token", out.principal.csrf_token},
                               {"user", MeJson(*a, out.principal,
                                               user.ok() ? std::optional(*user) : std::nullopt)}});
         resp.set(beast_http::field::set_cookie,
                  SessionCookie(out.session_token, a->policy().absolute_timeout_ms / 1000));
         return resp;
       })});
  router.Add({.method = Verb::post,
              .pattern = "/api/v1/auth/logout",
              .allow_pending_totp = true,
              .handler = Wrap([a](Request& r) -> Result<Response> {
                TRY(a->Logout(*r.principal, MetaOf(r)));
                auto resp = NoContent();
                resp.set(beast_http::field::set_cookie, SessionCookie("", 0));
                return resp;
              })});

  // ---- the signed-in user
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/me",
              .allow_pending_totp = true,
              .handler = Wrap([a](Request& r) -> Result<Response> {
                std::optional<store::UserRecord> user;
                if (r.principal->user_id) user = TRY(a->Me(*r.principal));
                return JsonResponse(200, MeJson(*a, *r.principal, user));
              })});
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/me/password",
       .allow_pending_totp = true,
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         JsonFields f(body);
         TRY(f.RejectUnknown({"current_password", "new_password"}));
         auto current = TRY(f.String("current_password", 256));
         auto replacement = TRY(f.String("new_password", 256));
         TRY(a->ChangeOwnPassword(*r.principal, current, replacement, MetaOf(r)));
         return NoContent();
       })});
  router.Add({.method = Verb::post,
              .pattern = "/api/v1/me/totp/setup",
              .allow_pending_totp = true,
              .handler = Wrap([a](Request& r) -> Result<Response> {
                auto setup = TRY(a->BeginTotpEnrolment(*r.principal, MetaOf(r)));
                return JsonResponse(200, json::object{{"secret", setup.secret_base32},
                                                      {"otpauth_uri", setup.otpauth_uri}});
              })});
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/me/totp/confirm",
       .allow_pending_totp = true,
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         JsonFields f(body);
         TRY(f.RejectUnknown({"code"}));
         auto code = TRY(f.String("code", 10));
         TRY(a->ConfirmTotpEnrolment(*r.principal, code, MetaOf(r)));
         return NoContent();
       })});

  // ---- catalogues
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/dicts/{name}",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                const auto* dict = a->catalog().Dict(r.PathParam("name"));
                if (!dict) return core::NotFound("字典不存在");
                json::array items;
                for (const auto& d : *dict) {
                  items.push_back(json::object{
                      {"value", d.value}, {"label_zh", d.label_zh}, {"label_en", d.label_en}});
                }
                return JsonResponse(200, json::object{{"items", std::move(items)}});
              })});
  router.Add(
      {.method = Verb::get,
       .pattern = "/api/v1/roles",
       .handler = Wrap([a](Request& r) -> Result<Response> {
         json::array items;
         for (const auto& role : a->catalog().roles()) {
           domain::Role any_unit = role;
           any_unit.unit_types.clear();
           items.push_back(json::object{{"code", role.code},
                                        {"name_zh", role.name_zh},
                                        {"name_en", role.name_en},
                                        {"permissions", Strings(role.permissions)},
                                        {"unit_types", Strings(role.unit_types)},
                                        {"requires_totp", role.requires_totp},
                                        {"exclusive", role.exclusive},
                                        {"assignable", a->CanGrant(*r.principal, any_unit, "")}});
         }
         json::array perms;
         for (const auto& p : a->catalog().permissions()) {
           perms.push_back(
               json::object{{"code", p.code}, {"name_zh", p.name_zh}, {"name_en", p.name_en}});
         }
         return JsonResponse(
             200, json::object{{"items", std::move(items)}, {"permissions", std::move(perms)}});
       })});
  router.Add(
      {.method = Verb::get,
       .pattern = "/api/v1/regions",
       .handler = Wrap([a](Request& r) -> Result<Response> {
         std::string parent = TextQuery(r, "parent");
         if (!parent.empty() && !a->regions().Find(parent)) {
           return core::NotFound("行政区划代码不存在");
         }
         json::array items;
         for (const core::Region* reg : a->regions().Children(parent)) {
           bool leaf = reg->level == core::RegionLevel::kCounty ||
                       reg->level == core::RegionLevel::kTownship ||
                       a->regions().Children(reg->code).empty();
           items.push_back(json::object{{"code", reg->code}, {"name", reg->name}, {"leaf", leaf}});
         }
         auto resp = JsonResponse(200, json::object{{"items", std::move(items)}});
         resp.set(beast_http::field::cache_control, "private, max-age=3600");
         return resp;
       })});
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/regions/{code}",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                std::string code(r.PathParam("code"));
                const core::Region* reg = a->regions().Find(code);
                if (!reg) return core::NotFound("行政区划代码不存在");
                json::array path;
                for (const core::Region* p : a->regions().Path(code)) {
                  path.push_back(json::object{{"code", p->code}, {"name", p->name}});
                }
                return JsonResponse(200, json::object{{"code", reg->code},
                                                      {"name", reg->name},
                                                      {"full_name", a->regions().FullName(code)},
                                                      {"path", std::move(path)}});
              })});

  // ---- units
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/units",
              .permission = "system:unit:list",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                store::UnitFilter f;
                f.name_contains = TextQuery(r, "q");
                f.type = TextQuery(r, "type");
                f.region_prefix = TextQuery(r, "region");
                // "330500" filters the whole city: drop trailing zero pairs.
                while (f.region_prefix.size() > 2 && f.region_prefix.size() <= 6 &&
                       f.region_prefix.ends_with("00")) {
                  f.region_prefix.resize(f.region_prefix.size() - 2);
                }
                f.enabled = TRY(BoolQuery(r, "enabled"));
                f.after_id = TRY(DecodeCursor(r));
                f.limit = TRY(LimitOf(r, 20));
                auto page = TRY(a->ListUnits(*r.principal, f));
                return JsonResponse(
                    200, PageJson<store::UnitRecord>(
                             page, [a](const store::UnitRecord& u) { return UnitJson(*a, u); }));
              })});
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/units",
       .permission = "system:unit:add",
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         JsonFields f(body);
         TRY(f.RejectUnknown(
             {"name", "type", "region_code", "parent_id", "contact_person", "contact_phone"}));
         domain::UnitInput in;
         in.name = TRY(f.String("name", 100));
         in.type = TRY(f.String("type", 40));
         in.region_code = TRY(f.String("region_code", 12));
         in.parent_id = TRY(f.OptInt("parent_id"));
         in.contact_person = TRY(f.OptString("contact_person", 50)).value_or("");
         in.contact_phone = TRY(f.OptString("contact_phone", 20)).value_or("");
         auto unit = TRY(a->CreateUnit(*r.principal, in, MetaOf(r)));
         auto resp = JsonResponse(201, UnitJson(*a, unit));
         resp.set(beast_http::field::location, "/api/v1/units/" + std::to_string(unit.id));
         return resp;
       })});
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/units/{id}",
              .permission = "system:unit:list",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                auto id = TRY(r.PathId("id"));
                auto unit = TRY(a->GetUnit(*r.principal, id));
                return JsonResponse(200, UnitJson(*a, unit));
              })});
  router.Add(
      {.method = Verb::patch,
       .pattern = "/api/v1/units/{id}",
       .permission = "system:unit:edit",
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         auto id = TRY(r.PathId("id"));
         JsonFields f(body);
         TRY(f.RejectUnknown({"name", "type", "region_code", "parent_id", "contact_person",
                              "contact_phone", "enabled", "version"}));
         domain::UnitPatch p;
         p.name = TRY(f.OptString("name", 100));
         p.type = TRY(f.OptString("type", 40));
         p.region_code = TRY(f.OptString("region_code", 12));
         if (f.IsNull("parent_id")) {
           p.parent_id = std::optional<std::int64_t>();
         } else if (auto parent = TRY(f.OptInt("parent_id"))) {
           p.parent_id = parent;
         }
         p.contact_person = TRY(f.OptString("contact_person", 50));
         p.contact_phone = TRY(f.OptString("contact_phone", 20));
         p.enabled = TRY(f.OptBool("enabled"));
         p.expected_version = TRY(f.OptInt("version"));
         auto unit = TRY(a->UpdateUnit(*r.principal, id, p, MetaOf(r)));
         return JsonResponse(200, UnitJson(*a, unit));
       })});

  // ---- users
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/users",
              .permission = "system:user:list",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                store::UserFilter f;
                f.text_contains = TextQuery(r, "q");
                f.unit_id = TRY(IntQuery(r, "unit_id"));
                f.role = TextQuery(r, "role");
                f.enabled = TRY(BoolQuery(r, "enabled"));
                f.after_id = TRY(DecodeCursor(r));
                f.limit = TRY(LimitOf(r, 20));
                auto page = TRY(a->ListUsers(*r.principal, f));
                return JsonResponse(
                    200, PageJson<store::UserRecord>(
                             page, [a](const store::UserRecord& u) { return UserJson(*a, u); }));
              })});
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/users",
       .permission = "system:user:add",
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         JsonFields f(body);
         TRY(f.RejectUnknown(
             {"username", "display_name", "unit_id", "roles", "password", "phone", "certificate"}));
         domain::UserInput in;
         in.username = TRY(f.String("username", 32));
         in.display_name = TRY(f.String("display_name", 50));
         in.unit_id = TRY(f.Int("unit_id"));
         in.roles = TRY(f.OptStringArray("roles", 20, 40)).value_or(std::vector<std::string>{});
         in.password = TRY(f.String("password", 256));
         in.phone = TRY(f.OptString("phone", 20)).value_or("");
         in.certificate = TRY(ReadCertificate(f));
         auto user = TRY(a->CreateUser(*r.principal, in, MetaOf(r)));
         auto resp = JsonResponse(201, UserJson(*a, user));
         resp.set(beast_http::field::location, "/api/v1/users/" + std::to_string(user.id));
         return resp;
       })});
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/users/{id}",
              .permission = "system:user:list",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                auto id = TRY(r.PathId("id"));
                auto user = TRY(a->GetUser(*r.principal, id));
                return JsonResponse(200, UserJson(*a, user));
              })});
  router.Add(
      {.method = Verb::patch,
       .pattern = "/api/v1/users/{id}",
       .permission = "system:user:list",
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         auto id = TRY(r.PathId("id"));
         JsonFields f(body);
         TRY(f.RejectUnknown(
             {"display_name", "roles", "enabled", "phone", "certificate", "password", "version"}));
         domain::UserPatch p;
         p.display_name = TRY(f.OptString("display_name", 50));
         p.roles = TRY(f.OptStringArray("roles", 20, 40));
         p.enabled = TRY(f.OptBool("enabled"));
         p.phone = TRY(f.OptString("phone", 20));
         if (f.IsNull("certificate")) {
           p.certificate = std::optional<store::Certificate>();
         } else if (auto cert = TRY(ReadCertificate(f))) {
           p.certificate = cert;
         }
         p.password = TRY(f.OptString("password", 256));
         p.expected_version = TRY(f.OptInt("version"));
         auto user = TRY(a->UpdateUser(*r.principal, id, p, MetaOf(r)));
         return JsonResponse(200, UserJson(*a, user));
       })});

  // ---- API tokens
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/tokens",
              .permission = "system:token:list",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                auto tokens = TRY(a->ListApiTokens(*r.principal));
                json::array items;
                for (const auto& t : tokens) items.push_back(TokenJson(t));
                return JsonResponse(
                    200, json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
              })});
  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/tokens",
       .permission = "system:token:add",
       .handler = WithJsonBody([a](Request& r, const json::object& body) -> Result<Response> {
         JsonFields f(body);
         TRY(f.RejectUnknown({"name", "permissions", "expires_at"}));
         domain::ApiTokenInput in;
         in.name = TRY(f.String("name", 100));
         in.permissions =
             TRY(f.OptStringArray("permissions", 50, 60)).value_or(std::vector<std::string>{});
         if (auto exp = TRY(f.OptString("expires_at", 40))) {
           std::int64_t ms = 0;
           if (!core::ParseIsoTime(*exp, &ms)) {
             return core::InvalidArgument(
                 "时间格式应为 ISO 8601（如 2027-01-01 或 2027-01-01T00:00:00Z）", "expires_at");
           }
           in.expires_at_ms = ms;
         }
         auto issued = TRY(a->IssueApiToken(*r.principal, in, MetaOf(r)));
         json::value v = TokenJson(issued.record);
         v.as_object()["token"] = issued.token;
         return JsonResponse(201, v);
       })});
  router.Add({.method = Verb::delete_,
              .pattern = "/api/v1/tokens/{id}",
              .permission = "system:token:revoke",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                auto id = TRY(r.PathId("id"));
                TRY(a->RevokeApiToken(*r.principal, id, MetaOf(r)));
                return NoContent();
              })});

  // ---- audit
  router.Add({.method = Verb::get,
              .pattern = "/api/v1/audit/events",
              .permission = "audit:event:list",
              .handler = Wrap([a](Request& r) -> Result<Response> {
                store::EventFilter f;
                f.action_prefix = TextQuery(r, "action");
                f.actor_username = TextQuery(r, "actor");
                f.outcome = TextQuery(r, "outcome");
                if (!f.outcome.empty() && f.outcome != "ok" && f.outcome != "denied" &&
                    f.outcome != "failed") {
                  return core::InvalidArgument("结果应为 ok、denied 或 failed", "outcome");
                }
                for (const char* name : {"from", "to"}) {
                  std::string v = TextQuery(r, name);
                  if (v.empty()) continue;
                  std::int64_t ms = 0;
                  if (!core::ParseIsoTime(v, &ms)) {
                    return core::InvalidArgument("时间格式应为 YYYY-MM-DD 或 ISO 8601", name);
                  }
                  if (std::string_view(name) == "from") {
                    f.from_ms = ms;
                  } else {
                    f.to_ms = v.size() == 10 ? ms + 86'400'000 : ms;
                  }
                }
                f.before_seq = TRY(DecodeCursor(r));
                f.object_type = TextQuery(r, "object_type");
                f.object_id = TextQuery(r, "object_id");
                f.request_id = TextQuery(r, "request_id");
                f.actor_unit_id = TRY(IntQuery(r, "unit_id"));
                f.limit = TRY(LimitOf(r, 50, 500));
                auto page = TRY(a->ListAudit(*r.principal, f));
                return JsonResponse(200, PageJson<store::EventRecord>(page, EventJson));
              })});
}

Hooks MakeHooks(domain::Accounts& accounts, store::Database& db) {
  Hooks hooks;
  domain::Accounts* a = &accounts;
  store::Database* d = &db;
  hooks.authenticate = [a](std::string_view session, std::string_view bearer,
                           const Request&) -> Result<std::shared_ptr<const domain::Principal>> {
    if (!bearer.empty()) {
      return std::make_shared<const domain::Principal>(TRY(a->AuthenticateApiToken(bearer)));
    }
    return a->AuthenticateSessionShared(session);
  };
  hooks.check_csrf = [a](const domain::Principal& p, std::string_view header) {
    return a->CheckCsrf(p, header);
  };
  hooks.on_denied = [a](const Request& r, const domain::Principal* p, std::string_view reason) {
    std::string action = std::string(beast_http::to_string(r.method())) + " " + r.route_pattern;
    a->RecordDenied(p, action, reason, MetaOf(r));
  };
  hooks.ready = [d] { return d->Ping().ok(); };
  return hooks;
}

}  // namespace lvyuan::http
