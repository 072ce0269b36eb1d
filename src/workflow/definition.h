// A procedure definition (事项类型) as loaded from workflows/<kind>.json: its
// typed fields, states, the create form, actions, deadlines, notifications and
// side effects. docs/workflows.md is the normative description of the file
// format; this header is the in-memory form the engine (engine.h) runs.
//
// Definitions are produced only by Registry::Load (registry.h), which checks
// every name they use, resolves dictionaries, time limits and guards into them
// and then never changes them: a loaded Definition is immutable and any number
// of threads may read it. It refers to the region catalogue given to Load,
// which must outlive it.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "core/regions.h"
#include "core/result.h"

namespace lvyuan::workflow {

using core::Result;
using core::Status;

// A Chinese and an English text (UI labels, help).
struct Labels {
  std::string zh;
  std::string en;
};

// The relation of a unit to a matter (participants). kAny is used only in
// actor rules ("whatever the relation, even none").
enum class Relation { kOwner, kRecipient, kCopied, kSupervisor, kParty, kWitness, kAny };

// "owner" | "recipient" | "copied" | "supervisor" | "party" | "witness" | "any".
std::string_view RelationName(Relation relation);
std::optional<Relation> ParseRelation(std::string_view name);

enum class FieldType {
  kText,
  kNumber,
  kMoney,  // integer fen (分); shown as yuan
  kDate,
  kDateTime,
  kEnum,
  kRegion,
  kSubject,
  kUnit,
  kUnits,
  kFiles,
  kGeoPoint,
  kRichText,
};

// "text" | "number" | "money" | "date" | "datetime" | "enum" | "region" |
// "subject" | "unit" | "units" | "files" | "geo" | "richtext".
std::string_view FieldTypeName(FieldType type);
std::optional<FieldType> ParseFieldType(std::string_view name);

struct DictItem {
  std::string value;
  Labels labels;
};

struct GeoBounds {
  double min_lat = -90;
  double max_lat = 90;
  double min_lng = -180;
  double max_lng = 180;
};

struct FieldDef {
  std::string name;
  FieldType type = FieldType::kText;
  Labels labels;
  Labels help;
  // number/money: value bounds (money in fen). text/richtext: length bounds
  // in characters. units/files: item-count bounds.
  std::optional<double> min;
  std::optional<double> max;
  std::optional<std::size_t> max_length;
  std::optional<std::size_t> min_length;
  std::optional<std::size_t> min_items;
  std::optional<std::size_t> max_items;
  // text: an ECMAScript regular expression the whole value must match, and
  // the message shown when it does not.
  std::string pattern;
  Labels pattern_message;
  std::shared_ptr<const std::regex> compiled_pattern;
  // number: only whole numbers.
  bool integer = false;
  // enum: the dictionary's name (data/dicts/<dict>.json) and its items.
  std::string dict;
  std::vector<DictItem> items;
  // enum: the value is a list of dictionary values (several may be chosen).
  bool multiple = false;
  // The value belongs to the action that enters it (a message posted, a
  // reading confirmed): it is recorded in that action's event — a change
  // from null — and its files are attached, but it is never kept among the
  // matter's fields, so each action's entry stays in the timeline.
  bool transient = false;
  // geo: the accepted area (WGS-84 degrees).
  GeoBounds bounds;
};

struct StateDef {
  std::string name;
  Labels labels;
  bool initial = false;
  bool final = false;
  // The UI chip's category: "pending" | "processing" | "success" | "warning"
  // | "danger" | "closed".
  std::string category;
};

// Who may take an action: a user holding one of `roles` (any role when
// empty) in a unit of one of `unit_types` (any type when empty) whose unit has
// `relation` to the matter (kAny: no relation needed).
struct ActorRule {
  std::vector<std::string> roles;
  std::vector<std::string> unit_types;
  Relation relation = Relation::kAny;
};

// A named time limit from data/time-limits.json. Exactly one of the three
// durations is non-zero.
struct TimeLimit {
  std::string name;
  int working_days = 0;
  int calendar_days = 0;
  int hours = 0;
  std::string basis;  // the legal source, or "deployment default"
};

struct Notification {
  std::vector<Relation> relations;  // units with these relations to the matter
  std::vector<std::string> roles;   // restricted to users with these roles (all when empty)
  Labels labels;                    // the message's title
};

struct DeadlineDef {
  std::string name;
  Labels labels;
  TimeLimit limit;  // resolved from data/time-limits.json
  // Events that (re)start it: "created" or action names.
  std::vector<std::string> starts_on;
  // Actions that clear it.
  std::vector<std::string> cleared_by;
  // When missed: show as overdue, and notify units by relation.
  bool mark_overdue = true;
  std::vector<Relation> notify_on_miss;
};

enum class EffectType { kOpenMatter, kAddParticipant, kRemoveParticipant, kShare };

// "open_matter" | "add_participant" | "remove_participant" | "share".
std::string_view EffectTypeName(EffectType type);

// Which units a participant or share effect names.
struct UnitSelector {
  // The acting unit.
  bool actor_unit = false;
  // The units in this unit/units field of the matter (after the action).
  std::string field;
  // Every unit of this type in the acting unit's region (resolved by the
  // domain layer, which knows the units).
  std::string unit_type;
  // Every enabled unit but the acting one whose type is among the values of
  // the enum field `types_field` and whose region lies within the region of
  // `region_field` (resolved by the domain layer). An empty or absent field
  // does not restrict, so with both empty every unit is chosen.
  bool matching = false;
  std::string types_field;
  std::string region_field;
};

struct EffectDef {
  EffectType type = EffectType::kOpenMatter;
  // kOpenMatter: the kind to open (owned by the acting unit, linked to this
  // matter); one per unit of the `for_each` units field when set.
  std::string kind;
  std::string for_each;
  // target field ← source field of this matter, or "$each" for the unit of
  // the for_each iteration.
  std::map<std::string, std::string> map;
  // target field ← constant value.
  boost::json::object set;
  // kOpenMatter: the units taking part in this matter with one of these
  // relations are copied (relation "copied") on the matter opened, so that,
  // say, every unit at a joint meeting follows each action item.
  std::vector<Relation> copy_participants;
  // kAddParticipant, kRemoveParticipant: the relation; with kShare unused.
  Relation relation = Relation::kRecipient;
  UnitSelector units;
};

class GuardRegistry;
struct GuardContext;
using Guard = std::function<Status(const GuardContext&)>;

struct ActionDef {
  std::string name;
  Labels labels;
  std::vector<std::string> from;  // states it may be taken in; empty for "create"
  std::string to;                 // the state afterwards; empty: unchanged
  std::vector<ActorRule> actors;
  std::vector<std::string> fields;     // the form
  std::vector<std::string> required;   // subset of fields
  std::vector<std::string> guards;     // names, in order
  std::vector<Guard> guard_functions;  // resolved, same order
  // Allowed only while this deadline is running and not yet due.
  std::string within;
  std::vector<Notification> notify;
  std::vector<EffectDef> effects;
  // Shown in the UI: "primary" | "default" | "danger".
  std::string style;
};

// The number format, e.g. {"word":"移","pattern":"{unit}{word}〔{year}〕{seq}号"}.
struct NumberFormat {
  std::string word;
  std::string pattern;
};

struct Definition {
  std::string kind;
  Labels labels;
  NumberFormat number;
  std::vector<FieldDef> fields;
  std::vector<StateDef> states;
  ActionDef create;  // name "create": the form and rules of opening a matter
  std::vector<ActionDef> actions;
  std::vector<DeadlineDef> deadlines;
  // The catalogue region fields are checked against (not owned).
  const core::RegionCatalogue* regions = nullptr;

  const FieldDef* FindField(std::string_view name) const;
  const StateDef* FindState(std::string_view name) const;
  // "create" finds the create form.
  const ActionDef* FindAction(std::string_view name) const;
  const DeadlineDef* FindDeadline(std::string_view name) const;
  const StateDef& initial_state() const;
};

}  // namespace lvyuan::workflow
