#include "domain/matters.h"

#include <algorithm>
#include <set>
#include <utility>

#include "core/strings.h"
#include "core/validators.h"
#include "domain/record_actor.h"
#include "store/accounts.h"
#include "store/evidence.h"
#include "workflow/engine.h"

namespace lvyuan::domain {
namespace json = boost::json;
using workflow::Definition;
using workflow::FieldType;
using workflow::Plan;

namespace {

constexpr std::string_view kNotFound = "事项不存在";
constexpr std::string_view kStale = "事项已被他人修改，请刷新后重试";
constexpr std::size_t kTitleChars = 60;
constexpr int kMaxListLimit = 100;
// Opening a matter may open others (effects); definitions cannot loop
// through create forms, but a bound keeps a mistake from recursing forever.
constexpr int kMaxOpenDepth = 4;
constexpr int kUserPage = 200;
constexpr std::int64_t kDayMs = 24 * 3'600'000;

// The first `max_chars` code points of UTF-8 text.
std::string Utf8Prefix(std::string_view text, std::size_t max_chars) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) {
      if (chars == max_chars) return std::string(text.substr(0, i)) + "…";
      ++chars;
    }
  }
  return std::string(text);
}

std::string StringField(const json::object& fields, std::string_view name) {
  if (const json::value* v = fields.if_contains(name); v && v->is_string()) {
    return std::string(v->as_string());
  }
  return {};
}

// The record refuses floating-point numbers (canonical.h): a geo point's
// degrees are kept there as their shortest decimal text.
json::value ForRecord(const json::value& v) {
  if (v.is_double()) return json::value(json::serialize(v));
  if (const json::object* o = v.if_object()) {
    json::object out;
    for (const auto& [key, item] : *o) out[key] = ForRecord(item);
    return out;
  }
  if (const json::array* a = v.if_array()) {
    json::array out;
    for (const json::value& item : *a) out.push_back(ForRecord(item));
    return out;
  }
  return v;
}

// The columns lists and permissions use, taken from the kind's fields.
void FillCommon(const Definition& def, const json::object& fields, store::MatterRecord& m) {
  m.title = StringField(fields, "title");
  if (m.title.empty()) {
    for (std::string_view name : {"description", "summary"}) {
      m.title = Utf8Prefix(StringField(fields, name), kTitleChars);
      if (!m.title.empty()) break;
    }
  }
  if (m.title.empty()) m.title = def.labels.zh;
  m.region_code.clear();
  m.subject_id.reset();
  m.amount_fen.reset();
  m.domain = StringField(fields, "domain");
  for (const workflow::FieldDef& field : def.fields) {
    const json::value* v = fields.if_contains(field.name);
    if (v == nullptr) continue;
    if (field.type == FieldType::kRegion && m.region_code.empty() && v->is_string()) {
      m.region_code = std::string(v->as_string());
    } else if (field.type == FieldType::kSubject && !m.subject_id && v->is_object()) {
      if (const json::value* id = v->as_object().if_contains("subject_id"); id && id->is_int64()) {
        m.subject_id = id->as_int64();
      }
    } else if (field.type == FieldType::kMoney && !m.amount_fen && v->is_int64()) {
      m.amount_fen = v->as_int64();
    }
  }
}

Result<json::object> ParseFields(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return core::DataLoss("事项字段不是 JSON 对象");
  return std::move(v.as_object());
}

std::vector<workflow::Relation> ParseRelations(const std::vector<std::string>& names) {
  std::vector<workflow::Relation> out;
  for (const std::string& name : names) {
    if (auto r = workflow::ParseRelation(name)) out.push_back(*r);
  }
  return out;
}

}  // namespace

std::string NotificationPayload(const store::NotificationRecord& n) {
  return json::serialize(
      json::object{{"user_id", n.user_id},
                   {"id", n.id},
                   {"kind", n.kind},
                   {"title", Utf8Prefix(n.title, 200)},
                   {"matter_id", n.matter_id ? json::value(*n.matter_id) : json::value(nullptr)}});
}

