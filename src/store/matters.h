// Typed access to the matter tables (migrations 0006, 0008): matters, their
// participants and the derived visibility rows and counters, number
// sequences, links, attached files, deadlines, subjects and users'
// notifications.
//
// The store keeps matter_visibility and matter_counts in step with matters
// and matter_participants inside the caller's transaction: every function
// that changes a participant or a matter's kind, state or updated_at
// rewrites the rows it affects, and a counter (unit, kind, state) always
// equals the number of that unit's visibility rows with that kind and state
// (unit 0: of all matters). Nothing here decides who may do what; the domain layer
// does, and calls these inside one Database::Write with the record event.
//
// Every function runs inside the caller's transaction and returns the
// store's errors unchanged (see database.h). Times are unix milliseconds.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/database.h"

namespace lvyuan::store {

struct MatterRecord {
  std::int64_t id = 0;  // assigned by InsertMatter
  std::string kind;
  std::string number;  // e.g. 湖环移〔2026〕12号
  std::string title;
  std::string state;
  std::int64_t owner_unit_id = 0;
  std::string region_code;
  std::string domain;
  std::optional<std::int64_t> subject_id;
  std::optional<std::int64_t> amount_fen;
  std::string fields = "{}";  // JSON object text: the kind's own fields
  std::int64_t created_by = 0;
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> next_deadline_at;
  std::int64_t version = 1;
};

struct ParticipantRecord {
  std::int64_t matter_id = 0;
  std::int64_t unit_id = 0;
  std::string relation;  // owner | recipient | copied | supervisor | party | witness | shared
  std::int64_t added_at = 0;
};

// A position in a list ordered newest change first: the last row of the
// previous page.
struct MatterCursor {
  std::int64_t updated_at = 0;
  std::int64_t id = 0;
};

struct MatterFilter {
  // Only matters this unit may see (a matter_visibility row); std::nullopt
  // lists every matter (for callers that have already decided the caller
  // may see them all).
  std::optional<std::int64_t> visible_to_unit;
  std::string kind;                 // exact; empty = any
  std::vector<std::string> states;  // any of; empty = any
  std::optional<std::int64_t> owner_unit_id;
  std::string region_prefix;  // region_code starts with; empty = any
  std::string domain;         // exact; empty = any
  std::optional<std::int64_t> subject_id;
  std::optional<std::int64_t> created_from;  // created_at >= (inclusive)
  std::optional<std::int64_t> created_to;    // created_at < (exclusive)
  // When set, only matters with an open deadline due before this time.
  std::optional<std::int64_t> overdue_at;
  std::optional<MatterCursor> after;  // keyset cursor; empty = from the newest
  int limit = 20;                     // 1..200
};

struct MatterPage {
  std::vector<MatterRecord> items;
  std::optional<MatterCursor> next;  // set when there may be more rows
  // The name of every items[i].owner_unit_id ("" for a unit since deleted).
  std::map<std::int64_t, std::string> owner_unit_names;
};

// How many matters a bounded count looks at (CountMattersByState).
inline constexpr std::int64_t kMatterCountWindow = 2000;

struct MatterCounts {
  std::map<std::string, std::int64_t> by_state;  // states with no matter left out
  // True when the counts cover only the kMatterCountWindow newest candidates
  // (see CountMattersByState): each is then a lower bound.
  bool capped = false;
};

struct DeadlineRecord {
  std::int64_t matter_id = 0;
  std::string name;
  std::int64_t started_at = 0;
  std::int64_t due_at = 0;
  std::string limit_name;  // the entry of data/time-limits.json it was computed from
  std::optional<std::int64_t> cleared_at;
  int level = 0;  // reminders sent: 0 none, 1 due soon, 2 overdue
};

struct LinkRecord {
  std::int64_t from_matter_id = 0;
  std::int64_t to_matter_id = 0;
  std::string relation;
  std::int64_t created_at = 0;
};

struct SubjectRecord {
  std::int64_t id = 0;
  std::string kind;  // company | person
  std::string name;
  std::optional<std::string> credit_code;       // company
  std::optional<std::string> id_number_sealed;  // person: FieldCipher text
  std::optional<std::string> id_number_index;   // person: blind index
  std::optional<std::string> id_number_masked;  // person: for display
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
};

struct NotificationRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string kind;
  std::optional<std::int64_t> matter_id;
  std::string title;
  std::string body;
  std::int64_t created_at = 0;
  std::optional<std::int64_t> read_at;
};

