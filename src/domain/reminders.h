// Deadline reminders (期限提醒): the yellow and red cards of the matters'
// time limits, sent as notifications by a scheduler.
//
// DeadlineReminders::RunOnce(now) looks at the open deadlines
// (store::OpenDeadlinesDue) and, for each:
//  - due soon (workflow::ClassifyDeadline kDueSoon, reminder level 0): a
//    notification of kind kDueSoonKind to the users who must act — the users
//    admitted by the actor rules of the actions that clear the deadline and
//    may be taken in the matter's state (role, unit type and the unit's
//    relation to the matter; a rule taking any relation means the owner), or
//    the owner unit's users when no such rule names anyone; level → 1;
//  - overdue (level < 2) and marked overdue by its definition (on_miss
//    mark_overdue): a notification of kind kOverdueKind to those users and to
//    every user of the units with the on_miss notify relations; level → 2.
//    A deadline that does not mark misses goes to level 2 silently once
//    past, and one first seen already overdue gets only the red card.
// Raising the level in the same transaction as the notifications makes each
// card go out once, whichever process runs the job and however often.
//
// The record: reminders change no matter, so they are not matter events;
// each batch that sends anything appends one event (action
// "deadline.remind", object ("deadline_reminders", "<now ms>"), actor
// "system") whose detail lists, per deadline, the matter, the deadline's
// name, the card and how many users were told — the proof that a unit was
// reminded, without one timeline entry per user.
//
// Thread-safe (every run is its own transactions); runs from several
// processes at once are safe too, since the level is checked in the write.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "core/calendar.h"
#include "core/clock.h"
#include "core/result.h"
#include "domain/catalog.h"
#include "record/log.h"
#include "store/database.h"
#include "store/notify.h"
#include "workflow/registry.h"

namespace lvyuan::domain {

inline constexpr std::string_view kDueSoonKind = "deadline.due_soon";
inline constexpr std::string_view kOverdueKind = "deadline.overdue";
// The lease (store::Notifier::TryLead) held by the process that runs the job.
inline constexpr std::string_view kRemindersLease = "reminders";

struct ReminderRun {
  int due_soon = 0;       // yellow cards (deadlines), this run
  int overdue = 0;        // red cards (deadlines)
  int notifications = 0;  // rows inserted
};

class DeadlineReminders {
 public:
  // All references must outlive this object; with a notifier, every
  // notification is published as Matters publishes its own (matters.h).
  // Only the holders of roles that read matters (in `catalog`) are told.
  DeadlineReminders(store::Database& db, record::Log& log, const workflow::Registry& registry,
                    const core::WorkCalendar& calendar, const Catalog& catalog,
                    store::Notifier* notifier = nullptr);

  // Sends the cards due at `now` (unix ms), in batches of at most 200
  // deadlines per transaction, until none is left or `stopping` (when given)
  // answers true before a batch. Returns what it sent; the store's error when
  // a batch fails (the batches before it stay sent).
  core::Result<ReminderRun> RunOnce(std::int64_t now, const std::function<bool()>& stopping = {});

 private:
  core::Result<ReminderRun> RunBatch(std::int64_t now, bool& more);

  store::Database& db_;
  record::Log& log_;
  const workflow::Registry& registry_;
  const core::WorkCalendar& calendar_;
  const RoleSet readers_;
  store::Notifier* const notifier_;
};

// Runs DeadlineReminders::RunOnce(clock.NowMs()) on a thread of its own
// every `interval` (the first run right after Start). With a notifier, only
// the process holding the kRemindersLease lease runs it; the others try to
// take the lease every interval.
class DeadlineReminderJob {
 public:
  DeadlineReminderJob(DeadlineReminders& reminders, const core::Clock& clock,
                      std::chrono::milliseconds interval, store::Notifier* notifier = nullptr);
  ~DeadlineReminderJob();  // calls Stop()
  DeadlineReminderJob(const DeadlineReminderJob&) = delete;
  DeadlineReminderJob& operator=(const DeadlineReminderJob&) = delete;

  void Start();
  // Waits for a run in progress to end; no run starts after it returns.
  void Stop();

 private:
  void Run();
  bool Leads();

  DeadlineReminders& reminders_;
  const core::Clock& clock_;
  const std::chrono::milliseconds interval_;
  store::Notifier* const notifier_;
  std::unique_ptr<store::Lease> lease_;  // only touched by the thread
  std::mutex mu_;                        // guards stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lvyuan::domain
