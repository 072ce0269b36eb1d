// Matters on the procedure engine: the definitions the UI renders, opening a
// matter, lists, detail, actions with optimistic concurrency (If-Match), the
// timeline, the caller's to-dos and the signed-in user's notifications. domain::Matters holds
// every rule; this file decodes and encodes.
#include <boost/json.hpp>

#include "core/clock.h"
#include "core/encoding.h"
#include "domain/matters.h"
#include "http/json.h"
#include "http/response_cache.h"
#include "http/route_helpers.h"
#include "http/routes.h"
#include "workflow/engine.h"
#include "workflow/serialize.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;

namespace {

constexpr int kDefaultLimit = 20;

std::string MatterUrl(std::int64_t id) { return "/api/v1/matters/" + std::to_string(id); }
// Appended piece by piece: GCC 12 at -O3 wrongly warns (-Wrestrict) on
// "\"" + std::to_string(…) once inlined.
std::string EtagOf(std::int64_t version) {
  std::string tag(1, '"');
  tag += std::to_string(version);
  tag += '"';
  return tag;
}

json::value OptInt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// When an answer is made: the wall clock, and the end of the "due soon"
// window (domain::DueSoonUntil: at most one working day left).
struct Moment {
  std::int64_t now_ms = 0;
  std::int64_t due_soon_until = 0;
};

Moment MomentOf(const domain::Matters& matters, std::int64_t now_ms) {
  return {now_ms, domain::DueSoonUntil(now_ms, matters.calendar())};
}

// The card of a matter's next deadline: "overdue" | "due_soon" | "ok", null
// without one.
json::value DeadlineStatusAt(const std::optional<std::int64_t>& due, const Moment& at) {
  if (!due) return nullptr;
  if (*due <= at.now_ms) return "overdue";
  return *due <= at.due_soon_until ? "due_soon" : "ok";
}

// The fields of a matter as every view shows them.
json::object MatterSummary(const workflow::Registry& registry, const store::MatterRecord& m,
                           const Moment& at) {
  const workflow::Definition* def = registry.Find(m.kind);
  const workflow::StateDef* state = def ? def->FindState(m.state) : nullptr;
  return json::object{
      {"id", m.id},
      {"kind", m.kind},
      {"kind_label", def ? json::value(def->labels.zh) : json::value(m.kind)},
      {"number", m.number},
      {"title", m.title},
      {"state", m.state},
      {"state_label", state ? json::value(state->labels.zh) : json::value(m.state)},
      {"state_category", state ? json::value(state->category) : json::value("")},
      {"owner_unit_id", m.owner_unit_id},
      {"region_code", m.region_code},
      {"domain", m.domain},
      {"subject_id", OptInt(m.subject_id)},
      {"amount_fen", OptInt(m.amount_fen)},
      {"created_at", core::FormatIsoUtc(m.created_at)},
      {"updated_at", core::FormatIsoUtc(m.updated_at)},
      {"next_deadline_at", OptTime(m.next_deadline_at)},
      {"overdue", m.next_deadline_at.has_value() && *m.next_deadline_at <= at.now_ms},
      {"deadline_status", DeadlineStatusAt(m.next_deadline_at, at)},
      {"version", m.version}};
}

json::value DeadlineJson(const domain::MatterDeadline& d) {
  return json::object{{"name", d.deadline.name},
                      {"labels", {{"zh", d.label_zh}, {"en", d.label_en}}},
                      {"started_at", core::FormatIsoUtc(d.deadline.started_at)},
                      {"due_at", core::FormatIsoUtc(d.deadline.due_at)},
                      {"due_date", core::ChinaDate(d.deadline.due_at - 1)},
                      {"cleared_at", OptTime(d.deadline.cleared_at)},
                      {"status", d.status}};
}

json::object MatterJson(const workflow::Registry& registry, const domain::MatterView& v,
                        const Moment& at) {
  json::object o = MatterSummary(registry, v.matter, at);
  o["owner_unit_name"] = v.owner_unit_name;
  o["created_by"] = v.matter.created_by;
  o["fields"] = v.fields;
  json::array participants;
  for (const auto& p : v.participants) {
    participants.push_back(json::object{{"unit_id", p.unit_id},
                                        {"unit_name", p.unit_name},
                                        {"unit_type", p.unit_type},
                                        {"relation", p.relation},
                                        {"added_at", core::FormatIsoUtc(p.added_at)}});
  }
  o["participants"] = std::move(participants);
  json::array deadlines;
  for (const auto& d : v.deadlines) deadlines.push_back(DeadlineJson(d));
  o["deadlines"] = std::move(deadlines);
  json::array links;
  for (const auto& l : v.links) {
    links.push_back(json::object{{"from_matter_id", l.from_matter_id},
                                 {"to_matter_id", l.to_matter_id},
                                 {"relation", l.relation},
                                 {"created_at", core::FormatIsoUtc(l.created_at)}});
  }
  o["links"] = std::move(links);
  json::array files;
  for (const auto& f : v.files) {
    files.push_back(json::object{{"evidence_id", f.evidence_id},
                                 {"field", f.field},
                                 {"filename", f.filename},
                                 {"sm3", f.sm3},
                                 {"size", f.size},
                                 {"added_at", core::FormatIsoUtc(f.added_at)}});
  }
  o["files"] = std::move(files);
  o["relations"] = Strings(v.relations);
  o["allowed_actions"] = Strings(v.allowed_actions);
  o["acting_notice"] = v.acting_notice;
  return o;
}

// A matter's event as its participants see it: no client address or
// request id (those stay with the audit log). `unit_names` names the actors'
// units (Matters::Timeline).
json::value TimelineEventJson(const store::EventRecord& e, const domain::MatterTimeline& timeline) {
  json::value unit_name = nullptr;
  if (e.actor_unit_id) {
    auto it = timeline.unit_names.find(*e.actor_unit_id);
    if (it != timeline.unit_names.end()) unit_name = json::value(it->second);
  }
  // Each file as the record names it, with the evidence id it opens by.
  json::value files = ParsedOr(e.files, json::array{});
  if (json::array* list = files.if_array()) {
    for (json::value& file : *list) {
      json::object* o = file.if_object();
      if (o == nullptr) continue;
      const json::value* sm3 = o->if_contains("sm3");
      auto it = sm3 && sm3->is_string() ? timeline.file_ids.find(std::string_view(sm3->as_string()))
                                        : timeline.file_ids.end();
      (*o)["evidence_id"] =
          it == timeline.file_ids.end() ? json::value(nullptr) : json::value(it->second);
    }
  }
  return json::object{{"seq", e.seq},
                      {"at", core::FormatIsoUtc(e.at)},
                      {"actor_user_id", OptInt(e.actor_user_id)},
                      {"actor_username", e.actor_username},
                      {"actor_unit_id", OptInt(e.actor_unit_id)},
                      {"actor_unit_name", std::move(unit_name)},
                      {"action", e.action},
                      {"outcome", e.outcome},
                      {"changes", ParsedOr(e.changes, json::object{})},
                      {"files", std::move(files)},
                      {"detail", ParsedOr(e.detail, json::object{})},
                      {"leaf_hash", core::HexEncode(e.leaf_hash)}};
}

json::value NotificationJson(const store::NotificationRecord& n) {
  return json::object{{"id", n.id},
                      {"kind", n.kind},
                      {"matter_id", OptInt(n.matter_id)},
                      {"title", n.title},
                      {"body", n.body},
                      {"created_at", core::FormatIsoUtc(n.created_at)},
                      {"read_at", OptTime(n.read_at)}};
}

// The list cursor: base64url of "<updated_at>.<id>".
std::string EncodeMatterCursor(const store::MatterCursor& c) {
  const std::string text = std::to_string(c.updated_at) + "." + std::to_string(c.id);
  return core::Base64UrlEncode(core::AsBytes(text));
}

Result<std::optional<store::MatterCursor>> DecodeMatterCursor(const Request& r) {
  auto given = r.Query("cursor");
  if (!given || given->empty()) return std::optional<store::MatterCursor>();
  auto bytes = core::Base64UrlDecode(*given);
  if (!bytes.ok()) return core::InvalidArgument("分页游标无效", "cursor");
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return core::InvalidArgument("分页游标无效", "cursor");
  auto updated = ParseDecimal(text.substr(0, dot), 18);
  auto id = ParseDecimal(text.substr(dot + 1), 18);
  if (!updated || !id) return core::InvalidArgument("分页游标无效", "cursor");
  return std::optional<store::MatterCursor>(store::MatterCursor{*updated, *id});
}

// The to-do cursor: base64url of "<next deadline ms or none>.<id>".
std::string EncodeTodoCursor(const store::TodoCursor& c) {
  const std::string key =
      c.due_key == store::kNoDeadlineKey ? std::string("none") : std::to_string(c.due_key);
  const std::string text = key + "." + std::to_string(c.id);
  return core::Base64UrlEncode(core::AsBytes(text));
}

Result<std::optional<store::TodoCursor>> DecodeTodoCursor(const Request& r) {
  auto given = r.Query("cursor");
  if (!given || given->empty()) return std::optional<store::TodoCursor>();
  auto bytes = core::Base64UrlDecode(*given);
  if (!bytes.ok()) return core::InvalidArgument("分页游标无效", "cursor");
  const std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  const std::size_t dot = text.find('.');
  if (dot == std::string_view::npos) return core::InvalidArgument("分页游标无效", "cursor");
  const std::string_view key = text.substr(0, dot);
  auto due =
      key == "none" ? std::optional<std::int64_t>(store::kNoDeadlineKey) : ParseDecimal(key, 18);
  auto id = ParseDecimal(text.substr(dot + 1), 18);
  if (!due || !id) return core::InvalidArgument("分页游标无效", "cursor");
  return std::optional<store::TodoCursor>(store::TodoCursor{*due, *id});
}

// A to-do: the matter's summary, the names of the caller's actions (labels
// and forms come from the definitions) and its next open deadline.
json::object TodoJson(const workflow::Registry& registry, const domain::TodoItem& item,
                      const Moment& at) {
  json::object o = MatterSummary(registry, item.matter, at);
  o["actions"] = Strings(item.actions);
  o["next_deadline"] =
      item.next_deadline ? DeadlineJson(*item.next_deadline) : json::value(nullptr);
  o["deadline_status"] =
      item.next_deadline ? json::value(item.next_deadline->status) : json::value(nullptr);
  return o;
}

// ?name=YYYY-MM-DD as the start of that day in China; `next_day` gives the
// start of the following day (an inclusive upper bound).
Result<std::optional<std::int64_t>> DateQuery(const Request& r, std::string_view name,
                                              bool next_day) {
  auto given = r.Query(name);
  if (!given || given->empty()) return std::optional<std::int64_t>();
  std::int64_t ms = 0;
  if (given->size() != 10 || !core::ParseIsoTime(*given, &ms)) {
    return core::InvalidArgument("日期格式应为 YYYY-MM-DD", std::string(name));
  }
  if (next_day) ms += 24 * 3'600'000;
  return std::optional<std::int64_t>(ms);
}

Result<domain::MatterListFilter> ReadListFilter(const Request& r) {
  domain::MatterListFilter f;
  f.kind = TextQuery(r, "kind");
  for (auto [it, end] = r.query.equal_range("state"); it != end; ++it) {
    std::string_view states = it->second;
    while (!states.empty()) {
      const std::size_t comma = states.find(',');
      const std::string_view one = states.substr(0, comma);
      if (!one.empty()) f.states.emplace_back(one);
      if (comma == std::string_view::npos) break;
      states.remove_prefix(comma + 1);
    }
  }
  if (f.states.size() > 20) return core::InvalidArgument("状态最多 20 个", "state");
  f.region_prefix = TextQuery(r, "region");
  if (f.region_prefix.find_first_not_of("0123456789") != std::string::npos) {
    return core::InvalidArgument("行政区划代码应为数字", "region");
  }
  f.domain = TextQuery(r, "domain");
  f.subject_id = TRY(IntQuery(r, "subject_id"));
  f.owner_unit_id = TRY(IntQuery(r, "owner_unit_id"));
  f.created_from = TRY(DateQuery(r, "created_from", false));
  f.created_to = TRY(DateQuery(r, "created_to", true));
  f.overdue = TRY(BoolQuery(r, "overdue")).value_or(false);
  f.after = TRY(DecodeMatterCursor(r));
  f.limit = TRY(LimitOf(r, kDefaultLimit, 100));
  return f;
}

// If-Match: "<version>" (or the bare number). 428 when absent.
Result<std::int64_t> ExpectedVersion(const Request& r) {
  std::string_view tag = r.Header("If-Match");
  if (tag.empty()) {
    return core::Error{core::ErrorCode::kFailedPrecondition,
                       "请在 If-Match 中带上事项的版本（ETag）", "If-Match"};
  }
  if (tag.starts_with("W/")) tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
    tag = tag.substr(1, tag.size() - 2);
  }
  auto version = ParseDecimal(tag, 18);
  if (!version || *version == 0) {
    return core::InvalidArgument("If-Match 应为事项的版本，如 \"3\"", "If-Match");
  }
  return *version;
}

