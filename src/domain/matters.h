// Matters (事项): every tracked procedure — clue, transfer, criminal transfer
// and the kinds to come — run on the procedure engine (src/workflow) and kept
// in the matter tables (store/matters.h).
//
// Every change is one Database::Write: the engine's Plan (workflow::PlanCreate
// / PlanAction, computed inside the transaction from the stored matter) is
// performed — matter row with the version check, participants, deadlines set
// and cleared, files attached, notifications for the users of the units by
// relation, effects (participants, shares, linked matters opened with the
// target kind's create rules) — together with one record event per matter
// changed: action "matter.create" or "matter.<action>", object ("matter",
// "<id>"), the fields' before/after as changes, the attached files' hashes.
//
// Subjects (行政相对人): a subject field's value is stored as the subjects row
// it names — {"kind", "subject_id", "name", "credit_code"} for a company,
// {"kind", "subject_id", "name", "id_number_masked"} for a person. A person's
// ID number is sealed with the field key (context "subjects.id_number") and
// found again by its blind index; it appears in no matter, event or answer.
//
// Visibility: a unit sees a matter when it participates (or it was shared to
// it); everyone else gets NotFound with the same message as for a missing
// id. Holders of kMatterScopeAllPermission see (but do not act on) every
// matter. Every operation needs kMatterReadPermission (the command line
// aside), so the three separated administrators never see matters.
//
// Notifications: with a notifier (UseNotifier), every notification row
// inserted — by an action here or by the deadline reminders (reminders.h) —
// is published on kNotificationsChannel in the same transaction, so a
// browser connected to any process hears of it once it is committed.
//
// Thread-safe: the members are read-only after construction and every
// operation runs in its own transaction.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/calendar.h"
#include "core/clock.h"
#include "core/regions.h"
#include "core/result.h"
#include "crypto/field_cipher.h"
#include "domain/accounts.h"
#include "domain/catalog.h"
#include "domain/principal.h"
#include "record/log.h"
#include "store/database.h"
#include "store/matters.h"
#include "store/notify.h"
#include "store/record.h"
#include "workflow/engine.h"
#include "workflow/registry.h"