std::optional<NotificationMessage> ParseNotificationPayload(std::string_view payload) {
  boost::system::error_code ec;
  json::value v = json::parse(payload, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.as_object();
  const json::value* user = o.if_contains("user_id");
  const json::value* id = o.if_contains("id");
  const json::value* kind = o.if_contains("kind");
  const json::value* title = o.if_contains("title");
  const json::value* matter = o.if_contains("matter_id");
  if (!user || !user->is_int64() || !id || !id->is_int64() || !kind || !kind->is_string() ||
      !title || !title->is_string() || !matter || !(matter->is_int64() || matter->is_null())) {
    return std::nullopt;
  }
  NotificationMessage message;
  message.user_id = user->as_int64();
  message.id = id->as_int64();
  message.kind = std::string(kind->as_string());
  message.title = std::string(title->as_string());
  if (matter->is_int64()) message.matter_id = matter->as_int64();
  return message;
}

Status NotifyUsersOfUnits(store::Conn& conn, store::Outbox* outbox,
                          const std::set<std::int64_t>& unit_ids, const RoleSet& readers,
                          const std::vector<std::string>& roles,
                          const store::NotificationRecord& notification,
                          std::set<std::int64_t>& told) {
  for (std::int64_t unit : unit_ids) {
    store::UserFilter filter;
    filter.unit_id = unit;
    filter.enabled = true;
    filter.limit = kUserPage;
    for (;;) {
      auto users = TRY(store::ListUsers(conn, filter));
      for (const store::UserRecord& user : users) {
        if (told.contains(user.id)) continue;
        const bool reads =
            std::any_of(user.roles.begin(), user.roles.end(),
                        [&](const std::string& role) { return readers.contains(role); });
        if (!reads) continue;
        const bool has_role =
            roles.empty() || std::any_of(user.roles.begin(), user.roles.end(), [&](auto& role) {
              return std::find(roles.begin(), roles.end(), role) != roles.end();
            });
        if (!has_role) continue;
        store::NotificationRecord record = notification;
        record.user_id = user.id;
        record.id = TRY(store::InsertNotification(conn, record));
        if (outbox != nullptr) {
          TRY(outbox->Publish(kNotificationsChannel, NotificationPayload(record)));
        }
        told.insert(user.id);
      }
      if (users.size() < static_cast<std::size_t>(kUserPage)) break;
      filter.after_id = users.back().id;
    }
  }
  return core::Ok();
}

std::string DeadlineStatusOf(const store::DeadlineRecord& record,
                             const workflow::DeadlineDef* deadline, std::int64_t now,
                             const core::WorkCalendar& calendar) {
  if (record.cleared_at) return "cleared";
  auto status = workflow::ClassifyDeadline(record.due_at, now, calendar);
  if (status == workflow::DeadlineStatus::kOverdue && deadline && !deadline->mark_overdue) {
    status = workflow::DeadlineStatus::kDueSoon;
  }
  return std::string(workflow::DeadlineStatusName(status));
}

std::int64_t DueSoonUntil(std::int64_t now, const core::WorkCalendar& calendar) {
  // Due soon is decided by the China date of the last day, so probing every
  // midnight after today finds the boundary; the longest run of rest days
  // (Spring Festival, with its weekends) is far shorter than the bound.
  std::int64_t today = 0;
  core::ParseIsoTime(core::ChinaDate(now), &today);
  std::int64_t until = now;
  for (int day = 1; day <= 62; ++day) {
    const std::int64_t midnight = today + day * kDayMs;
    if (workflow::ClassifyDeadline(midnight, now, calendar) != workflow::DeadlineStatus::kDueSoon) {
      break;
    }
    until = midnight;
  }
  return until;
}

struct Matters::Acting {
  const Principal* who = nullptr;
  store::UnitRecord unit;
  workflow::Actor actor;  // with the roles it acts with (ActingRoles)
  std::string notice;     // why some of who->roles do not act
};

Matters::Matters(store::Database& db, record::Log& log, const workflow::Registry& registry,
                 const core::WorkCalendar& calendar, const core::RegionCatalogue& regions,
                 const crypto::FieldCipher& cipher, const Catalog& catalog,
                 const core::Clock& clock)
    : db_(db),
      log_(log),
      registry_(registry),
      calendar_(calendar),
      regions_(regions),
      cipher_(cipher),
      clock_(clock),
      readers_(catalog.RolesGranting(kMatterReadPermission)),
      certificate_roles_(catalog.CertificateRoles()),
      non_member_types_(catalog.NonMemberUnitTypes()) {}

Status Matters::CheckReader(const Principal& who) const {
  if (who.via == Principal::Via::kCommandLine || who.Has(kMatterReadPermission)) {
    return core::Ok();
  }
  return core::PermissionDenied("没有查看、办理事项的权限");
}

bool Matters::SeesAll(const Principal& who) const {
  return who.via == Principal::Via::kCommandLine || who.Has(kMatterScopeAllPermission);
}

Result<std::vector<std::string>> Matters::ActingRoles(store::Conn& conn, const Principal& who,
                                                      std::int64_t now, std::string& notice) const {
  std::vector<std::string> roles;
  bool checked = false;
  bool valid = false;
  for (const std::string& code : who.roles) {
    if (!certificate_roles_.contains(code)) {
      roles.push_back(code);
      continue;
    }
    if (!checked) {
      checked = true;
      std::optional<store::UserRecord> loaded;
      const store::UserRecord* user = who.user.get();
      if (user == nullptr && who.user_id != 0) {
        loaded = TRY(store::FindUser(conn, who.user_id));
        if (loaded) user = &*loaded;
      }
      const store::Certificate* c =
          user != nullptr && user->certificate ? &*user->certificate : nullptr;
      const std::string today = core::ChinaDate(now);
      if (c == nullptr) {
        notice = "未登记执法证，不能以执法人员身份办理事项；请本单位管理员登记执法证";
      } else if (today < c->valid_from) {
        notice = "执法证（" + c->number + "）自 " + c->valid_from +
                 " 起生效，此前不能以执法人员身份办理事项";
      } else if (today > c->valid_to) {
        notice = "执法证（" + c->number + "）已于 " + c->valid_to +
                 " 到期，不能以执法人员身份办理事项；请本单位管理员更新执法证";
      } else {
        valid = true;
      }
    }
    if (valid) roles.push_back(code);
  }
  return roles;
}

Status Matters::CheckLapsed(const Acting& acting, const workflow::ActionDef& action) const {
  if (acting.notice.empty() || workflow::MayAct(action, acting.actor)) return core::Ok();
  workflow::Actor full = acting.actor;
  full.roles = acting.who->roles;
  if (workflow::MayAct(action, full)) return core::PermissionDenied(acting.notice);
  return core::Ok();
}

Result<Matters::Acting> Matters::ActingOf(store::Conn& conn, const Principal& who,
                                          std::int64_t now) const {
  TRY(CheckReader(who));
  if (who.user_id == 0 || who.unit_id == 0) {
    return core::PermissionDenied("事项须由成员单位的用户办理");
  }
  auto unit = TRY(store::FindUnit(conn, who.unit_id));
  if (!unit || !unit->enabled) return core::PermissionDenied("所在单位不存在或已停用");
  Acting acting;
  acting.who = &who;
  acting.actor.roles = TRY(ActingRoles(conn, who, now, acting.notice));
  acting.actor.unit_type = unit->type;
  acting.actor.unit_id = unit->id;
  acting.unit = std::move(*unit);
  return acting;
}

Result<std::optional<store::MatterRecord>> Matters::VisibleMatter(store::Conn& conn,
                                                                  const Principal& who,
                                                                  std::int64_t id) const {
  auto matter = TRY(store::FindMatter(conn, id));
  if (!matter || SeesAll(who)) return matter;
  if (who.unit_id == 0) return std::optional<store::MatterRecord>();
  const bool visible = TRY(store::IsVisibleTo(conn, id, who.unit_id));
  if (!visible) return std::optional<store::MatterRecord>();
  return matter;
}

// ------------------------------------------------------------------ subjects

Status Matters::ResolveSubjects(store::Conn& conn, const Definition& def, Plan& plan,
                                std::int64_t now) const {
  for (const workflow::FieldDef& field : def.fields) {
    if (field.type != FieldType::kSubject) continue;
    json::value* v = plan.fields.if_contains(field.name);
    if (v == nullptr || !v->is_object() || v->as_object().contains("subject_id")) continue;
    const json::object& given = v->as_object();
    const std::string kind = StringField(given, "kind");
    const std::string name = StringField(given, "name");
    json::object stored;
    stored["kind"] = kind;
    if (kind == "company") {
      const std::string code = StringField(given, "credit_code");
      const std::int64_t id = TRY(store::FindOrInsertCompany(conn, code, name, now));
      stored["subject_id"] = id;
      stored["name"] = name;
      stored["credit_code"] = code;
    } else {
      const std::string number = StringField(given, "id_number");
      const std::string masked = core::MaskIdNumber(number);
      const std::int64_t id = TRY(store::FindOrInsertPerson(
          conn, cipher_.BlindIndex(number, kSubjectIdNumberContext),
          cipher_.Seal(number, kSubjectIdNumberContext), masked, name, now));
      stored["subject_id"] = id;
      stored["name"] = name;
      stored["id_number_masked"] = masked;
    }
    *v = stored;
    for (workflow::FieldChange& change : plan.changes) {
      if (change.name == field.name) change.after = stored;
    }
  }
  // The form values of linked matters still hold the subject as entered;
  // each is resolved again (to the same row) when its matter is created.
  return core::Ok();
}

Result<json::object> Matters::RestoreSubjects(store::Conn& conn, const Definition& def,
                                              json::object fields) const {
  for (const workflow::FieldDef& field : def.fields) {
    if (field.type != FieldType::kSubject) continue;
    json::value* v = fields.if_contains(field.name);
    if (v == nullptr || !v->is_object()) continue;
    const json::value* id = v->as_object().if_contains("subject_id");
    if (id == nullptr || !id->is_int64()) continue;
    auto subject = TRY(store::FindSubject(conn, id->as_int64()));
    if (!subject) return core::DataLoss("事项引用的行政相对人不存在", field.name);
    std::string name = StringField(v->as_object(), "name");
    if (name.empty()) name = subject->name;
    json::object input;
    input["kind"] = subject->kind;
    if (subject->kind == "company") {
      input["credit_code"] = subject->credit_code.value_or("");
    } else {
      input["id_number"] =
          TRY(cipher_.Open(subject->id_number_sealed.value_or(""), kSubjectIdNumberContext));
    }
    input["name"] = name;
    *v = std::move(input);
  }
  return fields;
}

// ------------------------------------------------------------------ units and users

Result<std::vector<std::int64_t>> Matters::UnitsOfType(store::Conn& conn,
                                                       std::string_view unit_type,
                                                       std::string_view region_code) const {
  std::vector<store::UnitRecord> candidates;
  store::UnitFilter filter;
  filter.type = std::string(unit_type);
  filter.enabled = true;
  filter.limit = 200;
  for (;;) {
    auto page = TRY(store::ListUnits(conn, filter));
    for (auto& unit : page) candidates.push_back(std::move(unit));
    if (page.size() < static_cast<std::size_t>(filter.limit)) break;
    filter.after_id = candidates.back().id;
  }
  // The region itself, then its ancestors nearest first.
  std::vector<std::string> codes = {std::string(region_code)};
  const auto path = regions_.Path(region_code);
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    if ((*it)->code != region_code) codes.push_back((*it)->code);
  }
  for (const std::string& code : codes) {
    std::vector<std::int64_t> ids;
    for (const auto& unit : candidates) {
      if (unit.region_code == code) ids.push_back(unit.id);
    }
    if (!ids.empty()) return ids;
  }
  return std::vector<std::int64_t>();
}

