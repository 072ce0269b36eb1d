#include "workflow/engine.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "core/clock.h"
#include "core/strings.h"
#include "core/validators.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;

constexpr std::int64_t kHourMs = 3'600'000;
constexpr std::int64_t kDayMs = 24 * kHourMs;
constexpr std::int64_t kChinaOffsetMs = 8 * kHourMs;  // Asia/Shanghai has no DST since 1991
constexpr std::size_t kDefaultTextLength = 200;
constexpr std::size_t kDefaultRichTextLength = 20000;
constexpr std::size_t kDefaultMaxItems = 200;
constexpr std::size_t kSubjectNameLength = 100;

core::Error Bad(const FieldDef& field, std::string message) {
  return core::InvalidArgument(std::move(message), field.name);
}

// "请填写", "请选择" or "请上传" + the label: what a user must do for an empty field.
std::string MissingMessage(const FieldDef& field) {
  switch (field.type) {
    case FieldType::kEnum:
    case FieldType::kRegion:
    case FieldType::kUnit:
    case FieldType::kUnits:
    case FieldType::kDate:
    case FieldType::kDateTime:
      return fmt::format("请选择{}", field.labels.zh);
    case FieldType::kFiles:
      return fmt::format("请上传{}", field.labels.zh);
    case FieldType::kGeoPoint:
      return fmt::format("请标注{}", field.labels.zh);
    default:
      return fmt::format("请填写{}", field.labels.zh);
  }
}

bool IsEmpty(const json::value& v) {
  if (v.is_null()) return true;
  if (v.is_string()) return core::TrimBlanks(std::string_view(v.as_string())).empty();
  if (v.is_array()) return v.as_array().empty();
  return false;
}

// A control character other than the ones allowed (newline and tab in rich text).
bool HasControl(std::string_view text, bool multiline) {
  return std::any_of(text.begin(), text.end(), [&](char c) {
    const auto u = static_cast<unsigned char>(c);
    if (multiline && (c == '\n' || c == '\t')) return false;
    return u < 0x20 || u == 0x7f;
  });
}

// "<p", "</div", "<!--", "<script": anything a browser would start a tag
// with ("a < b" is text to a browser, and here).
bool HasTag(std::string_view text) {
  for (std::size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] != '<') continue;
    const char c = text[i + 1];
    if (c == '/' || c == '!' || c == '?' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      return true;
    }
  }
  return false;
}

Status CheckLength(const FieldDef& field, std::string_view text, std::size_t default_max) {
  const std::size_t length = core::Utf8Length(text);
  const std::size_t max = field.max_length.value_or(default_max);
  if (length > max) return Bad(field, fmt::format("{}不能超过 {} 个字", field.labels.zh, max));
  if (field.min_length && length < *field.min_length) {
    return Bad(field, fmt::format("{}不能少于 {} 个字", field.labels.zh, *field.min_length));
  }
  return core::Ok();
}

Result<std::int64_t> PositiveId(const FieldDef& field, const json::value& v) {
  if (v.is_int64() && v.as_int64() > 0) return v.as_int64();
  if (v.is_uint64() && v.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX) &&
      v.as_uint64() > 0) {
    return static_cast<std::int64_t>(v.as_uint64());
  }
  return Bad(field, fmt::format("{}应为有效的编号", field.labels.zh));
}

Result<json::value> IdList(const FieldDef& field, const json::value& v) {
  if (!v.is_array()) return Bad(field, fmt::format("{}应为列表", field.labels.zh));
  json::array out;
  std::set<std::int64_t> seen;
  for (const json::value& item : v.as_array()) {
    const std::int64_t id = TRY(PositiveId(field, item));
    if (!seen.insert(id).second) return Bad(field, fmt::format("{}有重复项", field.labels.zh));
    out.emplace_back(id);
  }
  const std::size_t max = field.max_items.value_or(kDefaultMaxItems);
  if (out.size() > max) return Bad(field, fmt::format("{}最多 {} 项", field.labels.zh, max));
  if (field.min_items && out.size() < *field.min_items) {
    return Bad(field, fmt::format("{}至少 {} 项", field.labels.zh, *field.min_items));
  }
  return json::value(std::move(out));
}