namespace lvyuan::domain {

// Reading and acting on the matters of one's own unit.
inline constexpr std::string_view kMatterReadPermission = "matter:item:read";
// Reading every unit's matters (statistics); grants no action.
inline constexpr std::string_view kMatterScopeAllPermission = "matter:scope:all";
// The blind-index and sealing context of subjects' ID numbers.
inline constexpr std::string_view kSubjectIdNumberContext = "subjects.id_number";

// The notifier channel of new notifications. Payload: a JSON object
// {"user_id", "id", "kind", "title", "matter_id"} (matter_id null when
// none) — what a browser needs to show it; the rest is read from the API.
inline constexpr std::string_view kNotificationsChannel = "notifications";

struct NotificationMessage {
  std::int64_t user_id = 0;
  std::int64_t id = 0;
  std::string kind;
  std::string title;
  std::optional<std::int64_t> matter_id;
};
// The kNotificationsChannel payload of a stored notification (the title cut
// to 200 characters so the payload stays far below store::kMaxPayloadBytes).
std::string NotificationPayload(const store::NotificationRecord& notification);
// The inverse; nullopt for anything else.
std::optional<NotificationMessage> ParseNotificationPayload(std::string_view payload);

// Inserts `notification` for every enabled user of `unit_ids` holding one of
// `readers` (the roles that read matters: an administrator of the unit hears
// nothing of them) and one of `roles` (any when empty) who is not in `told`,
// adding each to
// `told`; publishes each row on kNotificationsChannel through `outbox` when
// it is not null. Runs inside the caller's write transaction.
Status NotifyUsersOfUnits(store::Conn& conn, store::Outbox* outbox,
                          const std::set<std::int64_t>& unit_ids, const RoleSet& readers,
                          const std::vector<std::string>& roles,
                          const store::NotificationRecord& notification,
                          std::set<std::int64_t>& told);

// The status a user sees of an open deadline at `now`: "ok" | "due_soon" |
// "overdue" (workflow::ClassifyDeadline; a deadline whose definition does
// not mark misses is "due_soon" once past, never "overdue"); "cleared" once
// met. `deadline` may be null (a definition no longer loaded).
std::string DeadlineStatusOf(const store::DeadlineRecord& record,
                             const workflow::DeadlineDef* deadline, std::int64_t now,
                             const core::WorkCalendar& calendar);

// The latest due time that ClassifyDeadline calls due soon at `now` (24:00
// China time of the last such day): a deadline is due soon exactly when
// now < due_at <= DueSoonUntil(now).
std::int64_t DueSoonUntil(std::int64_t now, const core::WorkCalendar& calendar);

struct MatterParticipant {
  std::int64_t unit_id = 0;
  std::string unit_name;
  std::string unit_type;
  std::string relation;
  std::int64_t added_at = 0;
};

struct MatterDeadline {
  store::DeadlineRecord deadline;
  std::string label_zh;
  std::string label_en;
  // "ok" | "due_soon" | "overdue" for an open deadline (ClassifyDeadline);
  // "cleared" once met. A deadline whose definition does not mark misses
  // (on_miss.mark_overdue false) is never "overdue", only "due_soon".
  std::string status;
};

struct MatterFile {
  std::int64_t evidence_id = 0;
  std::string field;
  std::string filename;
  std::string sm3;
  std::int64_t size = 0;
  std::int64_t added_at = 0;
};

// One matter as a caller may see it.
struct MatterView {
  store::MatterRecord matter;
  std::string owner_unit_name;
  boost::json::object fields;  // the kind's fields (subjects in their stored form)
  std::vector<MatterParticipant> participants;
  std::vector<MatterDeadline> deadlines;
  std::vector<store::LinkRecord> links;
  std::vector<MatterFile> files;
  // The caller's relations to the matter, and the actions it may take now
  // (workflow::AllowedActions: rules and state; guards and `within` windows
  // are checked when acting).
  std::vector<std::string> relations;
  std::vector<std::string> allowed_actions;
  // Why some of the caller's roles do not act now (an enforcement
  // certificate missing or out of date), empty when all of them do.
  std::string acting_notice;
};

struct MatterListFilter {
  std::string kind;
  std::vector<std::string> states;
  std::string region_prefix;
  std::string domain;
  std::optional<std::int64_t> subject_id;
  std::optional<std::int64_t> owner_unit_id;
  std::optional<std::int64_t> created_from;  // inclusive, unix ms
  std::optional<std::int64_t> created_to;    // exclusive
  bool overdue = false;                      // only matters with an open deadline past due
  std::optional<store::MatterCursor> after;
  int limit = 20;  // 1..100
};

struct MatterList {
  std::vector<store::MatterRecord> items;
  std::optional<store::MatterCursor> next;
  // Matters of the filter (states, cursor and limit aside) by state; with
  // filters beyond kind, counted over a bounded window and `counts_capped`
  // when the window did not hold every candidate (store::CountMattersByState).
  std::map<std::string, std::int64_t> counts;
  bool counts_capped = false;
  // The name of each item's owner unit, by id.
  std::map<std::int64_t, std::string> owner_unit_names;
};

// Whose list and how new this process's data is (Matters::ListScope): two
// lists of one scope and filter read at the same version hold the same
// matters as far as this process's writes go (store::Database::WriteCount);
// other processes' writes are not counted, so a kept answer must also age
// out (http::ResponseCache's max age).
struct MatterListScope {
  std::int64_t unit_id = 0;  // the caller's unit; 0: every matter (kMatterScopeAllPermission)
  std::uint64_t version = 0;
};

// One to-do: a matter awaiting an action the caller may take.
struct TodoItem {
  store::MatterRecord matter;
  // workflow::AllowedActions for the caller, in definition order (never empty).
  std::vector<std::string> actions;
  // The open deadline due first, when any.
  std::optional<MatterDeadline> next_deadline;
};

struct TodoQuery {
  std::optional<store::TodoCursor> after;
  int limit = 20;  // 1..100
};

struct TodoList {
  std::vector<TodoItem> items;
  std::optional<store::TodoCursor> next;
  // Over the whole list (cursor and limit aside), by the matters' next
  // deadlines: overdue = past due, due_soon = DueSoonUntil.
  store::TodoCounts counts;
  // As MatterView::acting_notice: the list leaves out what the caller's
  // lapsed roles would have had to do.
  std::string acting_notice;
};

struct MatterTimeline {
  std::vector<store::EventRecord> events;   // newest first
  std::optional<std::int64_t> next_before;  // seq cursor for the next page
  // The names of the units of the events' actors, by unit id ("" for a unit
  // that no longer exists).
  std::map<std::int64_t, std::string> unit_names;
  // The evidence id of each file attached to the matter, by its SM3 (hex),
  // so that the files an event names can be opened.
  std::map<std::string, std::int64_t, std::less<>> file_ids;
};

class Matters {
 public:
  // All references must outlive this object.
  // `catalog` tells which roles read matters (only their holders are
  // notified) and which act only with a valid enforcement certificate.
  Matters(store::Database& db, record::Log& log, const workflow::Registry& registry,
          const core::WorkCalendar& calendar, const core::RegionCatalogue& regions,
          const crypto::FieldCipher& cipher, const Catalog& catalog, const core::Clock& clock);