Result<json::value> FormFields(const json::object& body) {
  JsonFields f(body);
  TRY(f.RejectUnknown({"fields"}));
  const json::value* fields = body.if_contains("fields");
  if (fields == nullptr || fields->is_null()) return json::value(json::object());
  if (!fields->is_object()) return core::InvalidArgument("fields 应为对象", "fields");
  return *fields;
}

// The list cache's key: the scope, then every query parameter (decoded, in
// name order). A value holding a separator can only alias another query of
// the same scope.
std::string ListCacheKey(std::int64_t unit, const Request& r) {
  std::string key = std::to_string(unit);
  for (const auto& [name, value] : r.query) {
    key += '\x1f';
    key += name;
    key += '\x1e';
    key += value;
  }
  return key;
}

}  // namespace

void AddMatterRoutes(Router& router, const Services& services, const ApiOptions& options) {
  domain::Matters* matters = services.matters;
  const std::string read(domain::kMatterReadPermission);
  // "overdue" in answers is judged by the wall clock, as the list filter is.
  auto now = [] { return core::SystemClock().NowMs(); };
  auto cache =
      std::make_shared<ResponseCache>(options.list_cache_entries, options.list_cache_max_age_ms);

  auto detail = [matters, now](const domain::Principal& who, std::int64_t id,
                               unsigned status) -> Result<Response> {
    auto view = TRY(matters->Get(who, id));
    Response resp =
        JsonResponse(status, MatterJson(matters->registry(), view, MomentOf(*matters, now())));
    resp.set(beast_http::field::etag, EtagOf(view.matter.version));
    return resp;
  };

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/workflows",
              .permission = read,
              .handler = Wrap([matters](Request&) -> Result<Response> {
                return JsonResponse(200, workflow::RegistryToJson(matters->registry()));
              })});

  router.Add({.method = Verb::post,
              .pattern = "/api/v1/matters",
              .permission = read,
              .handler = WithJsonBody(
                  [matters, detail](Request& r, const json::object& body) -> Result<Response> {
                    JsonFields f(body);
                    TRY(f.RejectUnknown({"kind", "fields"}));
                    const std::string kind = TRY(f.String("kind", 64));
                    const json::value* fields = body.if_contains("fields");
                    const json::value input = fields ? *fields : json::value(json::object());
                    const std::int64_t id =
                        TRY(matters->Create(*r.principal, kind, input, MetaOf(r)));
                    Response resp = TRY(detail(*r.principal, id, 201));
                    resp.set(beast_http::field::location, MatterUrl(id));
                    return resp;
                  })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/matters",
              .permission = read,
              .handler = Wrap([matters, now, cache](Request& r) -> Result<Response> {
                // Reused while this process has written nothing since and for at
                // most the cache's max age (other processes' writes); the
                // caller's rights and scope are checked first, each time. Only
                // answers to valid queries are kept, so a kept one needs no
                // second check of the query.
                const domain::MatterListScope scope = TRY(matters->ListScope(*r.principal));
                const std::string key = ListCacheKey(scope.unit_id, r);
                // A kept answer due for renewal is made again by this request
                // alone; the others meanwhile still get the kept one.
                const ResponseCache::Kept kept = cache->Lookup(key, scope.version, now());
                if (kept.body && !kept.refresh) {
                  return JsonBodyResponse(200, std::string(*kept.body));
                }
                const domain::MatterListFilter filter = TRY(ReadListFilter(r));
                auto list = TRY(matters->List(*r.principal, filter));
                const std::int64_t at = now();
                const Moment moment = MomentOf(*matters, at);
                json::array items;
                for (const auto& m : list.items) {
                  json::object item = MatterSummary(matters->registry(), m, moment);
                  const auto name = list.owner_unit_names.find(m.owner_unit_id);
                  item["owner_unit_name"] =
                      name == list.owner_unit_names.end() ? std::string() : name->second;
                  items.push_back(std::move(item));
                }
                json::object counts;
                for (const auto& [state, count] : list.counts) counts[state] = count;
                std::string body = json::serialize(json::object{
                    {"items", std::move(items)},
                    {"next_cursor", list.next ? json::value(EncodeMatterCursor(*list.next))
                                              : json::value(nullptr)},
                    {"counts", std::move(counts)},
                    {"counts_capped", list.counts_capped}});
                cache->Put(key, scope.version, at, body);
                return JsonBodyResponse(200, std::move(body));
              })});

  router.Add(
      {.method = Verb::get,
       .pattern = "/api/v1/todos",
       .permission = read,
       .handler = Wrap([matters, now](Request& r) -> Result<Response> {
         domain::TodoQuery query;
         query.after = TRY(DecodeTodoCursor(r));
         query.limit = TRY(LimitOf(r, kDefaultLimit, 100));
         auto list = TRY(matters->Todos(*r.principal, query));
         const Moment moment = MomentOf(*matters, now());
         json::array items;
         for (const auto& item : list.items) {
           items.push_back(TodoJson(matters->registry(), item, moment));
         }
         return JsonResponse(
             200, json::object{{"items", std::move(items)},
                               {"next_cursor", list.next ? json::value(EncodeTodoCursor(*list.next))
                                                         : json::value(nullptr)},
                               {"counts",
                                {{"total", list.counts.total},
                                 {"overdue", list.counts.overdue},
                                 {"due_soon", list.counts.due_soon}}},
                               {"acting_notice", list.acting_notice}});
       })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/matters/{id}",
              .permission = read,
              .handler = Wrap([detail](Request& r) -> Result<Response> {
                const std::int64_t id = TRY(r.PathId("id"));
                return detail(*r.principal, id, 200);
              })});

  router.Add(
      {.method = Verb::post,
       .pattern = "/api/v1/matters/{id}/actions/{action}",
       .permission = read,
       .handler = Wrap([matters, detail](Request& r) -> Result<Response> {
         const std::int64_t id = TRY(r.PathId("id"));
         auto version = ExpectedVersion(r);
         if (!version.ok()) {
           const core::Error& e = version.error();
           return e.code == core::ErrorCode::kFailedPrecondition ? ErrorResponse(428, e)
                                                                 : ErrorResponse(e);
         }
         if (auto bad = CheckJsonContentType(r)) return *bad;
         const json::object body = TRY(ParseJsonObject(r.body()));
         const json::value fields = TRY(FormFields(body));
         TRY(matters->Act(*r.principal, id, r.PathParam("action"), fields, *version, MetaOf(r)));
         return detail(*r.principal, id, 200);
       })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/matters/{id}/timeline",
              .permission = read,
              .writes = true,  // a supervised read: records an event
              .handler = Wrap([matters](Request& r) -> Result<Response> {
                const std::int64_t id = TRY(r.PathId("id"));
                const std::int64_t before = TRY(DecodeCursor(r));
                const int limit = TRY(LimitOf(r, 50, 200));
                const std::string action(r.Query("action").value_or(""));
                auto timeline =
                    TRY(matters->Timeline(*r.principal, id, before, limit, MetaOf(r), action));
                json::array items;
                for (const auto& e : timeline.events) {
                  items.push_back(TimelineEventJson(e, timeline));
                }
                return JsonResponse(
                    200, json::object{
                             {"items", std::move(items)},
                             {"next_cursor", timeline.next_before
                                                 ? json::value(EncodeCursor(*timeline.next_before))
                                                 : json::value(nullptr)}});
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/notifications",
              .handler = Wrap([matters](Request& r) -> Result<Response> {
                const bool unread = TRY(BoolQuery(r, "unread")).value_or(false);
                const std::int64_t before = TRY(DecodeCursor(r));
                const int limit = TRY(LimitOf(r, 20, 200));
                auto items = TRY(matters->ListNotifications(*r.principal, unread, before, limit));
                const std::int64_t unread_count = TRY(matters->UnreadCount(*r.principal));
                json::array out;
                for (const auto& n : items) out.push_back(NotificationJson(n));
                const bool more = items.size() == static_cast<std::size_t>(limit);
                return JsonResponse(
                    200,
                    json::object{{"items", std::move(out)},
                                 {"next_cursor", more ? json::value(EncodeCursor(items.back().id))
                                                      : json::value(nullptr)},
                                 {"unread_count", unread_count}});
              })});

  router.Add({.method = Verb::post,
              .pattern = "/api/v1/notifications/{id}/read",
              .handler = Wrap([matters](Request& r) -> Result<Response> {
                const std::int64_t id = TRY(r.PathId("id"));
                TRY(matters->MarkRead(*r.principal, id));
                return NoContent();
              })});
}

}  // namespace lvyuan::http