Status Matters::Notify(store::Conn& conn, store::Outbox* outbox, std::int64_t matter_id,
                       const store::MatterRecord& m, const workflow::PlannedNotification& n,
                       std::int64_t acting_user) const {
  std::set<std::string> relations;
  for (workflow::Relation r : n.relations) relations.insert(std::string(RelationName(r)));
  std::set<std::int64_t> units;
  for (const auto& p : TRY(store::ListParticipants(conn, matter_id))) {
    if (relations.contains(p.relation)) units.insert(p.unit_id);
  }
  store::NotificationRecord record;
  record.kind = "matter." + n.event;
  record.matter_id = matter_id;
  record.title = n.labels.zh;
  record.body = m.number + " " + m.title;
  record.created_at = m.updated_at;
  std::set<std::int64_t> told = {acting_user};
  return NotifyUsersOfUnits(conn, outbox, units, readers_, n.roles, record, told);
}

namespace {

// The units a `units_matching` effect chooses: every enabled member unit
// (its type not in `non_members`) but the acting one whose type is among
// `types` (any when empty) and whose region is `region` or lies below it
// (anywhere when empty).
Result<std::vector<std::int64_t>> UnitsMatching(
    store::Conn& conn, const core::RegionCatalogue& regions,
    const workflow::ParticipantEffect& effect,
    const std::set<std::string, std::less<>>& non_members, std::int64_t acting_unit) {
  std::vector<std::int64_t> out;
  store::UnitFilter filter;
  filter.enabled = true;
  filter.limit = 200;
  for (;;) {
    auto page = TRY(store::ListUnits(conn, filter));
    for (const store::UnitRecord& unit : page) {
      if (unit.id == acting_unit || non_members.contains(unit.type)) continue;
      if (!effect.unit_types.empty() &&
          std::find(effect.unit_types.begin(), effect.unit_types.end(), unit.type) ==
              effect.unit_types.end()) {
        continue;
      }
      if (!effect.region_code.empty() && unit.region_code != effect.region_code) {
        const auto path = regions.Path(unit.region_code);
        if (std::none_of(path.begin(), path.end(),
                         [&](const core::Region* r) { return r->code == effect.region_code; })) {
          continue;
        }
      }
      out.push_back(unit.id);
    }
    if (page.size() < static_cast<std::size_t>(filter.limit)) break;
    filter.after_id = page.back().id;
  }
  return out;
}

// The files attached to matter `id`, each with its evidence's name, hash and
// size (left empty for evidence that no longer exists).
Result<std::vector<MatterFile>> FilesOf(store::Conn& conn, std::int64_t id) {
  std::vector<MatterFile> out;
  for (const auto& f : TRY(store::ListMatterFiles(conn, id))) {
    MatterFile file{f.evidence_id, f.field, {}, {}, 0, f.added_at};
    if (auto e = TRY(store::FindEvidence(conn, f.evidence_id))) {
      file.filename = e->filename;
      file.sm3 = e->sm3;
      file.size = e->size;
    }
    out.push_back(std::move(file));
  }
  return out;
}

}  // namespace