  const workflow::Registry& registry() const { return registry_; }
  const core::WorkCalendar& calendar() const { return calendar_; }

  // Opens a matter of `kind` owned by the caller's unit (see the file
  // comment). Errors: PermissionDenied without kMatterReadPermission or a
  // user in a unit, or when the kind's create rules do not admit the caller;
  // InvalidArgument (field "kind") for an unknown kind, (field: the form
  // field) for bad input, a unit that does not exist or is disabled, or a
  // file that is not the caller's unit's evidence; FailedPrecondition with
  // the guard's message and field. Returns the new matter's id.
  Result<std::int64_t> Create(const Principal& who, std::string_view kind,
                              const boost::json::value& fields, const RequestMeta& meta);

  // Create and Act inside the caller's write transaction at time `now`,
  // with nothing published (bulk loading: the demo volume, demo_volume.h):
  // the same checks, rows, notifications and record events as Create and
  // Act. On an error the caller must return it from its Write callback, so
  // that what was written so far is rolled back.
  Result<std::int64_t> CreateInTransaction(store::Conn& conn, const Principal& who,
                                           std::string_view kind, const boost::json::value& fields,
                                           std::int64_t now, const RequestMeta& meta);
  Result<std::int64_t> ActInTransaction(store::Conn& conn, const Principal& who, std::int64_t id,
                                        std::string_view action, const boost::json::value& fields,
                                        std::int64_t expected_version, std::int64_t now,
                                        const RequestMeta& meta);

  // The matter with its participants, deadlines, links, files and the
  // caller's allowed actions. NotFound ("事项不存在") when it does not exist or
  // the caller's unit may not see it.
  Result<MatterView> Get(const Principal& who, std::int64_t id);

  // Takes `action` on the matter at `expected_version`. Errors: NotFound as
  // Get, and for an action the kind does not have; Aborted
  // ("事项已被他人修改，请刷新后重试") when the matter's version is not
  // expected_version; PermissionDenied when the caller's unit participates
  // but no actor rule admits the caller; FailedPrecondition for the wrong
  // state, a closed `within` window or a guard; InvalidArgument (field) for
  // the input. Returns the new version.
  Result<std::int64_t> Act(const Principal& who, std::int64_t id, std::string_view action,
                           const boost::json::value& fields, std::int64_t expected_version,
                           const RequestMeta& meta);

  // Matters visible to the caller's unit (every matter with
  // kMatterScopeAllPermission), newest change first. InvalidArgument (field
  // "limit") outside 1..100.
  Result<MatterList> List(const Principal& who, const MatterListFilter& filter);
  // The scope List would read for the caller and the data's version now, after
  // List's checks (PermissionDenied as List).
  Result<MatterListScope> ListScope(const Principal& who);

  // The caller's to-do list: the matters visible to the caller's unit in a
  // state where workflow::AllowedActions for the caller (roles, unit type,
  // the unit's relations) is not empty, in deadline order (overdue first,
  // matters without a deadline last; see store::TodoCursor). Only the
  // (kind, state, relation) combinations the definitions open to the
  // caller's roles and unit type are queried. Empty for a principal without
  // a user in a unit. Errors: PermissionDenied as List; InvalidArgument
  // (field "limit") outside 1..100.
  Result<TodoList> Todos(const Principal& who, const TodoQuery& query);

  // Publishes every notification inserted from now on through `notifier`
  // (see the file comment). Call once before serving; the notifier must
  // outlive this object.
  void UseNotifier(store::Notifier& notifier) { notifier_ = &notifier; }