// ---- numbers
// The next number of the sequence for (unit, kind, year): 1 for the first.
// Only meaningful inside a write transaction.
Result<std::int64_t> AllocateMatterNumber(Conn& conn, std::int64_t unit_id, std::string_view kind,
                                          int year);

// The unit's abbreviation for matter numbers ("" when none is set or the
// unit does not exist), and setting it (false when there is no such unit).
Result<std::string> UnitAbbreviation(Conn& conn, std::int64_t unit_id);
Result<bool> SetUnitAbbreviation(Conn& conn, std::int64_t unit_id, std::string_view abbreviation);

// ---- matters
// Inserts the matter (id assigned) and returns its id. Add its owner with
// AddParticipant. AlreadyExists when the unit already has this number for the
// kind; FailedPrecondition for an unknown unit, user or subject.
Result<std::int64_t> InsertMatter(Conn& conn, const MatterRecord& matter);
Result<std::optional<MatterRecord>> FindMatter(Conn& conn, std::int64_t id);
// Writes every column but id, kind, number, owner_unit_id, created_by and
// created_at from `matter`, and version = expected_version + 1, if the
// stored version is expected_version. Returns false (nothing written) when
// the matter does not exist or its version differs.
Result<bool> UpdateMatter(Conn& conn, const MatterRecord& matter, std::int64_t expected_version);
// One page, newest change first (updated_at, then id, descending), with its
// owners' names; items carry fields "{}" (lists show the common columns).
// Each combination of the unit, kind and one state is an
// index range in this order (several states: one range each, merged).
Result<MatterPage> ListMatters(Conn& conn, const MatterFilter& filter);
// How many matters match the filter, by state (the filter's states, cursor
// and limit are ignored). With no filter but the unit and kind the answer is
// exact and read from matter_counts (a few rows, whatever the volume).
// Otherwise the candidates — the unit's visible matters (every matter
// without a unit) of the kind, if any — are counted against the remaining
// filters: all of them when there are at most kMatterCountWindow, else only
// the kMatterCountWindow most recently changed, and `capped` is set.
Result<MatterCounts> CountMattersByState(Conn& conn, const MatterFilter& filter);

// ---- to-dos
// Which matters of one kind a to-do list asks for: those in one of `states`
// to which the unit has one of `relations` (empty: being visible to the unit
// is enough).
struct TodoSelector {
  std::string kind;
  std::vector<std::string> states;
  std::vector<std::string> relations;
};

// A position in a to-do list, ordered by the next open deadline (soonest,
// so overdue, first; matters without one last), then id: the last row of
// the previous page. `due_key` is next_deadline_at, or kNoDeadlineKey.
struct TodoCursor {
  std::int64_t due_key = 0;
  std::int64_t id = 0;
};
inline constexpr std::int64_t kNoDeadlineKey = std::numeric_limits<std::int64_t>::max();

struct TodoFilter {
  std::int64_t unit_id = 0;             // matters visible to this unit
  std::vector<TodoSelector> selectors;  // any of; none matches nothing
  std::optional<TodoCursor> after;      // keyset cursor; empty = from the first
  int limit = 20;                       // 1..200
};

struct TodoPage {
  std::vector<MatterRecord> items;
  std::optional<TodoCursor> next;  // set when there may be more rows
};

struct TodoCounts {
  std::int64_t total = 0;
  std::int64_t overdue = 0;   // next_deadline_at <= now
  std::int64_t due_soon = 0;  // now < next_deadline_at <= due_soon_until
};

// One page of the filter's matters in to-do order (see TodoCursor).
Result<TodoPage> ListTodoMatters(Conn& conn, const TodoFilter& filter);
// How many matters the filter selects (cursor and limit ignored), and how
// many of them have their next deadline past or soon.
Result<TodoCounts> CountTodoMatters(Conn& conn, const TodoFilter& filter, std::int64_t now,
                                    std::int64_t due_soon_until);