// ------------------------------------------------------------------ performing plans

Status Matters::Write(const std::function<Status(store::Conn&, store::Outbox*)>& fn) {
  if (notifier_ == nullptr) {
    return db_.Write([&](store::Conn& conn) -> Status { return fn(conn, nullptr); });
  }
  return notifier_->Write(
      [&](store::Conn& conn, store::Outbox& outbox) -> Status { return fn(conn, &outbox); });
}

Result<std::int64_t> Matters::CreateIn(store::Conn& conn, store::Outbox* outbox,
                                       const Acting& acting, const Definition& def, Plan plan,
                                       bool check_files, std::int64_t now, const RequestMeta& meta,
                                       int depth) {
  if (depth > kMaxOpenDepth) return core::FailedPrecondition("关联事项层级过深");
  TRY(ResolveSubjects(conn, def, plan, now));
  store::MatterRecord m;
  m.kind = def.kind;
  m.state = plan.to_state;
  m.owner_unit_id = acting.unit.id;
  m.created_by = acting.who->user_id;
  m.created_at = now;
  m.updated_at = now;
  m.version = 1;
  FillCommon(def, plan.fields, m);
  m.fields = json::serialize(plan.fields);
  const int year = std::stoi(core::ChinaDate(now).substr(0, 4));
  const std::int64_t sequence =
      TRY(store::AllocateMatterNumber(conn, acting.unit.id, def.kind, year));
  std::string abbreviation = TRY(store::UnitAbbreviation(conn, acting.unit.id));
  if (abbreviation.empty()) abbreviation = acting.unit.name;
  m.number = workflow::FormatNumber(def, abbreviation, year, sequence);
  m.id = TRY(store::InsertMatter(conn, m));
  TRY(store::AddParticipant(
      conn, {.matter_id = m.id, .unit_id = acting.unit.id, .relation = "owner", .added_at = now}));
  TRY(Perform(conn, outbox, acting, def, m, plan, true, check_files, now, meta, depth));
  return m.id;
}

