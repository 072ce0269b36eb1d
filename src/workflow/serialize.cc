#include "workflow/serialize.h"

namespace lvyuan::workflow {
namespace {

namespace json = boost::json;

json::object LabelsJson(const Labels& labels) { return {{"zh", labels.zh}, {"en", labels.en}}; }

json::array StringsJson(const std::vector<std::string>& items) {
  json::array out;
  for (const auto& item : items) out.emplace_back(item);
  return out;
}

json::object FieldJson(const FieldDef& f) {
  json::object o{
      {"name", f.name}, {"type", FieldTypeName(f.type)}, {"labels", LabelsJson(f.labels)}};
  if (!f.help.zh.empty()) o["help"] = LabelsJson(f.help);
  if (f.min) o["min"] = *f.min;
  if (f.max) o["max"] = *f.max;
  if (f.min_length) o["min_length"] = *f.min_length;
  if (f.max_length) o["max_length"] = *f.max_length;
  if (f.min_items) o["min_items"] = *f.min_items;
  if (f.max_items) o["max_items"] = *f.max_items;
  if (f.integer) o["integer"] = true;
  if (f.multiple) o["multiple"] = true;
  if (f.transient) o["transient"] = true;
  if (!f.pattern.empty()) {
    o["pattern"] = f.pattern;
    if (!f.pattern_message.zh.empty()) o["pattern_message"] = LabelsJson(f.pattern_message);
  }
  if (f.type == FieldType::kEnum) {
    o["dict"] = f.dict;
    json::array items;
    for (const DictItem& item : f.items) {
      items.push_back(
          json::object{{"value", item.value}, {"zh", item.labels.zh}, {"en", item.labels.en}});
    }
    o["items"] = std::move(items);
  }
  if (f.type == FieldType::kGeoPoint) {
    o["bounds"] = json::object{{"min_lat", f.bounds.min_lat},
                               {"max_lat", f.bounds.max_lat},
                               {"min_lng", f.bounds.min_lng},
                               {"max_lng", f.bounds.max_lng}};
  }
  return o;
}

json::object ActionJson(const ActionDef& a) {
  json::array actors;
  for (const ActorRule& rule : a.actors) {
    actors.push_back(json::object{{"roles", StringsJson(rule.roles)},
                                  {"unit_types", StringsJson(rule.unit_types)},
                                  {"relation", RelationName(rule.relation)}});
  }
  json::object o{{"name", a.name},
                 {"labels", LabelsJson(a.labels)},
                 {"actors", std::move(actors)},
                 {"fields", StringsJson(a.fields)},
                 {"required", StringsJson(a.required)}};
  if (a.name != "create") {
    o["from"] = StringsJson(a.from);
    o["to"] = a.to;
    o["style"] = a.style;
    if (!a.within.empty()) o["within"] = a.within;
  }
  return o;
}

json::object DeadlineJson(const DeadlineDef& d) {
  json::object limit{{"name", d.limit.name}, {"basis", d.limit.basis}};
  if (d.limit.working_days > 0) limit["working_days"] = d.limit.working_days;
  if (d.limit.calendar_days > 0) limit["calendar_days"] = d.limit.calendar_days;
  if (d.limit.hours > 0) limit["hours"] = d.limit.hours;
  json::array notify;
  for (Relation r : d.notify_on_miss) notify.emplace_back(RelationName(r));
  return {{"name", d.name},
          {"labels", LabelsJson(d.labels)},
          {"limit", std::move(limit)},
          {"starts_on", StringsJson(d.starts_on)},
          {"cleared_by", StringsJson(d.cleared_by)},
          {"mark_overdue", d.mark_overdue},
          {"notify_on_miss", std::move(notify)}};
}

}  // namespace

json::object DefinitionToJson(const Definition& def) {
  json::array fields;
  for (const FieldDef& f : def.fields) fields.push_back(FieldJson(f));
  json::array states;
  for (const StateDef& s : def.states) {
    states.push_back(json::object{{"name", s.name},
                                  {"labels", LabelsJson(s.labels)},
                                  {"initial", s.initial},
                                  {"final", s.final},
                                  {"category", s.category}});
  }
  json::array actions;
  for (const ActionDef& a : def.actions) actions.push_back(ActionJson(a));
  json::array deadlines;
  for (const DeadlineDef& d : def.deadlines) deadlines.push_back(DeadlineJson(d));
  return {{"kind", def.kind},
          {"labels", LabelsJson(def.labels)},
          {"number", json::object{{"word", def.number.word}, {"pattern", def.number.pattern}}},
          {"fields", std::move(fields)},
          {"states", std::move(states)},
          {"create", ActionJson(def.create)},
          {"actions", std::move(actions)},
          {"deadlines", std::move(deadlines)}};
}

json::object RegistryToJson(const Registry& registry) {
  json::array out;
  for (const Definition& def : registry.definitions()) out.push_back(DefinitionToJson(def));
  return {{"workflows", std::move(out)}};
}

}  // namespace lvyuan::workflow
