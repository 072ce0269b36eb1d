#include "workflow/registry.h"

#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <set>
#include <sstream>

#include "workflow/engine.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return core::NotFound(fmt::format("cannot read {}", path.filename().string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<json::value> ParseJson(std::string_view text, std::string_view source) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec)
    return core::InvalidArgument(fmt::format("{}: not valid JSON ({})", source, ec.message()));
  return v;
}

std::string Join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// Reads one definition file, producing errors "file: path message" whose
// field is the JSON path.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  core::Error Fail(std::string_view path, std::string_view message) const {
    return core::InvalidArgument(fmt::format("{}: {} {}", file_, path, message), std::string(path));
  }

  Status Keys(const json::object& object, std::string_view path,
              std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, value] : object) {
      const std::string_view k(key.data(), key.size());
      if (k == "_comment") continue;
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
        return Fail(path, fmt::format("has unknown key \"{}\"", k));
      }
    }
    return core::Ok();
  }

  Result<const json::object*> Object(const json::value& v, std::string_view path) const {
    if (!v.is_object()) return Fail(path, "must be an object");
    return &v.as_object();
  }

  // The string at object[key]; empty when absent and not required.
  Result<std::string> String(const json::object& object, std::string_view key,
                             std::string_view path, bool required) const {
    const json::value* v = object.if_contains(key);
    const std::string where = At(path, key);
    if (v == nullptr) {
      if (required) return Fail(where, "is missing");
      return std::string();
    }
    if (!v->is_string() || (required && v->as_string().empty())) {
      return Fail(where, "must be a non-empty string");
    }
    return std::string(v->as_string());
  }

  Result<std::vector<std::string>> Strings(const json::object& object, std::string_view key,
                                           std::string_view path) const {
    std::vector<std::string> out;
    const json::value* v = object.if_contains(key);
    if (v == nullptr) return out;
    const std::string where = At(path, key);
    if (!v->is_array()) return Fail(where, "must be an array of strings");
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const json::value& item = v->as_array()[i];
      if (!item.is_string() || item.as_string().empty()) {
        return Fail(Index(where, i), "must be a non-empty string");
      }
      out.emplace_back(item.as_string());
    }
    return out;
  }

  Result<bool> Bool(const json::object& object, std::string_view key, std::string_view path,
                    bool fallback) const {
    const json::value* v = object.if_contains(key);
    if (v == nullptr) return fallback;
    if (!v->is_bool()) return Fail(At(path, key), "must be true or false");
    return v->as_bool();
  }

  Result<std::optional<double>> Number(const json::object& object, std::string_view key,
                                       std::string_view path) const {
    const json::value* v = object.if_contains(key);
    if (v == nullptr) return std::optional<double>();
    if (!v->is_number()) return Fail(At(path, key), "must be a number");
    return std::optional<double>(v->to_number<double>());
  }

  Result<std::optional<std::size_t>> Count(const json::object& object, std::string_view key,
                                           std::string_view path) const {
    const json::value* v = object.if_contains(key);
    if (v == nullptr) return std::optional<std::size_t>();
    if (!v->is_int64() || v->as_int64() < 0) {
      return Fail(At(path, key), "must be a whole number ≥ 0");
    }
    return std::optional<std::size_t>(static_cast<std::size_t>(v->as_int64()));
  }

  Result<Labels> LabelsOf(const json::object& object, std::string_view key, std::string_view path,
                          bool required) const {
    const json::value* v = object.if_contains(key);
    const std::string where = At(path, key);
    if (v == nullptr) {
      if (required) return Fail(where, "is missing");
      return Labels{};
    }
    const json::object* o = TRY(Object(*v, where));
    TRY(Keys(*o, where, {"zh", "en"}));
    Labels labels;
    labels.zh = TRY(String(*o, "zh", where, true));
    labels.en = TRY(String(*o, "en", where, true));
    return labels;
  }

  Result<std::vector<Relation>> Relations(const json::object& object, std::string_view key,
                                          std::string_view path) const {
    const auto names = TRY(Strings(object, key, path));
    std::vector<Relation> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
      auto relation = ParseRelation(names[i]);
      if (!relation || *relation == Relation::kAny) {
        return Fail(Index(At(path, key), i), fmt::format("\"{}\" is not a relation", names[i]));
      }
      out.push_back(*relation);
    }
    return out;
  }

  static std::string At(std::string_view path, std::string_view key) {
    if (path.empty()) return std::string(key);
    return fmt::format("{}.{}", path, key);
  }
  static std::string Index(std::string_view path, std::size_t i) {
    return fmt::format("{}[{}]", path, i);
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

bool IsName(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

class DefinitionParser {
 public:
  DefinitionParser(const Reader& reader, const Catalogs& catalogs, const GuardRegistry& guards)
      : r_(reader), catalogs_(catalogs), guards_(guards) {}

  Result<Definition> Parse(const json::value& root, std::string_view expected_kind) {
    const json::object* o = TRY(r_.Object(root, "(root)"));
    TRY(r_.Keys(
        *o, "(root)",
        {"kind", "labels", "number", "fields", "states", "create", "actions", "deadlines"}));
    Definition def;
    def.regions = catalogs_.regions;
    def.kind = TRY(r_.String(*o, "kind", "", true));
    if (def.kind != expected_kind) {
      return r_.Fail("kind", fmt::format("\"{}\" does not match the file name", def.kind));
    }
    def.labels = TRY(r_.LabelsOf(*o, "labels", "", true));
    TRY(ParseNumber(*o, def));
    TRY(ParseFields(*o, def));
    TRY(ParseStates(*o, def));
    TRY(ParseDeadlines(*o, def));
    const json::value* create = o->if_contains("create");
    if (create == nullptr) return r_.Fail("create", "is missing");
    def.create = TRY(ParseAction(*create, "create", def, true));
    const json::value* actions = o->if_contains("actions");
    if (actions == nullptr || !actions->is_array()) {
      return r_.Fail("actions", "must be an array");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < actions->as_array().size(); ++i) {
      const std::string path = Reader::Index("actions", i);
      ActionDef action = TRY(ParseAction(actions->as_array()[i], path, def, false));
      if (!names.insert(action.name).second || action.name == "create") {
        return r_.Fail(Reader::At(path, "name"), fmt::format("\"{}\" is a duplicate", action.name));
      }
      def.actions.push_back(std::move(action));
    }
    TRY(CheckDeadlineEvents(def));
    TRY(CheckStateGraph(def));
    return def;
  }

 private:
  Status ParseNumber(const json::object& o, Definition& def) {
    const json::value* v = o.if_contains("number");
    if (v == nullptr) return r_.Fail("number", "is missing");
    const json::object* n = TRY(r_.Object(*v, "number"));
    TRY(r_.Keys(*n, "number", {"word", "pattern"}));
    def.number.word = TRY(r_.String(*n, "word", "number", true));
    def.number.pattern = TRY(r_.String(*n, "pattern", "number", true));
    std::string rest = def.number.pattern;
    for (std::string_view p : {"{unit}", "{word}", "{year}", "{seq}"}) {
      for (auto at = rest.find(p); at != std::string::npos; at = rest.find(p)) {
        rest.erase(at, p.size());
      }
    }
    if (rest.find('{') != std::string::npos || rest.find('}') != std::string::npos) {
      return r_.Fail("number.pattern", "may use only {unit}, {word}, {year} and {seq}");
    }
    if (def.number.pattern.find("{seq}") == std::string::npos) {
      return r_.Fail("number.pattern", "must contain {seq}");
    }
    return core::Ok();
  }

  Status ParseFields(const json::object& o, Definition& def) {
    const json::value* v = o.if_contains("fields");
    if (v == nullptr || !v->is_array()) return r_.Fail("fields", "must be an array");
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const std::string path = Reader::Index("fields", i);
      const json::object* f = TRY(r_.Object(v->as_array()[i], path));
      TRY(r_.Keys(*f, path,
                  {"name", "type", "labels", "help", "dict", "min", "max", "min_length",
                   "max_length", "min_items", "max_items", "pattern", "pattern_message", "integer",
                   "bounds", "multiple", "transient"}));
      FieldDef field;
      field.name = TRY(r_.String(*f, "name", path, true));
      if (!IsName(field.name)) {
        return r_.Fail(Reader::At(path, "name"),
                       fmt::format("\"{}\" must be lower-case letters, digits and _", field.name));
      }
      if (def.FindField(field.name) != nullptr) {
        return r_.Fail(Reader::At(path, "name"), fmt::format("\"{}\" is a duplicate", field.name));
      }
      const std::string type = TRY(r_.String(*f, "type", path, true));
      auto parsed = ParseFieldType(type);
      if (!parsed) {
        return r_.Fail(Reader::At(path, "type"), fmt::format("\"{}\" is not a field type", type));
      }
      field.type = *parsed;
      field.labels = TRY(r_.LabelsOf(*f, "labels", path, true));
      field.help = TRY(r_.LabelsOf(*f, "help", path, false));
      field.min = TRY(r_.Number(*f, "min", path));
      field.max = TRY(r_.Number(*f, "max", path));
      field.min_length = TRY(r_.Count(*f, "min_length", path));
      field.max_length = TRY(r_.Count(*f, "max_length", path));
      field.min_items = TRY(r_.Count(*f, "min_items", path));
      field.max_items = TRY(r_.Count(*f, "max_items", path));
      field.integer = TRY(r_.Bool(*f, "integer", path, false));
      field.multiple = TRY(r_.Bool(*f, "multiple", path, false));
      field.transient = TRY(r_.Bool(*f, "transient", path, false));
      if (field.multiple && field.type != FieldType::kEnum) {
        return r_.Fail(Reader::At(path, "multiple"), "is only for enum fields");
      }
      field.pattern = TRY(r_.String(*f, "pattern", path, false));
      field.pattern_message = TRY(r_.LabelsOf(*f, "pattern_message", path, false));
      if (!field.pattern.empty()) {
        try {
          field.compiled_pattern = std::make_shared<const std::regex>(field.pattern);
        } catch (const std::regex_error&) {
          return r_.Fail(Reader::At(path, "pattern"), "is not a valid regular expression");
        }
      }
      field.dict = TRY(r_.String(*f, "dict", path, false));
      if (field.type == FieldType::kEnum) {
        if (field.dict.empty()) return r_.Fail(Reader::At(path, "dict"), "is missing");
        auto dict = catalogs_.dictionaries.find(field.dict);
        if (dict == catalogs_.dictionaries.end()) {
          return r_.Fail(Reader::At(path, "dict"),
                         fmt::format("\"{}\" is not a dictionary", field.dict));
        }
        field.items = dict->second;
      } else if (!field.dict.empty()) {
        return r_.Fail(Reader::At(path, "dict"), "is only for enum fields");
      }
      if (const json::value* b = f->if_contains("bounds")) {
        const std::string where = Reader::At(path, "bounds");
        const json::object* bo = TRY(r_.Object(*b, where));
        TRY(r_.Keys(*bo, where, {"min_lat", "max_lat", "min_lng", "max_lng"}));
        auto read = [&](std::string_view key, double& out, double lo, double hi) -> Status {
          auto value = TRY(r_.Number(*bo, key, where));
          if (!value) return r_.Fail(Reader::At(where, key), "is missing");
          if (*value < lo || *value > hi) return r_.Fail(Reader::At(where, key), "is out of range");
          out = *value;
          return core::Ok();
        };
        TRY(read("min_lat", field.bounds.min_lat, -90, 90));
        TRY(read("max_lat", field.bounds.max_lat, -90, 90));
        TRY(read("min_lng", field.bounds.min_lng, -180, 180));
        TRY(read("max_lng", field.bounds.max_lng, -180, 180));
      }
      if (field.min && field.max && *field.min > *field.max) {
        return r_.Fail(Reader::At(path, "min"), "is greater than max");
      }
      def.fields.push_back(std::move(field));
    }
    return core::Ok();
  }

  Status ParseStates(const json::object& o, Definition& def) {
    const json::value* v = o.if_contains("states");
    if (v == nullptr || !v->is_array()) return r_.Fail("states", "must be an array");
    static const std::vector<std::string> kCategories = {"pending", "processing", "success",
                                                         "warning", "danger",     "closed"};
    std::string initial;
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const std::string path = Reader::Index("states", i);
      const json::object* s = TRY(r_.Object(v->as_array()[i], path));
      TRY(r_.Keys(*s, path, {"name", "labels", "initial", "final", "category"}));
      StateDef state;
      state.name = TRY(r_.String(*s, "name", path, true));
      if (!IsName(state.name)) {
        return r_.Fail(Reader::At(path, "name"),
                       fmt::format("\"{}\" must be lower-case letters, digits and _", state.name));
      }
      if (def.FindState(state.name) != nullptr) {
        return r_.Fail(Reader::At(path, "name"), fmt::format("\"{}\" is a duplicate", state.name));
      }
      state.labels = TRY(r_.LabelsOf(*s, "labels", path, true));
      state.initial = TRY(r_.Bool(*s, "initial", path, false));
      state.final = TRY(r_.Bool(*s, "final", path, false));
      state.category = TRY(r_.String(*s, "category", path, true));
      if (!Contains(kCategories, state.category)) {
        return r_.Fail(Reader::At(path, "category"),
                       fmt::format("\"{}\" is not one of {}", state.category, Join(kCategories)));
      }
      if (state.initial) {
        if (!initial.empty()) {
          return r_.Fail(
              Reader::At(path, "initial"),
              fmt::format("makes a second initial state (\"{}\" is already initial)", initial));
        }
        if (state.final)
          return r_.Fail(Reader::At(path, "final"), "an initial state cannot be final");
        initial = state.name;
      }
      def.states.push_back(std::move(state));
    }
    if (initial.empty()) return r_.Fail("states", "has no initial state");
    return core::Ok();
  }

  Status ParseDeadlines(const json::object& o, Definition& def) {
    const json::value* v = o.if_contains("deadlines");
    if (v == nullptr) return core::Ok();
    if (!v->is_array()) return r_.Fail("deadlines", "must be an array");
    for (std::size_t i = 0; i < v->as_array().size(); ++i) {
      const std::string path = Reader::Index("deadlines", i);
      const json::object* d = TRY(r_.Object(v->as_array()[i], path));
      TRY(r_.Keys(*d, path, {"name", "labels", "limit", "starts_on", "cleared_by", "on_miss"}));
      DeadlineDef deadline;
      deadline.name = TRY(r_.String(*d, "name", path, true));
      if (def.FindDeadline(deadline.name) != nullptr) {
        return r_.Fail(Reader::At(path, "name"),
                       fmt::format("\"{}\" is a duplicate", deadline.name));
      }
      deadline.labels = TRY(r_.LabelsOf(*d, "labels", path, true));
      const std::string limit = TRY(r_.String(*d, "limit", path, true));
      auto found = catalogs_.time_limits.find(limit);
      if (found == catalogs_.time_limits.end()) {
        return r_.Fail(Reader::At(path, "limit"), fmt::format("\"{}\" is not a time limit", limit));
      }
      deadline.limit = found->second;
      deadline.starts_on = TRY(r_.Strings(*d, "starts_on", path));
      if (deadline.starts_on.empty()) {
        return r_.Fail(Reader::At(path, "starts_on"), "must name at least one event");
      }
      deadline.cleared_by = TRY(r_.Strings(*d, "cleared_by", path));
      if (const json::value* miss = d->if_contains("on_miss")) {
        const std::string where = Reader::At(path, "on_miss");
        const json::object* m = TRY(r_.Object(*miss, where));
        TRY(r_.Keys(*m, where, {"mark_overdue", "notify"}));
        deadline.mark_overdue = TRY(r_.Bool(*m, "mark_overdue", where, true));
        deadline.notify_on_miss = TRY(r_.Relations(*m, "notify", where));
      }
      def.deadlines.push_back(std::move(deadline));
    }
    return core::Ok();
  }

  Result<ActorRule> ParseActor(const json::value& v, const std::string& path, bool create) {
    const json::object* a = TRY(r_.Object(v, path));
    TRY(r_.Keys(*a, path, {"roles", "unit_types", "relation"}));
    ActorRule rule;
    rule.roles = TRY(r_.Strings(*a, "roles", path));
    rule.unit_types = TRY(r_.Strings(*a, "unit_types", path));
    for (std::size_t i = 0; i < rule.unit_types.size(); ++i) {
      if (!Contains(catalogs_.unit_types, rule.unit_types[i])) {
        return r_.Fail(Reader::Index(Reader::At(path, "unit_types"), i),
                       fmt::format("\"{}\" is not a unit type", rule.unit_types[i]));
      }
    }
    for (std::size_t i = 0; i < rule.roles.size(); ++i) {
      auto role = std::find_if(catalogs_.roles.begin(), catalogs_.roles.end(),
                               [&](const RoleInfo& info) { return info.code == rule.roles[i]; });
      const std::string where = Reader::Index(Reader::At(path, "roles"), i);
      if (role == catalogs_.roles.end()) {
        return r_.Fail(where, fmt::format("\"{}\" is not a role", rule.roles[i]));
      }
      if (!role->unit_types.empty() && !rule.unit_types.empty() &&
          std::none_of(rule.unit_types.begin(), rule.unit_types.end(),
                       [&](const std::string& t) { return Contains(role->unit_types, t); })) {
        return r_.Fail(where, fmt::format("\"{}\" cannot be held in a unit of type {}",
                                          rule.roles[i], Join(rule.unit_types)));
      }
    }
    const std::string relation = TRY(r_.String(*a, "relation", path, false));
    if (!relation.empty()) {
      auto parsed = ParseRelation(relation);
      if (!parsed) {
        return r_.Fail(Reader::At(path, "relation"),
                       fmt::format("\"{}\" is not a relation", relation));
      }
      rule.relation = *parsed;
    }
    if (create && rule.relation != Relation::kAny) {
      return r_.Fail(Reader::At(path, "relation"),
                     "must be \"any\": a matter being created has no participants yet");
    }
    return rule;
  }

  Status CheckFieldName(const Definition& def, const std::string& name, const std::string& where,
                        std::initializer_list<FieldType> types = {}) {
    const FieldDef* field = def.FindField(name);
    if (field == nullptr) return r_.Fail(where, fmt::format("\"{}\" is not a field", name));
    if (types.size() != 0 && std::find(types.begin(), types.end(), field->type) == types.end()) {
      std::string wanted;
      for (FieldType type : types) {
        if (!wanted.empty()) wanted += " or ";
        wanted += FieldTypeName(type);
      }
      return r_.Fail(where, fmt::format("\"{}\" is a {} field, not a {} field", name,
                                        FieldTypeName(field->type), wanted));
    }
    return core::Ok();
  }

  Result<EffectDef> ParseEffect(const json::value& v, const std::string& path,
                                const Definition& def) {
    const json::object* e = TRY(r_.Object(v, path));
    TRY(r_.Keys(*e, path,
                {"type", "kind", "for_each", "map", "set", "copy_participants", "relation",
                 "units_from", "actor_unit", "unit_type", "units_matching"}));
    EffectDef effect;
    const std::string type = TRY(r_.String(*e, "type", path, true));
    if (type == "open_matter") {
      effect.type = EffectType::kOpenMatter;
    } else if (type == "add_participant") {
      effect.type = EffectType::kAddParticipant;
    } else if (type == "remove_participant") {
      effect.type = EffectType::kRemoveParticipant;
    } else if (type == "share") {
      effect.type = EffectType::kShare;
    } else {
      return r_.Fail(Reader::At(path, "type"), fmt::format("\"{}\" is not an effect type", type));
    }
    if (effect.type == EffectType::kOpenMatter) {
      effect.kind = TRY(r_.String(*e, "kind", path, true));
      effect.for_each = TRY(r_.String(*e, "for_each", path, false));
      if (!effect.for_each.empty()) {
        TRY(CheckFieldName(def, effect.for_each, Reader::At(path, "for_each"),
                           {FieldType::kUnit, FieldType::kUnits}));
      }
      if (const json::value* map = e->if_contains("map")) {
        const std::string where = Reader::At(path, "map");
        const json::object* m = TRY(r_.Object(*map, where));
        for (const auto& [target, source] : *m) {
          const std::string key(target.data(), target.size());
          if (!source.is_string()) return r_.Fail(Reader::At(where, key), "must be a field name");
          const std::string from(source.as_string());
          if (from == "$each") {
            if (effect.for_each.empty()) {
              return r_.Fail(Reader::At(where, key), "\"$each\" needs for_each");
            }
          } else {
            TRY(CheckFieldName(def, from, Reader::At(where, key)));
          }
          effect.map[key] = from;
        }
      }
      if (const json::value* set = e->if_contains("set")) {
        const json::object* s = TRY(r_.Object(*set, Reader::At(path, "set")));
        effect.set = *s;
      }
      effect.copy_participants = TRY(r_.Relations(*e, "copy_participants", path));
      return effect;
    }
    if (e->contains("copy_participants")) {
      return r_.Fail(Reader::At(path, "copy_participants"), "only an open_matter effect copies");
    }
    if (effect.type != EffectType::kShare) {
      const std::string relation = TRY(r_.String(*e, "relation", path, true));
      auto parsed = ParseRelation(relation);
      if (!parsed || *parsed == Relation::kAny) {
        return r_.Fail(Reader::At(path, "relation"),
                       fmt::format("\"{}\" is not a relation", relation));
      }
      effect.relation = *parsed;
    }
    effect.units.actor_unit = TRY(r_.Bool(*e, "actor_unit", path, false));
    effect.units.field = TRY(r_.String(*e, "units_from", path, false));
    effect.units.unit_type = TRY(r_.String(*e, "unit_type", path, false));
    if (const json::value* matching = e->if_contains("units_matching")) {
      const std::string where = Reader::At(path, "units_matching");
      const json::object* m = TRY(r_.Object(*matching, where));
      TRY(r_.Keys(*m, where, {"unit_types_from", "region_from"}));
      effect.units.matching = true;
      effect.units.types_field = TRY(r_.String(*m, "unit_types_from", where, false));
      effect.units.region_field = TRY(r_.String(*m, "region_from", where, false));
      if (!effect.units.types_field.empty()) {
        const std::string at = Reader::At(where, "unit_types_from");
        const FieldDef* field = def.FindField(effect.units.types_field);
        if (field == nullptr || field->type != FieldType::kEnum || field->dict != "unit_types") {
          return r_.Fail(at, fmt::format("\"{}\" is not an enum field of the unit_types dictionary",
                                         effect.units.types_field));
        }
      }
      if (!effect.units.region_field.empty()) {
        TRY(CheckFieldName(def, effect.units.region_field, Reader::At(where, "region_from"),
                           {FieldType::kRegion}));
      }
    }
    const int selectors = (effect.units.actor_unit ? 1 : 0) + (effect.units.field.empty() ? 0 : 1) +
                          (effect.units.unit_type.empty() ? 0 : 1) +
                          (effect.units.matching ? 1 : 0);
    if (selectors != 1) {
      return r_.Fail(path,
                     "must name its units by exactly one of actor_unit, units_from, unit_type, "
                     "units_matching");
    }
    if (!effect.units.field.empty()) {
      TRY(CheckFieldName(def, effect.units.field, Reader::At(path, "units_from"),
                         {FieldType::kUnit, FieldType::kUnits}));
    }
    if (!effect.units.unit_type.empty() &&
        !Contains(catalogs_.unit_types, effect.units.unit_type)) {
      return r_.Fail(Reader::At(path, "unit_type"),
                     fmt::format("\"{}\" is not a unit type", effect.units.unit_type));
    }
    return effect;
  }

  Result<ActionDef> ParseAction(const json::value& v, const std::string& path,
                                const Definition& def, bool create) {
    const json::object* a = TRY(r_.Object(v, path));
    if (create) {
      TRY(r_.Keys(*a, path,
                  {"labels", "actors", "fields", "required", "guards", "notify", "effects"}));
    } else {
      TRY(r_.Keys(*a, path,
                  {"name", "labels", "from", "to", "actors", "fields", "required", "guards",
                   "within", "notify", "effects", "style"}));
    }
    ActionDef action;
    if (create) {
      action.name = "create";
      action.labels = TRY(r_.LabelsOf(*a, "labels", path, false));
      if (action.labels.zh.empty()) action.labels = {"新建", "Create"};
      action.to = def.initial_state().name;
    } else {
      action.name = TRY(r_.String(*a, "name", path, true));
      if (!IsName(action.name)) {
        return r_.Fail(Reader::At(path, "name"),
                       fmt::format("\"{}\" must be lower-case letters, digits and _", action.name));
      }
      action.labels = TRY(r_.LabelsOf(*a, "labels", path, true));
      action.from = TRY(r_.Strings(*a, "from", path));
      if (action.from.empty()) return r_.Fail(Reader::At(path, "from"), "must name a state");
      for (std::size_t i = 0; i < action.from.size(); ++i) {
        const std::string where = Reader::Index(Reader::At(path, "from"), i);
        const StateDef* state = def.FindState(action.from[i]);
        if (state == nullptr) {
          return r_.Fail(where, fmt::format("\"{}\" is not a state", action.from[i]));
        }
        if (state->final) {
          return r_.Fail(where, fmt::format("\"{}\" is a final state", action.from[i]));
        }
      }
      action.to = TRY(r_.String(*a, "to", path, false));
      if (!action.to.empty() && def.FindState(action.to) == nullptr) {
        return r_.Fail(Reader::At(path, "to"), fmt::format("\"{}\" is not a state", action.to));
      }
      action.within = TRY(r_.String(*a, "within", path, false));
      if (!action.within.empty() && def.FindDeadline(action.within) == nullptr) {
        return r_.Fail(Reader::At(path, "within"),
                       fmt::format("\"{}\" is not a deadline", action.within));
      }
      action.style = TRY(r_.String(*a, "style", path, false));
      if (action.style.empty()) action.style = "default";
      if (action.style != "primary" && action.style != "default" && action.style != "danger") {
        return r_.Fail(Reader::At(path, "style"),
                       fmt::format("\"{}\" is not primary, default or danger", action.style));
      }
    }
    const json::value* actors = a->if_contains("actors");
    if (actors != nullptr && !actors->is_array()) {
      return r_.Fail(Reader::At(path, "actors"), "must be an array");
    }
    if (actors == nullptr || actors->as_array().empty()) {
      return r_.Fail(Reader::At(path, "actors"), "is empty: every action needs an actor rule");
    }
    for (std::size_t i = 0; i < actors->as_array().size(); ++i) {
      action.actors.push_back(TRY(
          ParseActor(actors->as_array()[i], Reader::Index(Reader::At(path, "actors"), i), create)));
    }
    action.fields = TRY(r_.Strings(*a, "fields", path));
    std::set<std::string> seen;
    for (std::size_t i = 0; i < action.fields.size(); ++i) {
      const std::string where = Reader::Index(Reader::At(path, "fields"), i);
      TRY(CheckFieldName(def, action.fields[i], where));
      if (!seen.insert(action.fields[i]).second) {
        return r_.Fail(where, fmt::format("\"{}\" is a duplicate", action.fields[i]));
      }
    }
    action.required = TRY(r_.Strings(*a, "required", path));
    for (std::size_t i = 0; i < action.required.size(); ++i) {
      if (!Contains(action.fields, action.required[i])) {
        return r_.Fail(Reader::Index(Reader::At(path, "required"), i),
                       fmt::format("\"{}\" is not in the action's fields", action.required[i]));
      }
    }
    action.guards = TRY(r_.Strings(*a, "guards", path));
    for (std::size_t i = 0; i < action.guards.size(); ++i) {
      const Guard* guard = guards_.Find(action.guards[i]);
      if (guard == nullptr) {
        return r_.Fail(Reader::Index(Reader::At(path, "guards"), i),
                       fmt::format("\"{}\" is not a registered guard", action.guards[i]));
      }
      action.guard_functions.push_back(*guard);
    }
    if (const json::value* notify = a->if_contains("notify")) {
      const std::string where = Reader::At(path, "notify");
      if (!notify->is_array()) return r_.Fail(where, "must be an array");
      for (std::size_t i = 0; i < notify->as_array().size(); ++i) {
        const std::string item = Reader::Index(where, i);
        const json::object* n = TRY(r_.Object(notify->as_array()[i], item));
        TRY(r_.Keys(*n, item, {"relations", "roles", "labels"}));
        Notification notification;
        notification.relations = TRY(r_.Relations(*n, "relations", item));
        if (notification.relations.empty()) {
          return r_.Fail(Reader::At(item, "relations"), "must name at least one relation");
        }
        notification.roles = TRY(r_.Strings(*n, "roles", item));
        for (std::size_t k = 0; k < notification.roles.size(); ++k) {
          if (std::none_of(
                  catalogs_.roles.begin(), catalogs_.roles.end(),
                  [&](const RoleInfo& role) { return role.code == notification.roles[k]; })) {
            return r_.Fail(Reader::Index(Reader::At(item, "roles"), k),
                           fmt::format("\"{}\" is not a role", notification.roles[k]));
          }
        }
        notification.labels = TRY(r_.LabelsOf(*n, "labels", item, true));
        action.notify.push_back(std::move(notification));
      }
    }
    if (const json::value* effects = a->if_contains("effects")) {
      const std::string where = Reader::At(path, "effects");
      if (!effects->is_array()) return r_.Fail(where, "must be an array");
      for (std::size_t i = 0; i < effects->as_array().size(); ++i) {
        action.effects.push_back(
            TRY(ParseEffect(effects->as_array()[i], Reader::Index(where, i), def)));
      }
    }
    return action;
  }

  Status CheckDeadlineEvents(const Definition& def) {
    for (std::size_t i = 0; i < def.deadlines.size(); ++i) {
      const DeadlineDef& d = def.deadlines[i];
      const std::string path = Reader::Index("deadlines", i);
      for (std::size_t k = 0; k < d.starts_on.size(); ++k) {
        if (d.starts_on[k] != "created" && def.FindAction(d.starts_on[k]) == nullptr) {
          return r_.Fail(
              Reader::Index(Reader::At(path, "starts_on"), k),
              fmt::format("\"{}\" is neither \"created\" nor an action", d.starts_on[k]));
        }
      }
      for (std::size_t k = 0; k < d.cleared_by.size(); ++k) {
        const ActionDef* action = def.FindAction(d.cleared_by[k]);
        if (action == nullptr || action->name == "create") {
          return r_.Fail(Reader::Index(Reader::At(path, "cleared_by"), k),
                         fmt::format("\"{}\" is not an action", d.cleared_by[k]));
        }
      }
    }
    return core::Ok();
  }

  Status CheckStateGraph(const Definition& def) {
    std::set<std::string> reached = {def.initial_state().name};
    std::deque<std::string> queue = {def.initial_state().name};
    while (!queue.empty()) {
      const std::string state = queue.front();
      queue.pop_front();
      for (const ActionDef& action : def.actions) {
        if (action.to.empty() || !Contains(action.from, state)) continue;
        if (reached.insert(action.to).second) queue.push_back(action.to);
      }
    }
    for (std::size_t i = 0; i < def.states.size(); ++i) {
      const StateDef& state = def.states[i];
      const std::string path = Reader::Index("states", i);
      if (!reached.contains(state.name)) {
        return r_.Fail(path,
                       fmt::format("\"{}\" cannot be reached from the initial state", state.name));
      }
      if (state.final) continue;
      const bool way_out = std::any_of(def.actions.begin(), def.actions.end(), [&](const auto& a) {
        return Contains(a.from, state.name) && !a.to.empty() && a.to != state.name;
      });
      if (!way_out) {
        return r_.Fail(
            path, fmt::format("\"{}\" is not final but no action leads out of it", state.name));
      }
    }
    return core::Ok();
  }

  const Reader& r_;
  const Catalogs& catalogs_;
  const GuardRegistry& guards_;
};