Status Matters::Perform(store::Conn& conn, store::Outbox* outbox, const Acting& acting,
                        const Definition& def, store::MatterRecord& m, Plan& plan, bool created,
                        bool check_files, std::int64_t now, const RequestMeta& meta, int depth) {
  // Units named in the form must exist and take part; files must be
  // evidence (entered by the acting unit, unless carried over from the
  // matter an effect opened this one from).
  json::array files;
  for (const workflow::FieldChange& change : plan.changes) {
    const workflow::FieldDef* field = def.FindField(change.name);
    if (field == nullptr) continue;
    if (field->type == FieldType::kUnit || field->type == FieldType::kUnits) {
      for (std::int64_t id : workflow::IdsOf(&change.after)) {
        auto unit = TRY(store::FindUnit(conn, id));
        if (!unit || !unit->enabled) {
          return core::InvalidArgument(field->labels.zh + "不存在或已停用", field->name);
        }
      }
    }
    if (field->type != FieldType::kFiles) continue;
    const auto before = workflow::IdsOf(&change.before);
    for (std::int64_t id : workflow::IdsOf(&change.after)) {
      if (std::find(before.begin(), before.end(), id) != before.end()) continue;
      auto evidence = TRY(store::FindEvidence(conn, id));
      if (!evidence || (check_files && evidence->unit_id != acting.unit.id)) {
        return core::InvalidArgument(field->labels.zh + "中的证据文件不存在", field->name);
      }
      const bool attached = TRY(store::AttachFile(conn, m.id, id, field->name, now));
      if (attached) {
        files.push_back(json::object{{"sm3", evidence->sm3},
                                     {"sha256", evidence->sha256},
                                     {"size", evidence->size},
                                     {"name", evidence->filename}});
      }
    }
  }

  for (const std::string& name : plan.deadlines_cleared) {
    TRY(store::ClearDeadline(conn, m.id, name, now));
  }
  for (const workflow::DeadlineToSet& d : plan.deadlines_set) {
    const workflow::DeadlineDef* deadline = def.FindDeadline(d.name);
    TRY(store::SetDeadline(conn, {.matter_id = m.id,
                                  .name = d.name,
                                  .started_at = d.started_ms,
                                  .due_at = d.due_ms,
                                  .limit_name = deadline ? deadline->limit.name : std::string(),
                                  .cleared_at = std::nullopt,
                                  .level = 0}));
  }

  json::array participants_added;
  for (const workflow::ParticipantEffect& effect : plan.participants) {
    std::vector<std::int64_t> units = effect.unit_ids;
    if (!effect.unit_type.empty()) {
      units = TRY(UnitsOfType(conn, effect.unit_type, acting.unit.region_code));
    }
    if (effect.matching)
      units = TRY(UnitsMatching(conn, regions_, effect, non_member_types_, acting.unit.id));
    const std::string relation = effect.type == workflow::EffectType::kShare
                                     ? std::string("shared")
                                     : std::string(RelationName(effect.relation));
    for (std::int64_t unit : units) {
      if (effect.type == workflow::EffectType::kRemoveParticipant) {
        TRY(store::RemoveParticipant(conn, m.id, unit, relation));
        continue;
      }
      const bool added = TRY(store::AddParticipant(
          conn, {.matter_id = m.id, .unit_id = unit, .relation = relation, .added_at = now}));
      if (added)
        participants_added.push_back(json::object{{"unit_id", unit}, {"relation", relation}});
    }
  }

  record::EventInput e;
  e.actor = ActorOf(*acting.who);
  e.action = created ? "matter.create" : "matter." + plan.action;
  e.object_type = "matter";
  e.object_id = std::to_string(m.id);
  e.client_ip = meta.client_ip;
  e.request_id = meta.request_id;
  if (plan.from_state != plan.to_state) {
    e.changes["state"] = json::object{
        {"before", plan.from_state.empty() ? json::value(nullptr) : json::value(plan.from_state)},
        {"after", plan.to_state}};
  }
  for (const workflow::FieldChange& change : plan.changes) {
    e.changes["fields." + change.name] =
        json::object{{"before", ForRecord(change.before)}, {"after", ForRecord(change.after)}};
  }
  e.files = std::move(files);
  e.detail = json::object{{"kind", m.kind}, {"number", m.number}, {"version", m.version}};
  if (!participants_added.empty()) e.detail["participants_added"] = std::move(participants_added);
  json::array deadlines;
  for (const auto& d : plan.deadlines_set) {
    deadlines.push_back(json::object{{"name", d.name}, {"due_at", d.due_ms}});
  }
  if (!deadlines.empty()) e.detail["deadlines_set"] = std::move(deadlines);
  json::array cleared;
  for (const auto& name : plan.deadlines_cleared) cleared.push_back(json::value(name));
  if (!cleared.empty()) e.detail["deadlines_cleared"] = std::move(cleared);
  TRY(log_.Append(conn, e));

  for (const workflow::PlannedNotification& n : plan.notifications) {
    TRY(Notify(conn, outbox, m.id, m, n, acting.who->user_id));
  }

  // This matter's participants, read once for the effects that copy them.
  std::optional<std::vector<store::ParticipantRecord>> parties;
  for (workflow::OpenMatterEffect& open : plan.open_matters) {
    const Definition* target = registry_.Find(open.kind);
    if (target == nullptr) return core::Internal("effect names an unknown kind " + open.kind);
    json::object input = TRY(RestoreSubjects(conn, *target, std::move(open.fields)));
    Plan opened = TRY(
        workflow::PlanCreate(*target, acting.actor, json::value(std::move(input)), now, calendar_));
    if (!open.copy_participants.empty()) {
      std::set<std::string, std::less<>> wanted;
      for (workflow::Relation r : open.copy_participants) wanted.emplace(RelationName(r));
      // Not the acting unit (the owner) nor the unit the matter is opened for.
      std::set<std::int64_t> seen = {acting.unit.id, open.for_unit_id};
      workflow::ParticipantEffect copy;
      copy.type = workflow::EffectType::kAddParticipant;
      copy.relation = workflow::Relation::kCopied;
      if (!parties) parties = TRY(store::ListParticipants(conn, m.id));
      for (const auto& p : *parties) {
        if (wanted.contains(p.relation) && seen.insert(p.unit_id).second) {
          copy.unit_ids.push_back(p.unit_id);
        }
      }
      if (!copy.unit_ids.empty()) opened.participants.push_back(std::move(copy));
    }
    const std::int64_t child = TRY(
        CreateIn(conn, outbox, acting, *target, std::move(opened), false, now, meta, depth + 1));
    TRY(store::AddLink(conn, {.from_matter_id = m.id,
                              .to_matter_id = child,
                              .relation = plan.action,
                              .created_at = now}));
  }
  return core::Ok();
}

// ------------------------------------------------------------------ operations

Result<std::int64_t> Matters::Create(const Principal& who, std::string_view kind,
                                     const json::value& fields, const RequestMeta& meta) {
  TRY(CheckReader(who));
  if (registry_.Find(kind) == nullptr) return core::InvalidArgument("没有这种事项类型", "kind");
  const std::int64_t now = clock_.NowMs();
  std::int64_t id = 0;
  TRY(Write([&](store::Conn& conn, store::Outbox* outbox) -> Status {
    id = TRY(CreateWith(conn, outbox, who, kind, fields, now, meta));
    return core::Ok();
  }));
  return id;
}