Result<json::value> Subject(const FieldDef& field, const json::value& v) {
  const json::object* o = v.if_object();
  if (o == nullptr) return Bad(field, fmt::format("{}应为单位或个人", field.labels.zh));
  const json::value* kind = o->if_contains("kind");
  const std::string_view k = kind && kind->is_string() ? std::string_view(kind->as_string()) : "";
  const std::string_view id_key = k == "company" ? "credit_code" : "id_number";
  if (k != "company" && k != "person") {
    return Bad(field, fmt::format("{}的类型应为单位（company）或个人（person）", field.labels.zh));
  }
  for (const auto& [key, value] : *o) {
    if (key != "kind" && key != "name" && key != id_key) {
      return Bad(field, fmt::format("{}不应包含“{}”", field.labels.zh,
                                    std::string_view(key.data(), key.size())));
    }
  }
  const json::value* id = o->if_contains(id_key);
  const std::string_view id_text =
      id && id->is_string() ? std::string_view(id->as_string()) : std::string_view();
  if (id_text.empty()) {
    return Bad(field, k == "company" ? fmt::format("请填写{}的统一社会信用代码", field.labels.zh)
                                     : fmt::format("请填写{}的身份证号码", field.labels.zh));
  }
  Status checked = k == "company" ? core::ValidateUscc(id_text, field.name)
                                  : core::ValidateIdNumber(id_text, field.name);
  if (!checked.ok()) return checked.error();
  const json::value* name = o->if_contains("name");
  const std::string_view name_text =
      name && name->is_string() ? core::TrimBlanks(std::string_view(name->as_string())) : "";
  if (name_text.empty()) {
    return Bad(field, k == "company" ? fmt::format("请填写{}的单位名称", field.labels.zh)
                                     : fmt::format("请填写{}的姓名", field.labels.zh));
  }
  if (core::Utf8Length(name_text) > kSubjectNameLength || HasControl(name_text, false)) {
    return Bad(field, fmt::format("{}的名称不能超过 {} 个字", field.labels.zh, kSubjectNameLength));
  }
  json::object out;
  out["kind"] = k;
  out[id_key] = id_text;
  out["name"] = name_text;
  return json::value(std::move(out));
}

Result<json::value> GeoPoint(const FieldDef& field, const json::value& v) {
  const json::object* o = v.if_object();
  const json::value* lat = o ? o->if_contains("lat") : nullptr;
  const json::value* lng = o ? o->if_contains("lng") : nullptr;
  if (!lat || !lng || !lat->is_number() || !lng->is_number() || o->size() != 2) {
    return Bad(field, fmt::format("{}应为经纬度 {{\"lat\", \"lng\"}}", field.labels.zh));
  }
  const double la = lat->to_number<double>();
  const double ln = lng->to_number<double>();
  const GeoBounds& b = field.bounds;
  if (!std::isfinite(la) || !std::isfinite(ln) || la < b.min_lat || la > b.max_lat ||
      ln < b.min_lng || ln > b.max_lng) {
    return Bad(field, fmt::format("{}超出允许范围（纬度 {}～{}，经度 {}～{}）", field.labels.zh,
                                  b.min_lat, b.max_lat, b.min_lng, b.max_lng));
  }
  json::object out;
  out["lat"] = la;
  out["lng"] = ln;
  return json::value(std::move(out));
}

std::int64_t ChinaDayStartMs(core::Date date) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(date.time_since_epoch()).count() -
         kChinaOffsetMs;
}

core::Date ChinaDateOf(std::int64_t unix_ms) {
  const std::int64_t local = unix_ms + kChinaOffsetMs;
  std::int64_t days = local / kDayMs;
  if (local % kDayMs < 0) --days;
  return core::Date(std::chrono::days(days));
}