bool Compatible(FieldType target, FieldType source) {
  if (target == source) return true;
  const auto text = [](FieldType t) { return t == FieldType::kText || t == FieldType::kRichText; };
  return (text(target) && text(source)) ||
         (target == FieldType::kUnit && source == FieldType::kUnits) ||
         (target == FieldType::kUnits && source == FieldType::kUnit);
}

// Effects name other kinds: checked once every definition is parsed.
Status CheckEffects(const Definition& def, const ActionDef& action, const std::string& path,
                    const Registry& registry, const Reader& r) {
  for (std::size_t i = 0; i < action.effects.size(); ++i) {
    const EffectDef& effect = action.effects[i];
    if (effect.type != EffectType::kOpenMatter) continue;
    const std::string where = Reader::Index(Reader::At(path, "effects"), i);
    const Definition* target = registry.Find(effect.kind);
    if (target == nullptr) {
      return r.Fail(Reader::At(where, "kind"), fmt::format("\"{}\" is not a kind", effect.kind));
    }
    for (const auto& [to, from] : effect.map) {
      const FieldDef* target_field = target->FindField(to);
      if (target_field == nullptr) {
        return r.Fail(Reader::At(Reader::At(where, "map"), to),
                      fmt::format("\"{}\" is not a field of {}", to, effect.kind));
      }
      if (!Contains(target->create.fields, to)) {
        return r.Fail(Reader::At(Reader::At(where, "map"), to),
                      fmt::format("\"{}\" is not in the create form of {}", to, effect.kind));
      }
      const FieldType source_type = from == "$each" ? FieldType::kUnit : def.FindField(from)->type;
      if (!Compatible(target_field->type, source_type)) {
        return r.Fail(
            Reader::At(Reader::At(where, "map"), to),
            fmt::format("a {} field cannot take the {} field \"{}\"",
                        FieldTypeName(target_field->type), FieldTypeName(source_type), from));
      }
    }
    for (const auto& [key, value] : effect.set) {
      const std::string to(key.data(), key.size());
      const std::string item = Reader::At(Reader::At(where, "set"), to);
      const FieldDef* target_field = target->FindField(to);
      if (target_field == nullptr) {
        return r.Fail(item, fmt::format("\"{}\" is not a field of {}", to, effect.kind));
      }
      if (!Contains(target->create.fields, to)) {
        return r.Fail(item, fmt::format("\"{}\" is not in the create form of {}", to, effect.kind));
      }
      auto checked = ValidateValue(*target, *target_field, value);
      if (!checked.ok()) return r.Fail(item, checked.error().message);
    }
  }
  return core::Ok();
}

}  // namespace