Result<std::int64_t> Matters::CreateInTransaction(store::Conn& conn, const Principal& who,
                                                  std::string_view kind, const json::value& fields,
                                                  std::int64_t now, const RequestMeta& meta) {
  TRY(CheckReader(who));
  return CreateWith(conn, nullptr, who, kind, fields, now, meta);
}

Result<std::int64_t> Matters::CreateWith(store::Conn& conn, store::Outbox* outbox,
                                         const Principal& who, std::string_view kind,
                                         const json::value& fields, std::int64_t now,
                                         const RequestMeta& meta) {
  const Definition* def = registry_.Find(kind);
  if (def == nullptr) return core::InvalidArgument("没有这种事项类型", "kind");
  const Acting acting = TRY(ActingOf(conn, who, now));
  TRY(CheckLapsed(acting, def->create));
  Plan plan = TRY(workflow::PlanCreate(*def, acting.actor, fields, now, calendar_));
  return CreateIn(conn, outbox, acting, *def, std::move(plan), true, now, meta, 0);
}

Result<std::int64_t> Matters::Act(const Principal& who, std::int64_t id, std::string_view action,
                                  const json::value& fields, std::int64_t expected_version,
                                  const RequestMeta& meta) {
  TRY(CheckReader(who));
  const std::int64_t now = clock_.NowMs();
  std::int64_t version = 0;
  TRY(Write([&](store::Conn& conn, store::Outbox* outbox) -> Status {
    version = TRY(ActWith(conn, outbox, who, id, action, fields, expected_version, now, meta));
    return core::Ok();
  }));
  return version;
}

Result<std::int64_t> Matters::ActInTransaction(store::Conn& conn, const Principal& who,
                                               std::int64_t id, std::string_view action,
                                               const json::value& fields,
                                               std::int64_t expected_version, std::int64_t now,
                                               const RequestMeta& meta) {
  TRY(CheckReader(who));
  return ActWith(conn, nullptr, who, id, action, fields, expected_version, now, meta);
}

Result<std::int64_t> Matters::ActWith(store::Conn& conn, store::Outbox* outbox,
                                      const Principal& who, std::int64_t id,
                                      std::string_view action, const json::value& fields,
                                      std::int64_t expected_version, std::int64_t now,
                                      const RequestMeta& meta) {
  Acting acting = TRY(ActingOf(conn, who, now));
  auto found = TRY(VisibleMatter(conn, who, id));
  if (!found) return core::NotFound(std::string(kNotFound));
  store::MatterRecord m = std::move(*found);
  const Definition* def = registry_.Find(m.kind);
  if (def == nullptr) return core::FailedPrecondition("该事项类型已不再提供办理");
  acting.actor.relations = ParseRelations(TRY(store::RelationsOf(conn, id, acting.unit.id)));
  if (m.version != expected_version) return core::Aborted(std::string(kStale));
  if (const workflow::ActionDef* a = def->FindAction(action); a != nullptr && a != &def->create) {
    TRY(CheckLapsed(acting, *a));
  }

  workflow::MatterSnapshot snapshot;
  snapshot.state = m.state;
  snapshot.fields = TRY(ParseFields(m.fields));
  snapshot.version = m.version;
  snapshot.created_ms = m.created_at;
  snapshot.owner_unit_id = m.owner_unit_id;
  for (const auto& d : TRY(store::ListDeadlines(conn, id))) {
    if (!d.cleared_at) snapshot.deadlines.push_back({d.name, d.started_at, d.due_at});
  }
  Plan plan =
      TRY(workflow::PlanAction(*def, snapshot, action, acting.actor, fields, now, calendar_));
  TRY(ResolveSubjects(conn, *def, plan, now));
  m.state = plan.to_state;
  FillCommon(*def, plan.fields, m);
  m.fields = json::serialize(plan.fields);
  m.updated_at = now;
  const bool updated = TRY(store::UpdateMatter(conn, m, expected_version));
  if (!updated) return core::Aborted(std::string(kStale));
  m.version = expected_version + 1;
  TRY(Perform(conn, outbox, acting, *def, m, plan, false, true, now, meta, 0));
  return m.version;
}

Result<MatterView> Matters::Get(const Principal& who, std::int64_t id) {
  TRY(CheckReader(who));
  const std::int64_t now = clock_.NowMs();
  MatterView view;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    auto found = TRY(VisibleMatter(conn, who, id));
    if (!found) return core::NotFound(std::string(kNotFound));
    view.matter = std::move(*found);
    view.fields = TRY(ParseFields(view.matter.fields));
    const Definition* def = registry_.Find(view.matter.kind);

    std::map<std::int64_t, store::UnitRecord> units;
    auto unit_of = [&](std::int64_t unit_id) -> Result<const store::UnitRecord*> {
      auto it = units.find(unit_id);
      if (it == units.end()) {
        auto unit = TRY(store::FindUnit(conn, unit_id));
        it = units.emplace(unit_id, unit.value_or(store::UnitRecord{})).first;
      }
      return &it->second;
    };
    const store::UnitRecord* owner = TRY(unit_of(view.matter.owner_unit_id));
    view.owner_unit_name = owner->name;
    for (const auto& p : TRY(store::ListParticipants(conn, id))) {
      const store::UnitRecord* unit = TRY(unit_of(p.unit_id));
      view.participants.push_back({p.unit_id, unit->name, unit->type, p.relation, p.added_at});
    }
    for (auto& d : TRY(store::ListDeadlines(conn, id))) {
      MatterDeadline md;
      const workflow::DeadlineDef* deadline = def ? def->FindDeadline(d.name) : nullptr;
      if (deadline) {
        md.label_zh = deadline->labels.zh;
        md.label_en = deadline->labels.en;
      }
      md.status = DeadlineStatusOf(d, deadline, now, calendar_);
      md.deadline = std::move(d);
      view.deadlines.push_back(std::move(md));
    }
    view.links = TRY(store::ListLinks(conn, id));
    view.files = TRY(FilesOf(conn, id));
    if (who.unit_id != 0) view.relations = TRY(store::RelationsOf(conn, id, who.unit_id));
    if (def != nullptr && who.unit_id != 0) {
      workflow::Actor actor;
      actor.roles = TRY(ActingRoles(conn, who, now, view.acting_notice));
      const store::UnitRecord* mine = TRY(unit_of(who.unit_id));
      actor.unit_type = mine->type;
      actor.unit_id = who.unit_id;
      actor.relations = ParseRelations(view.relations);
      for (const workflow::ActionDef* a :
           workflow::AllowedActions(*def, view.matter.state, actor)) {
        view.allowed_actions.push_back(a->name);
      }
    }
    return core::Ok();
  }));
  return view;
}