bool Has(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

std::vector<std::int64_t> UnitsIn(const json::object& fields, const std::string& name) {
  std::vector<std::int64_t> out;
  const json::value* v = fields.if_contains(name);
  if (v == nullptr) return out;
  if (v->is_int64()) out.push_back(v->as_int64());
  if (v->is_array()) {
    for (const json::value& item : v->as_array()) {
      if (item.is_int64()) out.push_back(item.as_int64());
    }
  }
  return out;
}

std::string StringIn(const json::object& fields, const std::string& name) {
  const json::value* v = name.empty() ? nullptr : fields.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

Result<json::value> EnumList(const FieldDef& field, const json::value& v) {
  json::array given;
  if (v.is_string()) {
    given.push_back(v);  // one value is a list of one
  } else if (v.is_array()) {
    given = v.as_array();
  } else {
    return Bad(field, fmt::format("{}应为列表", field.labels.zh));
  }
  json::array out;
  for (const json::value& item : given) {
    const bool known = item.is_string() &&
                       std::any_of(field.items.begin(), field.items.end(), [&](const DictItem& d) {
                         return d.value == std::string_view(item.as_string());
                       });
    if (!known) return Bad(field, fmt::format("{}中有不可选的值", field.labels.zh));
    if (std::find(out.begin(), out.end(), item) != out.end()) {
      return Bad(field, fmt::format("{}有重复项", field.labels.zh));
    }
    out.push_back(item);
  }
  if (field.max_items && out.size() > *field.max_items) {
    return Bad(field, fmt::format("{}最多 {} 项", field.labels.zh, *field.max_items));
  }
  if (field.min_items && out.size() < *field.min_items) {
    return Bad(field, fmt::format("{}至少 {} 项", field.labels.zh, *field.min_items));
  }
  return json::value(std::move(out));
}

Result<Plan> PlanCommon(const Definition& def, const ActionDef& action,
                        const MatterSnapshot* matter, const Actor& actor, const json::value& input,
                        std::int64_t now_ms, const core::WorkCalendar& calendar) {
  Plan plan;
  plan.action = action.name;
  json::object normalized = TRY(ValidateFields(def, action, input));
  if (matter != nullptr) {
    plan.from_state = matter->state;
    plan.expected_version = matter->version;
    plan.fields = matter->fields;
  }
  json::object entries;  // the transient values: recorded, never kept
  for (const auto& [key, value] : normalized) {
    const FieldDef* field = def.FindField(std::string_view(key.data(), key.size()));
    (field != nullptr && field->transient ? entries : plan.fields)[key] = value;
  }
  plan.to_state = action.to.empty() ? plan.from_state : action.to;

  const GuardContext context{def, action, matter, actor, normalized, plan.fields, now_ms};
  for (std::size_t i = 0; i < action.guard_functions.size(); ++i) {
    Status verdict = action.guard_functions[i](context);
    if (!verdict.ok()) {
      return core::FailedPrecondition(verdict.error().message, verdict.error().field);
    }
  }

  for (const FieldDef& field : def.fields) {
    if (field.transient) {
      if (const json::value* entered = entries.if_contains(field.name)) {
        plan.changes.push_back({field.name, json::value(), *entered});
      }
      continue;
    }
    const json::value* before = matter ? matter->fields.if_contains(field.name) : nullptr;
    const json::value* after = plan.fields.if_contains(field.name);
    const json::value none;
    const json::value& b = before ? *before : none;
    const json::value& a = after ? *after : none;
    if (b != a) plan.changes.push_back({field.name, b, a});
  }

  const std::string event = matter == nullptr ? "created" : action.name;
  const StateDef* to = def.FindState(plan.to_state);
  const bool finishing = to != nullptr && to->final;
  std::set<std::string> set_names;
  for (const DeadlineDef& deadline : def.deadlines) {
    if (!finishing && Has(deadline.starts_on, event)) {
      plan.deadlines_set.push_back(TRY(ComputeDeadline(deadline, now_ms, calendar)));
      set_names.insert(deadline.name);
    }
  }
  if (matter != nullptr) {
    for (const ActiveDeadline& running : matter->deadlines) {
      const DeadlineDef* deadline = def.FindDeadline(running.name);
      const bool cleared = finishing || (deadline && Has(deadline->cleared_by, action.name));
      if (cleared && !set_names.contains(running.name)) {
        plan.deadlines_cleared.push_back(running.name);
      }
    }
  }

  for (const Notification& n : action.notify) {
    plan.notifications.push_back({action.name, n.relations, n.roles, n.labels});
  }

  json::object effect_fields = plan.fields;
  for (const auto& [key, value] : entries) effect_fields[key] = value;
  for (const EffectDef& effect : action.effects) {
    if (effect.type == EffectType::kOpenMatter) {
      std::vector<std::int64_t> each = {0};
      if (!effect.for_each.empty()) each = UnitsIn(effect_fields, effect.for_each);
      for (std::int64_t unit : each) {
        OpenMatterEffect open{effect.kind, effect.set, unit, effect.copy_participants};
        for (const auto& [target, source] : effect.map) {
          if (source == "$each") {
            open.fields[target] = unit;
          } else if (const json::value* v = effect_fields.if_contains(source)) {
            open.fields[target] = *v;
          }
        }
        plan.open_matters.push_back(std::move(open));
      }
      continue;
    }
    ParticipantEffect change{effect.type, effect.relation, {}, effect.units.unit_type};
    if (effect.units.matching) {
      change.matching = true;
      if (const json::value* types = effect_fields.if_contains(effect.units.types_field)) {
        if (types->is_string()) change.unit_types.emplace_back(types->as_string());
        if (const json::array* list = types->if_array()) {
          for (const json::value& item : *list) {
            if (item.is_string()) change.unit_types.emplace_back(item.as_string());
          }
        }
      }
      change.region_code = StringIn(effect_fields, effect.units.region_field);
      plan.participants.push_back(std::move(change));
      continue;
    }
    if (effect.units.actor_unit) change.unit_ids.push_back(actor.unit_id);
    if (!effect.units.field.empty()) change.unit_ids = UnitsIn(effect_fields, effect.units.field);
    if (change.unit_ids.empty() && change.unit_type.empty()) continue;
    plan.participants.push_back(std::move(change));
  }
  return plan;
}

}  // namespace

std::vector<std::int64_t> IdsOf(const json::value* value) {
  std::vector<std::int64_t> out;
  if (value == nullptr) return out;
  if (value->is_int64()) out.push_back(value->as_int64());
  if (const json::array* list = value->if_array()) {
    for (const json::value& item : *list) {
      if (item.is_int64()) out.push_back(item.as_int64());
    }
  }
  return out;
}

Result<json::value> ValidateValue(const Definition& def, const FieldDef& field,
                                  const json::value& value) {
  if (value.is_null()) return json::value();
  switch (field.type) {
    case FieldType::kText: {
      if (!value.is_string()) return Bad(field, fmt::format("{}应为文字", field.labels.zh));
      const std::string_view text = core::TrimBlanks(std::string_view(value.as_string()));
      if (HasControl(text, false)) {
        return Bad(field, fmt::format("{}不能包含换行或控制字符", field.labels.zh));
      }
      TRY(CheckLength(field, text, kDefaultTextLength));
      if (field.compiled_pattern && !text.empty() &&
          !std::regex_match(text.begin(), text.end(), *field.compiled_pattern)) {
        return Bad(field, field.pattern_message.zh.empty()
                              ? fmt::format("{}的格式不正确", field.labels.zh)
                              : field.pattern_message.zh);
      }
      return json::value(text);
    }
    case FieldType::kRichText: {
      if (!value.is_string()) return Bad(field, fmt::format("{}应为文字", field.labels.zh));
      std::string text;
      for (char c : std::string_view(value.as_string())) {
        if (c != '\r') text += c;
      }
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      const std::string_view trimmed = core::TrimBlanks(text);
      if (HasControl(trimmed, true)) {
        return Bad(field, fmt::format("{}不能包含控制字符", field.labels.zh));
      }
      if (HasTag(trimmed)) {
        return Bad(field, fmt::format("{}只能是纯文本，不能包含 HTML 标签", field.labels.zh));
      }
      TRY(CheckLength(field, trimmed, kDefaultRichTextLength));
      return json::value(trimmed);
    }
    case FieldType::kNumber: {
      if (!value.is_number()) return Bad(field, fmt::format("{}应为数字", field.labels.zh));
      const double n = value.to_number<double>();
      if (!std::isfinite(n)) return Bad(field, fmt::format("{}应为数字", field.labels.zh));
      if (field.integer && (std::floor(n) != n || std::fabs(n) > 9e15)) {
        return Bad(field, fmt::format("{}应为整数", field.labels.zh));
      }
      if (field.min && n < *field.min) {
        return Bad(field, fmt::format("{}不能小于 {}", field.labels.zh, *field.min));
      }
      if (field.max && n > *field.max) {
        return Bad(field, fmt::format("{}不能大于 {}", field.labels.zh, *field.max));
      }
      if (std::floor(n) == n && std::fabs(n) <= 9e15) {
        return json::value(static_cast<std::int64_t>(n));
      }
      return json::value(n);
    }
    case FieldType::kMoney: {
      std::int64_t fen = 0;
      if (value.is_int64()) {
        fen = value.as_int64();
      } else if (value.is_uint64() && value.as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        fen = static_cast<std::int64_t>(value.as_uint64());
      } else {
        return Bad(field, fmt::format("{}应为以分为单位的整数金额", field.labels.zh));
      }
      const double min = field.min.value_or(0);
      if (static_cast<double>(fen) < min) {
        return Bad(field, fmt::format("{}不能小于 {:.2f} 元", field.labels.zh, min / 100));
      }
      if (field.max && static_cast<double>(fen) > *field.max) {
        return Bad(field, fmt::format("{}不能大于 {:.2f} 元", field.labels.zh, *field.max / 100));
      }
      return json::value(fen);
    }
    case FieldType::kDate: {
      if (!value.is_string() || !core::ParseDate(std::string_view(value.as_string()))) {
        return Bad(field, fmt::format("{}应为日期（YYYY-MM-DD）", field.labels.zh));
      }
      return value;
    }
    case FieldType::kDateTime: {
      std::int64_t ms = 0;
      if (!value.is_string() || value.as_string().find('T') == json::string::npos ||
          !core::ParseIsoTime(std::string_view(value.as_string()), &ms)) {
        return Bad(field, fmt::format("{}应为时间（YYYY-MM-DDTHH:MM:SSZ）", field.labels.zh));
      }
      return json::value(core::FormatIsoUtc(ms));
    }
    case FieldType::kEnum: {
      if (field.multiple) return EnumList(field, value);
      if (value.is_string()) {
        const std::string_view v(value.as_string());
        for (const DictItem& item : field.items) {
          if (item.value == v) return value;
        }
      }
      return Bad(field, fmt::format("{}不是可选的值", field.labels.zh));
    }
    case FieldType::kRegion: {
      if (!value.is_string()) return Bad(field, fmt::format("{}应为行政区划代码", field.labels.zh));
      if (def.regions == nullptr) return core::Internal("no region catalogue");
      TRY(def.regions->Validate(std::string_view(value.as_string()), field.name));
      return value;
    }
    case FieldType::kSubject:
      return Subject(field, value);
    case FieldType::kUnit: {
      const std::int64_t id = TRY(PositiveId(field, value));
      return json::value(id);
    }
    case FieldType::kUnits:
    case FieldType::kFiles:
      return IdList(field, value);
    case FieldType::kGeoPoint:
      return GeoPoint(field, value);
  }
  return core::Internal("unknown field type");
}

Result<json::object> ValidateFields(const Definition& def, const ActionDef& form,
                                    const json::value& input) {
  static const json::object kNothing;
  const json::object* given = input.is_null() ? &kNothing : input.if_object();
  if (given == nullptr) return core::InvalidArgument("表单内容应为对象", "fields");
  for (const auto& [key, value] : *given) {
    const std::string_view name(key.data(), key.size());
    if (Has(form.fields, name)) continue;
    const FieldDef* field = def.FindField(name);
    if (field == nullptr) {
      return core::InvalidArgument(fmt::format("没有“{}”这个字段", name), std::string(name));
    }
    return core::InvalidArgument(fmt::format("“{}”不能在此填写", field->labels.zh),
                                 std::string(name));
  }
  json::object out;
  for (const std::string& name : form.fields) {
    const FieldDef& field = *def.FindField(name);
    const json::value* value = given->if_contains(name);
    if (value == nullptr || IsEmpty(*value)) {
      if (Has(form.required, name)) return Bad(field, MissingMessage(field));
      if (value == nullptr || !value->is_array()) continue;  // [] clears a list
    }
    json::value normalized = TRY(ValidateValue(def, field, *value));
    if (IsEmpty(normalized)) {
      if (Has(form.required, name)) return Bad(field, MissingMessage(field));
      if (!normalized.is_array()) continue;
    }
    out[name] = std::move(normalized);
  }
  return out;
}

bool MayAct(const ActionDef& action, const Actor& actor) {
  return std::any_of(action.actors.begin(), action.actors.end(), [&](const ActorRule& rule) {
    if (!rule.unit_types.empty() && !Has(rule.unit_types, actor.unit_type)) return false;
    if (!rule.roles.empty() && std::none_of(actor.roles.begin(), actor.roles.end(),
                                            [&](const auto& r) { return Has(rule.roles, r); })) {
      return false;
    }
    return rule.relation == Relation::kAny ||
           std::find(actor.relations.begin(), actor.relations.end(), rule.relation) !=
               actor.relations.end();
  });
}

std::vector<const ActionDef*> AllowedActions(const Definition& def, std::string_view state,
                                             const Actor& actor) {
  std::vector<const ActionDef*> out;
  for (const ActionDef& action : def.actions) {
    if (Has(action.from, state) && MayAct(action, actor)) out.push_back(&action);
  }
  return out;
}

Result<Plan> PlanCreate(const Definition& def, const Actor& actor, const json::value& input,
                        std::int64_t now_ms, const core::WorkCalendar& calendar) {
  if (!MayAct(def.create, actor)) {
    return core::PermissionDenied(fmt::format("无权新建{}", def.labels.zh));
  }
  return PlanCommon(def, def.create, nullptr, actor, input, now_ms, calendar);
}

Result<Plan> PlanAction(const Definition& def, const MatterSnapshot& matter,
                        std::string_view action_name, const Actor& actor, const json::value& input,
                        std::int64_t now_ms, const core::WorkCalendar& calendar) {
  const ActionDef* action = def.FindAction(action_name);
  if (action == nullptr || action == &def.create) {
    return core::NotFound(fmt::format("{}没有“{}”这项操作", def.labels.zh, action_name));
  }
  if (!MayAct(*action, actor)) {
    return core::PermissionDenied(fmt::format("无权{}", action->labels.zh));
  }
  if (!Has(action->from, matter.state)) {
    const StateDef* state = def.FindState(matter.state);
    return core::FailedPrecondition(fmt::format(
        "事项当前为“{}”，不能{}", state ? state->labels.zh : matter.state, action->labels.zh));
  }
  if (!action->within.empty()) {
    const DeadlineDef& deadline = *def.FindDeadline(action->within);
    auto running = std::find_if(matter.deadlines.begin(), matter.deadlines.end(),
                                [&](const ActiveDeadline& d) { return d.name == deadline.name; });
    if (running == matter.deadlines.end()) {
      return core::FailedPrecondition(
          fmt::format("“{}”未在计时，不能{}", deadline.labels.zh, action->labels.zh));
    }
    if (now_ms >= running->due_ms) {
      return core::FailedPrecondition(
          fmt::format("已超过“{}”，不能{}", deadline.labels.zh, action->labels.zh));
    }
  }
  return PlanCommon(def, *action, &matter, actor, input, now_ms, calendar);
}

Result<DeadlineToSet> ComputeDeadline(const DeadlineDef& deadline, std::int64_t start_ms,
                                      const core::WorkCalendar& calendar) {
  DeadlineToSet out;
  out.name = deadline.name;
  out.started_ms = start_ms;
  const TimeLimit& limit = deadline.limit;
  if (limit.hours > 0) {
    out.due_ms = start_ms + limit.hours * kHourMs;
    out.due_date = core::FormatDate(ChinaDateOf(out.due_ms - 1));
    out.provisional = calendar.Day(ChinaDateOf(out.due_ms - 1)).provisional;
    return out;
  }
  const core::Date start = ChinaDateOf(start_ms);
  core::CalendarDeadline last = limit.working_days > 0
                                    ? TRY(calendar.AddWorkingDays(start, limit.working_days))
                                    : TRY(calendar.AddCalendarDays(start, limit.calendar_days));
  out.due_ms = ChinaDayStartMs(last.date + std::chrono::days(1));
  out.due_date = core::FormatDate(last.date);
  out.provisional = last.provisional;
  return out;
}

std::string_view DeadlineStatusName(DeadlineStatus status) {
  switch (status) {
    case DeadlineStatus::kOk:
      return "ok";
    case DeadlineStatus::kDueSoon:
      return "due_soon";
    case DeadlineStatus::kOverdue:
      return "overdue";
  }
  return {};
}

DeadlineStatus ClassifyDeadline(std::int64_t due_ms, std::int64_t now_ms,
                                const core::WorkCalendar& calendar) {
  if (now_ms >= due_ms) return DeadlineStatus::kOverdue;
  const int left = calendar.WorkingDaysBetween(ChinaDateOf(now_ms), ChinaDateOf(due_ms - 1));
  return left <= 1 ? DeadlineStatus::kDueSoon : DeadlineStatus::kOk;
}

std::string FormatNumber(const Definition& def, std::string_view unit_abbreviation, int year,
                         std::int64_t sequence) {
  std::string out;
  const std::string& pattern = def.number.pattern;
  for (std::size_t i = 0; i < pattern.size();) {
    auto take = [&](std::string_view token, auto value) {
      if (pattern.compare(i, token.size(), token) != 0) return false;
      out += fmt::format("{}", value);
      i += token.size();
      return true;
    };
    if (take("{unit}", unit_abbreviation) || take("{word}", def.number.word) ||
        take("{year}", year) || take("{seq}", sequence)) {
      continue;
    }
    out += pattern[i++];
  }
  return out;
}

}  // namespace lvyuan::workflow