void GuardRegistry::Register(std::string name, Guard guard) {
  guards_[std::move(name)] = std::move(guard);
}

const Guard* GuardRegistry::Find(std::string_view name) const {
  auto it = guards_.find(name);
  return it == guards_.end() ? nullptr : &it->second;
}

Result<TimeLimits> ParseTimeLimits(std::string_view text, std::string_view source) {
  json::value root = TRY(ParseJson(text, source));
  const Reader r{std::string(source)};
  const json::object* o = TRY(r.Object(root, "(root)"));
  TRY(r.Keys(*o, "(root)", {"limits"}));
  const json::value* limits = o->if_contains("limits");
  if (limits == nullptr) return r.Fail("limits", "is missing");
  const json::object* l = TRY(r.Object(*limits, "limits"));
  TimeLimits out;
  for (const auto& [key, value] : *l) {
    const std::string name(key.data(), key.size());
    const std::string path = Reader::At("limits", name);
    const json::object* item = TRY(r.Object(value, path));
    TRY(r.Keys(*item, path, {"working_days", "calendar_days", "hours", "basis"}));
    TimeLimit limit;
    limit.name = name;
    limit.basis = TRY(r.String(*item, "basis", path, true));
    int given = 0;
    for (auto [k, slot] : {std::pair<std::string_view, int*>{"working_days", &limit.working_days},
                           {"calendar_days", &limit.calendar_days},
                           {"hours", &limit.hours}}) {
      const json::value* n = item->if_contains(k);
      if (n == nullptr) continue;
      if (!n->is_int64() || n->as_int64() <= 0 || n->as_int64() > 3650) {
        return r.Fail(Reader::At(path, k), "must be a whole number from 1 to 3650");
      }
      *slot = static_cast<int>(n->as_int64());
      ++given;
    }
    if (given != 1) {
      return r.Fail(path, "must give exactly one of working_days, calendar_days, hours");
    }
    out.emplace(name, std::move(limit));
  }
  return out;
}

