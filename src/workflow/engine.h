// The procedure engine: pure functions over a loaded Definition. They read no
// clock, database or network; the domain layer gathers a matter's snapshot,
// calls them inside its transaction and then performs the returned Plan
// (store the state and field changes with the version check, write the record
// event, set and clear deadlines, queue notifications, carry out effects).
//
// All functions are thread-safe (they only read their arguments).
//
// Times are unix milliseconds (UTC). Dates of deadlines are civil dates in
// China (Asia/Shanghai, UTC+8 with no daylight saving time): a limit in
// working or calendar days ends at 24:00 of its last day there.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "workflow/definition.h"

namespace lvyuan::workflow {

// Who is acting: the user's roles, the type and id of the user's unit and
// the unit's relations to the matter (none for a matter being created).
struct Actor {
  std::vector<std::string> roles;
  std::string unit_type;
  std::int64_t unit_id = 0;
  std::vector<Relation> relations;
};

// A deadline running on a matter.
struct ActiveDeadline {
  std::string name;
  std::int64_t started_ms = 0;
  std::int64_t due_ms = 0;
};

// What the engine needs to know of an existing matter.
struct MatterSnapshot {
  std::string state;
  boost::json::object fields;  // normalized values, as a Plan stores them
  std::int64_t version = 0;
  std::vector<ActiveDeadline> deadlines;
  std::int64_t created_ms = 0;
  std::int64_t owner_unit_id = 0;
};

// What a guard sees. `matter` is null while a matter is being created.
struct GuardContext {
  const Definition& definition;
  const ActionDef& action;
  const MatterSnapshot* matter;
  const Actor& actor;
  const boost::json::object& input;   // the normalized form values
  const boost::json::object& fields;  // the matter's fields after the action
  std::int64_t now_ms;
};

// Checks `input` (a JSON object) against `form` (def.create or one of
// def.actions): every key must be a field of the form, every required field
// present and non-empty, every value valid for its type and limits. Returns
// the normalized values (trimmed text, canonical dates and times, subjects
// with only their own keys); empty optional values are left out, except an
// empty list, which is kept so that a list can be cleared.
// InvalidArgument with `field` set to the field's name and a Chinese message
// ("请填写受理意见") otherwise.
Result<boost::json::object> ValidateFields(const Definition& def, const ActionDef& form,
                                           const boost::json::value& input);

// The ids a normalized unit, units or files value holds (one id or a list of
// them), in order; empty for a null pointer or any other value.
std::vector<std::int64_t> IdsOf(const boost::json::value* value);

// Checks one value against one field (as ValidateFields does for each key).
Result<boost::json::value> ValidateValue(const Definition& def, const FieldDef& field,
                                         const boost::json::value& value);

// True when the actor satisfies one of the action's actor rules.
bool MayAct(const ActionDef& action, const Actor& actor);

// The actions `actor` may take on a matter in `state`, in definition order.
// Guards and `within` windows are not evaluated here (they need the input and
// the deadlines); PlanAction checks them.
std::vector<const ActionDef*> AllowedActions(const Definition& def, std::string_view state,
                                             const Actor& actor);

struct FieldChange {
  std::string name;
  boost::json::value before;  // null when the field had no value
  boost::json::value after;
};

struct DeadlineToSet {
  std::string name;
  std::int64_t started_ms = 0;
  std::int64_t due_ms = 0;
  std::string due_date;      // the China date of the last day, "2026-02-25"
  bool provisional = false;  // counted past the calendar's announced years
};

struct PlannedNotification {
  std::string event;  // the action's name ("create" for a new matter)
  std::vector<Relation> relations;
  std::vector<std::string> roles;
  Labels labels;
};

// Open a matter of `kind` owned by the acting unit, linked to this one.
struct OpenMatterEffect {
  std::string kind;
  boost::json::object fields;
  std::int64_t for_unit_id = 0;  // the for_each unit, 0 without for_each
  // This matter's participants with these relations are copied on it
  // (EffectDef::copy_participants; resolved by the domain layer).
  std::vector<Relation> copy_participants;
};

// Add or remove participants, or share the matter. Units are listed by id,
// or — for `unit_type` selectors — to be resolved by the domain layer among
// the units of that type in the acting unit's region, or — when `matching` —
// every enabled unit but the acting one whose type is in `unit_types` (any
// type when empty) and whose region lies within `region_code` (anywhere when
// empty).
struct ParticipantEffect {
  EffectType type = EffectType::kAddParticipant;  // add, remove or share
  Relation relation = Relation::kRecipient;
  std::vector<std::int64_t> unit_ids;
  std::string unit_type;
  bool matching = false;
  std::vector<std::string> unit_types;
  std::string region_code;
};

struct Plan {
  std::string action;      // "create" for a new matter
  std::string from_state;  // empty for a new matter
  std::string to_state;
  std::int64_t expected_version = 0;  // the snapshot's version (0 for create)
  boost::json::object fields;         // all fields after the action (transient ones aside)
  std::vector<FieldChange> changes;   // in definition field order; transient ones from null
  std::vector<DeadlineToSet> deadlines_set;
  std::vector<std::string> deadlines_cleared;
  std::vector<PlannedNotification> notifications;
  std::vector<OpenMatterEffect> open_matters;
  std::vector<ParticipantEffect> participants;
};

// Plans opening a matter: the actor must satisfy def.create's actors
// (PermissionDenied), the input its form (InvalidArgument with field), its
// guards must pass (FailedPrecondition with the guard's message). The new
// state is the initial state; deadlines starting on "created" are set.
Result<Plan> PlanCreate(const Definition& def, const Actor& actor, const boost::json::value& input,
                        std::int64_t now_ms, const core::WorkCalendar& calendar);

// Plans taking `action` on a matter. Errors, checked in this order:
// NotFound for an action the kind does not have; PermissionDenied when no
// actor rule admits the actor; FailedPrecondition when the matter's state is
// not one the action is taken from, or its `within` deadline is not running
// or past due; InvalidArgument (with field) for the input; FailedPrecondition
// with the guard's message when a guard refuses.
// Deadlines: those cleared by the action are cleared, those starting on it
// are (re)set from now_ms. Effects are resolved against the fields after the
// action together with the action's transient values.
Result<Plan> PlanAction(const Definition& def, const MatterSnapshot& matter,
                        std::string_view action, const Actor& actor,
                        const boost::json::value& input, std::int64_t now_ms,
                        const core::WorkCalendar& calendar);

// When a time limit started at `start_ms` ends. Working days: the N-th
// working day after the China date of the start (the start day is not
// counted), 24:00. Calendar days: start date + N, moved to the next working
// day when it is a rest day, 24:00. Hours: start + N hours.
Result<DeadlineToSet> ComputeDeadline(const DeadlineDef& deadline, std::int64_t start_ms,
                                      const core::WorkCalendar& calendar);

enum class DeadlineStatus { kOk, kDueSoon, kOverdue };

// "ok" | "due_soon" | "overdue".
std::string_view DeadlineStatusName(DeadlineStatus status);

// kOverdue from due_ms on; kDueSoon before that when at most one working day
// follows today up to the deadline's last day (so the last working day before
// the deadline and the deadline's own day are yellow); kOk otherwise.
DeadlineStatus ClassifyDeadline(std::int64_t due_ms, std::int64_t now_ms,
                                const core::WorkCalendar& calendar);

// The matter number from the definition's pattern: FormatNumber(transfer,
// "湖环", 2026, 12) → "湖环移〔2026〕12号". The store allocates `sequence` per
// unit, kind and year.
std::string FormatNumber(const Definition& def, std::string_view unit_abbreviation, int year,
                         std::int64_t sequence);

}  // namespace lvyuan::workflow