  // The record events of the matter, newest first, before `before_seq`
  // (0: from the newest), at most `limit` (1..200). NotFound as Get. A page
  // that is not empty is a read of the matter's record (调阅监督): one
  // "record.view" event on ("record", "matter:<id>") — as
  // RecordAccess::ObjectRecord writes — with detail {"view": "timeline",
  // "events", "from_seq", "to_seq"}, in the transaction that reads it.
  // With `action` ("create" or an action of the kind; InvalidArgument on
  // field "action" otherwise), only the events of that action: a notice's
  // read receipts without the rest of its timeline.
  Result<MatterTimeline> Timeline(const Principal& who, std::int64_t id, std::int64_t before_seq,
                                  int limit, const RequestMeta& meta = {},
                                  std::string_view action = {});

  // The caller's own notifications (a principal without a user has none),
  // newest first, below `before_id` (0: from the newest).
  Result<std::vector<store::NotificationRecord>> ListNotifications(const Principal& who,
                                                                   bool unread_only,
                                                                   std::int64_t before_id,
                                                                   int limit);
  Result<std::int64_t> UnreadCount(const Principal& who);
  // NotFound when the notification is not the caller's; Ok (nothing
  // changes) when it was read already.
  Status MarkRead(const Principal& who, std::int64_t id);

 private:
  struct Acting;
  Status CheckReader(const Principal& who) const;
  bool SeesAll(const Principal& who) const;
  // The unit whose visible matters the caller lists, 0 for every matter.
  Result<std::int64_t> ListUnit(const Principal& who) const;
  Result<Acting> ActingOf(store::Conn& conn, const Principal& who, std::int64_t now) const;
  // The roles `who` acts with at `now`: its roles less those requiring an
  // enforcement certificate when the user has none valid on now's China
  // date; `notice` then says why (see MatterView::acting_notice).
  Result<std::vector<std::string>> ActingRoles(store::Conn& conn, const Principal& who,
                                               std::int64_t now, std::string& notice) const;
  // PermissionDenied with the acting notice when `action` is refused only
  // because of lapsed roles.
  Status CheckLapsed(const Acting& acting, const workflow::ActionDef& action) const;
  // db_.Write, or notifier_->Write when there is a notifier (outbox is null
  // without one).
  Status Write(const std::function<Status(store::Conn&, store::Outbox*)>& fn);
  Result<std::int64_t> CreateWith(store::Conn& conn, store::Outbox* outbox, const Principal& who,
                                  std::string_view kind, const boost::json::value& fields,
                                  std::int64_t now, const RequestMeta& meta);
  Result<std::int64_t> ActWith(store::Conn& conn, store::Outbox* outbox, const Principal& who,
                               std::int64_t id, std::string_view action,
                               const boost::json::value& fields, std::int64_t expected_version,
                               std::int64_t now, const RequestMeta& meta);
  Result<std::int64_t> CreateIn(store::Conn& conn, store::Outbox* outbox, const Acting& acting,
                                const workflow::Definition& def, workflow::Plan plan,
                                bool check_files, std::int64_t now, const RequestMeta& meta,
                                int depth);
  Status Perform(store::Conn& conn, store::Outbox* outbox, const Acting& acting,
                 const workflow::Definition& def, store::MatterRecord& matter, workflow::Plan& plan,
                 bool created, bool check_files, std::int64_t now, const RequestMeta& meta,
                 int depth);
  Status ResolveSubjects(store::Conn& conn, const workflow::Definition& def, workflow::Plan& plan,
                         std::int64_t now) const;
  Result<boost::json::object> RestoreSubjects(store::Conn& conn, const workflow::Definition& def,
                                              boost::json::object fields) const;
  Result<std::vector<std::int64_t>> UnitsOfType(store::Conn& conn, std::string_view unit_type,
                                                std::string_view region_code) const;
  Status Notify(store::Conn& conn, store::Outbox* outbox, std::int64_t matter_id,
                const store::MatterRecord& matter,
                const workflow::PlannedNotification& notification, std::int64_t acting_user) const;
  Result<std::optional<store::MatterRecord>> VisibleMatter(store::Conn& conn, const Principal& who,
                                                           std::int64_t id) const;

  store::Database& db_;
  record::Log& log_;
  const workflow::Registry& registry_;
  const core::WorkCalendar& calendar_;
  const core::RegionCatalogue& regions_;
  const crypto::FieldCipher& cipher_;
  const core::Clock& clock_;
  const RoleSet readers_;            // the roles granting kMatterReadPermission
  const RoleSet certificate_roles_;  // the roles with requires_certificate
  // Unit types a units_matching effect never chooses (not member units).
  const std::set<std::string, std::less<>> non_member_types_;
  store::Notifier* notifier_ = nullptr;  // set once by UseNotifier
};

}  // namespace lvyuan::domain