Result<Catalogs> Catalogs::FromDataDir(const std::filesystem::path& data_dir,
                                       const core::RegionCatalogue& regions) {
  Catalogs c;
  c.regions = &regions;
  {
    const std::string text = TRY(ReadFile(data_dir / "roles.json"));
    json::value root = TRY(ParseJson(text, "roles.json"));
    const json::value* roles = root.is_object() ? root.as_object().if_contains("roles") : nullptr;
    if (roles == nullptr || !roles->is_array()) {
      return core::InvalidArgument("roles.json: roles must be an array");
    }
    for (const json::value& role : roles->as_array()) {
      const json::value* code = role.is_object() ? role.as_object().if_contains("code") : nullptr;
      if (code == nullptr || !code->is_string()) {
        return core::InvalidArgument("roles.json: every role needs a code");
      }
      RoleInfo info{std::string(code->as_string()), {}};
      if (const json::value* types = role.as_object().if_contains("unit_types");
          types != nullptr && types->is_array()) {
        for (const json::value& t : types->as_array()) {
          if (t.is_string()) info.unit_types.emplace_back(t.as_string());
        }
      }
      c.roles.push_back(std::move(info));
    }
  }
  std::error_code ec;
  std::vector<std::filesystem::path> dicts;
  for (const auto& entry : std::filesystem::directory_iterator(data_dir / "dicts", ec)) {
    if (entry.path().extension() == ".json") dicts.push_back(entry.path());
  }
  if (ec) return core::NotFound("cannot read the dicts directory");
  for (const auto& path : dicts) {
    const std::string name = path.filename().string();
    const std::string text = TRY(ReadFile(path));
    json::value root = TRY(ParseJson(text, name));
    const json::value* items = root.is_object() ? root.as_object().if_contains("items") : nullptr;
    if (items == nullptr || !items->is_array()) {
      return core::InvalidArgument(fmt::format("dicts/{}: items must be an array", name));
    }
    std::vector<DictItem> list;
    for (const json::value& item : items->as_array()) {
      const json::object* o = item.if_object();
      const json::value* value = o ? o->if_contains("value") : nullptr;
      const json::value* zh = o ? o->if_contains("zh") : nullptr;
      const json::value* en = o ? o->if_contains("en") : nullptr;
      if (!value || !zh || !en || !value->is_string() || !zh->is_string() || !en->is_string()) {
        return core::InvalidArgument(
            fmt::format("dicts/{}: every item needs value, zh and en strings", name));
      }
      list.push_back({std::string(value->as_string()),
                      {std::string(zh->as_string()), std::string(en->as_string())}});
    }
    c.dictionaries[path.stem().string()] = std::move(list);
  }
  auto unit_types = c.dictionaries.find("unit_types");
  if (unit_types == c.dictionaries.end()) return core::NotFound("dicts/unit_types.json is missing");
  for (const DictItem& item : unit_types->second) c.unit_types.push_back(item.value);
  const std::string limits = TRY(ReadFile(data_dir / "time-limits.json"));
  c.time_limits = TRY(ParseTimeLimits(limits, "time-limits.json"));
  return c;
}