Result<std::int64_t> Matters::ListUnit(const Principal& who) const {
  TRY(CheckReader(who));
  if (SeesAll(who)) return std::int64_t{0};
  if (who.unit_id == 0) return core::PermissionDenied("事项须由成员单位的用户查看");
  return who.unit_id;
}

Result<MatterListScope> Matters::ListScope(const Principal& who) {
  MatterListScope scope;
  // Read before the list it keys, so a write racing with the list can only
  // make a kept answer newer than its version, never older.
  scope.version = db_.WriteCount();
  scope.unit_id = TRY(ListUnit(who));
  return scope;
}

Result<MatterList> Matters::List(const Principal& who, const MatterListFilter& in) {
  const std::int64_t unit = TRY(ListUnit(who));
  if (in.limit < 1 || in.limit > kMaxListLimit) {
    return core::InvalidArgument("每页条数应为 1 到 100", "limit");
  }
  store::MatterFilter f;
  if (unit != 0) f.visible_to_unit = unit;
  f.kind = in.kind;
  f.states = in.states;
  f.owner_unit_id = in.owner_unit_id;
  f.region_prefix = in.region_prefix;
  f.domain = in.domain;
  f.subject_id = in.subject_id;
  f.created_from = in.created_from;
  f.created_to = in.created_to;
  if (in.overdue) f.overdue_at = clock_.NowMs();
  f.after = in.after;
  f.limit = in.limit;
  MatterList out;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    auto page = TRY(store::ListMatters(conn, f));
    out.items = std::move(page.items);
    out.next = page.next;
    out.owner_unit_names = std::move(page.owner_unit_names);
    auto counts = TRY(store::CountMattersByState(conn, f));
    out.counts = std::move(counts.by_state);
    out.counts_capped = counts.capped;
    return core::Ok();
  }));
  return out;
}

namespace {

// The (kind, states, relations) a user of `unit_type` with `roles` could act
// on: per non-final state of every kind, the relations of the actor rules
// their roles and unit type satisfy (none needed when a rule takes any
// relation); states needing the same relations grouped per kind.
std::vector<store::TodoSelector> TodoSelectorsFor(const workflow::Registry& registry,
                                                  const std::vector<std::string>& roles,
                                                  std::string_view unit_type) {
  auto has = [](const std::vector<std::string>& list, std::string_view item) {
    return std::find(list.begin(), list.end(), item) != list.end();
  };
  std::vector<store::TodoSelector> out;
  for (const Definition& def : registry.definitions()) {
    std::map<std::vector<std::string>, std::vector<std::string>> states_by_relations;
    for (const workflow::StateDef& state : def.states) {
      if (state.final) continue;
      bool any = false;
      std::set<std::string> relations;
      for (const workflow::ActionDef& action : def.actions) {
        if (!has(action.from, state.name)) continue;
        for (const workflow::ActorRule& rule : action.actors) {
          if (!rule.unit_types.empty() && !has(rule.unit_types, unit_type)) continue;
          if (!rule.roles.empty() && std::none_of(roles.begin(), roles.end(), [&](auto& role) {
                return has(rule.roles, role);
              })) {
            continue;
          }
          if (rule.relation == workflow::Relation::kAny) {
            any = true;
          } else {
            relations.insert(std::string(RelationName(rule.relation)));
          }
        }
      }
      if (!any && relations.empty()) continue;
      std::vector<std::string> key;
      if (!any) key.assign(relations.begin(), relations.end());
      states_by_relations[key].push_back(state.name);
    }
    for (auto& [relations, states] : states_by_relations) {
      out.push_back({.kind = def.kind, .states = std::move(states), .relations = relations});
    }
  }
  return out;
}

}  // namespace

