#include "workflow/definition.h"

#include <algorithm>
#include <array>
#include <utility>

namespace lvyuan::workflow {
namespace {

constexpr std::array<std::pair<Relation, std::string_view>, 7> kRelations = {{
    {Relation::kOwner, "owner"},
    {Relation::kRecipient, "recipient"},
    {Relation::kCopied, "copied"},
    {Relation::kSupervisor, "supervisor"},
    {Relation::kParty, "party"},
    {Relation::kWitness, "witness"},
    {Relation::kAny, "any"},
}};

constexpr std::array<std::pair<FieldType, std::string_view>, 13> kFieldTypes = {{
    {FieldType::kText, "text"},
    {FieldType::kNumber, "number"},
    {FieldType::kMoney, "money"},
    {FieldType::kDate, "date"},
    {FieldType::kDateTime, "datetime"},
    {FieldType::kEnum, "enum"},
    {FieldType::kRegion, "region"},
    {FieldType::kSubject, "subject"},
    {FieldType::kUnit, "unit"},
    {FieldType::kUnits, "units"},
    {FieldType::kFiles, "files"},
    {FieldType::kGeoPoint, "geo"},
    {FieldType::kRichText, "richtext"},
}};

template <typename T, std::size_t N>
std::string_view NameOf(const std::array<std::pair<T, std::string_view>, N>& table, T value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return {};
}

template <typename T, std::size_t N>
std::optional<T> ValueOf(const std::array<std::pair<T, std::string_view>, N>& table,
                         std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

template <typename T>
const T* FindByName(const std::vector<T>& items, std::string_view name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& t) { return t.name == name; });
  return it == items.end() ? nullptr : &*it;
}

}  // namespace

std::string_view RelationName(Relation relation) { return NameOf(kRelations, relation); }
std::optional<Relation> ParseRelation(std::string_view name) { return ValueOf(kRelations, name); }
std::string_view FieldTypeName(FieldType type) { return NameOf(kFieldTypes, type); }
std::optional<FieldType> ParseFieldType(std::string_view name) {
  return ValueOf(kFieldTypes, name);
}

std::string_view EffectTypeName(EffectType type) {
  switch (type) {
    case EffectType::kOpenMatter:
      return "open_matter";
    case EffectType::kAddParticipant:
      return "add_participant";
    case EffectType::kRemoveParticipant:
      return "remove_participant";
    case EffectType::kShare:
      return "share";
  }
  return {};
}

const FieldDef* Definition::FindField(std::string_view name) const {
  return FindByName(fields, name);
}
const StateDef* Definition::FindState(std::string_view name) const {
  return FindByName(states, name);
}
const ActionDef* Definition::FindAction(std::string_view name) const {
  if (name == "create") return &create;
  return FindByName(actions, name);
}
const DeadlineDef* Definition::FindDeadline(std::string_view name) const {
  return FindByName(deadlines, name);
}

const StateDef& Definition::initial_state() const {
  auto it = std::find_if(states.begin(), states.end(), [](const StateDef& s) { return s.initial; });
  assert(it != states.end() && "a loaded definition has exactly one initial state");
  return *it;
}

}  // namespace lvyuan::workflow