Result<Registry> Registry::Load(const std::filesystem::path& dir, const Catalogs& catalogs,
                                const GuardRegistry& guards) {
  std::error_code ec;
  std::map<std::string, std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    files[entry.path().filename().string()] = TRY(ReadFile(entry.path()));
  }
  if (ec)
    return core::NotFound(
        fmt::format("cannot read the definitions directory {}", dir.filename().string()));
  return FromTexts(files, catalogs, guards, dir.filename().string());
}

Result<Registry> Registry::FromTexts(const std::map<std::string, std::string>& files,
                                     const Catalogs& catalogs, const GuardRegistry& guards,
                                     std::string_view dir_label) {
  if (catalogs.regions == nullptr) return core::Internal("Catalogs.regions is not set");
  Registry registry;
  std::vector<std::string> sources;
  for (const auto& [name, text] : files) {
    const std::string source = fmt::format("{}/{}", dir_label, name);
    json::value root = TRY(ParseJson(text, source));
    const std::string kind = std::filesystem::path(name).stem().string();
    const Reader reader{source};
    DefinitionParser parser(reader, catalogs, guards);
    Definition def = TRY(parser.Parse(root, kind));
    registry.definitions_.push_back(std::move(def));
    sources.push_back(source);
  }
  // Find() searches by kind; file names sort differently from kinds ("a.json" vs "a_b.json").
  std::vector<std::size_t> order(sources.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return registry.definitions_[a].kind < registry.definitions_[b].kind;
  });
  std::vector<Definition> sorted;
  std::vector<std::string> sorted_sources;
  for (std::size_t i : order) {
    sorted.push_back(std::move(registry.definitions_[i]));
    sorted_sources.push_back(sources[i]);
  }
  registry.definitions_ = std::move(sorted);
  sources = std::move(sorted_sources);
  for (std::size_t i = 0; i < registry.definitions_.size(); ++i) {
    const Definition& def = registry.definitions_[i];
    const Reader reader{sources[i]};
    TRY(CheckEffects(def, def.create, "create", registry, reader));
    for (std::size_t k = 0; k < def.actions.size(); ++k) {
      TRY(CheckEffects(def, def.actions[k], Reader::Index("actions", k), registry, reader));
    }
  }
  return registry;
}

const Definition* Registry::Find(std::string_view kind) const {
  auto it = std::lower_bound(definitions_.begin(), definitions_.end(), kind,
                             [](const Definition& d, std::string_view k) { return d.kind < k; });
  return it != definitions_.end() && it->kind == kind ? &*it : nullptr;
}

}  // namespace lvyuan::workflow