Result<TodoList> Matters::Todos(const Principal& who, const TodoQuery& query) {
  TRY(CheckReader(who));
  if (query.limit < 1 || query.limit > kMaxListLimit) {
    return core::InvalidArgument("每页条数应为 1 到 100", "limit");
  }
  TodoList out;
  if (who.user_id == 0 || who.unit_id == 0) return out;
  const std::int64_t now = clock_.NowMs();
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    auto unit = TRY(store::FindUnit(conn, who.unit_id));
    if (!unit || !unit->enabled) return core::Ok();
    const std::vector<std::string> roles = TRY(ActingRoles(conn, who, now, out.acting_notice));
    store::TodoFilter filter;
    filter.unit_id = unit->id;
    filter.selectors = TodoSelectorsFor(registry_, roles, unit->type);
    filter.after = query.after;
    filter.limit = query.limit;
    auto page = TRY(store::ListTodoMatters(conn, filter));
    out.next = page.next;
    out.counts = TRY(store::CountTodoMatters(conn, filter, now, DueSoonUntil(now, calendar_)));
    workflow::Actor actor;
    actor.roles = roles;
    actor.unit_type = unit->type;
    actor.unit_id = unit->id;
    for (store::MatterRecord& m : page.items) {
      const Definition* def = registry_.Find(m.kind);
      if (def == nullptr) continue;
      TodoItem item;
      actor.relations = ParseRelations(TRY(store::RelationsOf(conn, m.id, unit->id)));
      for (const workflow::ActionDef* a : workflow::AllowedActions(*def, m.state, actor)) {
        item.actions.push_back(a->name);
      }
      for (store::DeadlineRecord& d : TRY(store::ListDeadlines(conn, m.id))) {
        if (d.cleared_at) continue;  // open ones come first, soonest first
        MatterDeadline next;
        const workflow::DeadlineDef* deadline = def->FindDeadline(d.name);
        if (deadline) {
          next.label_zh = deadline->labels.zh;
          next.label_en = deadline->labels.en;
        }
        next.status = DeadlineStatusOf(d, deadline, now, calendar_);
        next.deadline = std::move(d);
        item.next_deadline = std::move(next);
        break;
      }
      item.matter = std::move(m);
      out.items.push_back(std::move(item));
    }
    return core::Ok();
  }));
  return out;
}

Result<MatterTimeline> Matters::Timeline(const Principal& who, std::int64_t id,
                                         std::int64_t before_seq, int limit,
                                         const RequestMeta& meta, std::string_view action) {
  TRY(CheckReader(who));
  if (limit < 1 || limit > 200) return core::InvalidArgument("每页条数应为 1 到 200", "limit");
  MatterTimeline out;
  TRY(db_.Write([&](store::Conn& conn) -> Status {
    out = MatterTimeline{};
    auto found = TRY(VisibleMatter(conn, who, id));
    if (!found) return core::NotFound(std::string(kNotFound));
    store::EventFilter filter;
    filter.object_type = "matter";
    filter.object_id = std::to_string(id);
    filter.before_seq = before_seq;
    filter.limit = limit;
    if (!action.empty()) {
      const Definition* def = registry_.Find(found->kind);
      const workflow::ActionDef* known = def ? def->FindAction(action) : nullptr;
      if (action != "create" && (known == nullptr || known == &def->create)) {
        return core::InvalidArgument("该事项类型没有这项操作", "action");
      }
      filter.action = "matter." + std::string(action);
    }
    out.events = TRY(store::ListEvents(conn, filter));
    if (out.events.size() == static_cast<std::size_t>(limit)) {
      out.next_before = out.events.back().seq;
    }
    bool files = false;
    for (const store::EventRecord& e : out.events) {
      files = files || (!e.files.empty() && e.files != "[]");
      if (!e.actor_unit_id || out.unit_names.contains(*e.actor_unit_id)) continue;
      auto unit = TRY(store::FindUnit(conn, *e.actor_unit_id));
      out.unit_names[*e.actor_unit_id] = unit ? unit->name : std::string();
    }
    if (files) {
      for (const MatterFile& f : TRY(FilesOf(conn, id))) {
        if (!f.sm3.empty()) out.file_ids.emplace(f.sm3, f.evidence_id);
      }
    }
    if (out.events.empty()) return core::Ok();
    record::EventInput view;
    view.actor = ActorOf(who);
    view.action = "record.view";
    view.object_type = "record";
    view.object_id = "matter:";
    view.object_id += std::to_string(id);
    view.client_ip = meta.client_ip;
    view.request_id = meta.request_id;
    view.detail["view"] = "timeline";
    view.detail["events"] = static_cast<std::int64_t>(out.events.size());
    view.detail["from_seq"] = out.events.back().seq;
    view.detail["to_seq"] = out.events.front().seq;
    TRY(log_.Append(conn, view));
    return core::Ok();
  }));
  return out;
}

Result<std::vector<store::NotificationRecord>> Matters::ListNotifications(const Principal& who,
                                                                          bool unread_only,
                                                                          std::int64_t before_id,
                                                                          int limit) {
  if (limit < 1 || limit > 200) return core::InvalidArgument("每页条数应为 1 到 200", "limit");
  std::vector<store::NotificationRecord> out;
  if (who.user_id == 0) return out;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    out = TRY(store::ListNotifications(conn, who.user_id, unread_only, before_id, limit));
    return core::Ok();
  }));
  return out;
}

Result<std::int64_t> Matters::UnreadCount(const Principal& who) {
  std::int64_t count = 0;
  if (who.user_id == 0) return count;
  TRY(db_.Read([&](store::Conn& conn) -> Status {
    count = TRY(store::CountUnreadNotifications(conn, who.user_id));
    return core::Ok();
  }));
  return count;
}

Status Matters::MarkRead(const Principal& who, std::int64_t id) {
  if (who.user_id == 0) return core::NotFound("消息不存在");
  const std::int64_t now = clock_.NowMs();
  bool found = false;
  TRY(db_.Write([&](store::Conn& conn) -> Status {
    const bool marked = TRY(store::MarkNotificationRead(conn, who.user_id, id, now));
    if (marked) {
      found = true;
      return core::Ok();
    }
    // Not marked: read already, or not the caller's. The caller's newest
    // notification at or below the id tells which.
    auto own = TRY(store::ListNotifications(conn, who.user_id, false, id + 1, 1));
    found = !own.empty() && own.front().id == id;
    return core::Ok();
  }));
  if (!found) return core::NotFound("消息不存在");
  return core::Ok();
}

}  // namespace lvyuan::domain