// ---- participants and visibility
// Adds the relation (a no-op returning false when the unit already has it)
// and the unit's visibility row.
Result<bool> AddParticipant(Conn& conn, const ParticipantRecord& participant);
// Removes the relation; the unit's visibility row goes when it was its last
// relation. Returns false when there was no such relation.
Result<bool> RemoveParticipant(Conn& conn, std::int64_t matter_id, std::int64_t unit_id,
                               std::string_view relation);
// In order of unit, then relation.
Result<std::vector<ParticipantRecord>> ListParticipants(Conn& conn, std::int64_t matter_id);
// The relations `unit_id` has to the matter, sorted; empty when none.
Result<std::vector<std::string>> RelationsOf(Conn& conn, std::int64_t matter_id,
                                             std::int64_t unit_id);
// True when the unit has a visibility row for the matter.
Result<bool> IsVisibleTo(Conn& conn, std::int64_t matter_id, std::int64_t unit_id);

// ---- links
// Returns false when the link exists already.
Result<bool> AddLink(Conn& conn, const LinkRecord& link);
// Links from or to the matter, oldest first.
Result<std::vector<LinkRecord>> ListLinks(Conn& conn, std::int64_t matter_id);

// ---- files
// Returns false when the file is attached in that field already.
Result<bool> AttachFile(Conn& conn, std::int64_t matter_id, std::int64_t evidence_id,
                        std::string_view field, std::int64_t at);
struct MatterFileRecord {
  std::int64_t evidence_id = 0;
  std::string field;
  std::int64_t added_at = 0;
};
Result<std::vector<MatterFileRecord>> ListMatterFiles(Conn& conn, std::int64_t matter_id);
// True when the evidence file is attached to a matter the unit may see (a
// matter_visibility row).
Result<bool> IsFileVisibleTo(Conn& conn, std::int64_t evidence_id, std::int64_t unit_id);

// ---- deadlines
// Sets (inserting or replacing, level back to 0, not cleared) the deadline
// and recomputes the matter's next_deadline_at.
Status SetDeadline(Conn& conn, const DeadlineRecord& deadline);
// Clears an open deadline; recomputes next_deadline_at. Returns false when
// there was no open deadline of that name.
Result<bool> ClearDeadline(Conn& conn, std::int64_t matter_id, std::string_view name,
                           std::int64_t at);
// Every deadline of the matter, open ones first by due time, then cleared.
Result<std::vector<DeadlineRecord>> ListDeadlines(Conn& conn, std::int64_t matter_id);
// Open deadlines due before `due_before` whose reminder level is below
// `below_level`, soonest first, at most `limit` (for the reminder job).
Result<std::vector<DeadlineRecord>> OpenDeadlinesDue(Conn& conn, std::int64_t due_before,
                                                     int below_level, int limit);
// Raises an open deadline's reminder level; false when it is not open or
// already at or above `level`.
Result<bool> RaiseDeadlineLevel(Conn& conn, std::int64_t matter_id, std::string_view name,
                                int level);

// ---- subjects
// Returns the id of the company with this code, inserting it when new (the
// name of an existing one is left as it is).
Result<std::int64_t> FindOrInsertCompany(Conn& conn, std::string_view credit_code,
                                         std::string_view name, std::int64_t at);
// The same for a person, found by the blind index of their ID number.
Result<std::int64_t> FindOrInsertPerson(Conn& conn, std::string_view id_number_index,
                                        std::string_view id_number_sealed,
                                        std::string_view id_number_masked, std::string_view name,
                                        std::int64_t at);
Result<std::optional<SubjectRecord>> FindSubject(Conn& conn, std::int64_t id);

// ---- notifications
Result<std::int64_t> InsertNotification(Conn& conn, const NotificationRecord& notification);
// The user's notifications, newest first, ids below before_id (0 = from the
// newest), unread only when asked.
Result<std::vector<NotificationRecord>> ListNotifications(Conn& conn, std::int64_t user_id,
                                                          bool unread_only, std::int64_t before_id,
                                                          int limit);
Result<std::int64_t> CountUnreadNotifications(Conn& conn, std::int64_t user_id);
// Marks the user's notification read (ids of other users are left alone).
// Returns false when it is not the user's or was read already.
Result<bool> MarkNotificationRead(Conn& conn, std::int64_t user_id, std::int64_t id,
                                  std::int64_t at);

}  // namespace lvyuan::store
