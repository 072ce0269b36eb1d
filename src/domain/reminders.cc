#include "domain/reminders.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "domain/matters.h"
#include "store/accounts.h"
#include "store/matters.h"
#include "workflow/engine.h"

namespace lvyuan::domain {
namespace json = boost::json;
using core::Result;
using core::Status;

namespace {

constexpr int kBatch = 200;

// The participants of a matter with their units' types.
struct Party {
  std::int64_t unit_id = 0;
  std::string unit_type;
  std::string relation;
};

Result<std::vector<Party>> PartiesOf(store::Conn& conn, std::int64_t matter_id) {
  std::vector<Party> out;
  std::map<std::int64_t, std::string> types;
  for (const auto& p : TRY(store::ListParticipants(conn, matter_id))) {
    auto it = types.find(p.unit_id);
    if (it == types.end()) {
      auto unit = TRY(store::FindUnit(conn, p.unit_id));
      it = types.emplace(p.unit_id, unit ? unit->type : std::string()).first;
    }
    out.push_back({p.unit_id, it->second, p.relation});
  }
  return out;
}

std::set<std::int64_t> UnitsWith(const std::vector<Party>& parties, std::string_view relation,
                                 const std::vector<std::string>& unit_types = {}) {
  std::set<std::int64_t> units;
  for (const Party& p : parties) {
    if (p.relation != relation) continue;
    if (!unit_types.empty() &&
        std::find(unit_types.begin(), unit_types.end(), p.unit_type) == unit_types.end()) {
      continue;
    }
    units.insert(p.unit_id);
  }
  return units;
}

// Tells the users who must act to clear `deadline` in the matter's state
// (see the header). `told` collects who was told.
Status NotifyActors(store::Conn& conn, store::Outbox* outbox, const RoleSet& readers,
                    const workflow::Definition& def, const workflow::DeadlineDef& deadline,
                    const store::MatterRecord& matter, const std::vector<Party>& parties,
                    const store::NotificationRecord& record, std::set<std::int64_t>& told) {
  bool anyone = false;
  for (const std::string& name : deadline.cleared_by) {
    const workflow::ActionDef* action = def.FindAction(name);
    if (action == nullptr ||
        std::find(action->from.begin(), action->from.end(), matter.state) == action->from.end()) {
      continue;
    }
    for (const workflow::ActorRule& rule : action->actors) {
      const std::string_view relation = rule.relation == workflow::Relation::kAny
                                            ? std::string_view("owner")
                                            : workflow::RelationName(rule.relation);
      const std::set<std::int64_t> units = UnitsWith(parties, relation, rule.unit_types);
      if (units.empty()) continue;
      anyone = true;
      TRY(NotifyUsersOfUnits(conn, outbox, units, readers, rule.roles, record, told));
    }
  }
  if (anyone) return core::Ok();
  return NotifyUsersOfUnits(conn, outbox, UnitsWith(parties, "owner"), readers, {}, record, told);
}

}  // namespace

DeadlineReminders::DeadlineReminders(store::Database& db, record::Log& log,
                                     const workflow::Registry& registry,
                                     const core::WorkCalendar& calendar, const Catalog& catalog,
                                     store::Notifier* notifier)
    : db_(db),
      log_(log),
      registry_(registry),
      calendar_(calendar),
      readers_(catalog.RolesGranting(kMatterReadPermission)),
      notifier_(notifier) {}

Result<ReminderRun> DeadlineReminders::RunOnce(std::int64_t now,
                                               const std::function<bool()>& stopping) {
  ReminderRun total;
  for (bool more = true; more && !(stopping && stopping());) {
    more = false;
    const ReminderRun run = TRY(RunBatch(now, more));
    total.due_soon += run.due_soon;
    total.overdue += run.overdue;
    total.notifications += run.notifications;
  }
  return total;
}

Result<ReminderRun> DeadlineReminders::RunBatch(std::int64_t now, bool& more) {
  ReminderRun run;
  auto batch = [&](store::Conn& conn, store::Outbox* outbox) -> Status {
    run = {};
    more = false;
    json::array sent;
    // One deadline: its card (overdue or not), or a silent level raise.
    auto remind = [&](const store::DeadlineRecord& d, bool overdue) -> Status {
      auto matter = TRY(store::FindMatter(conn, d.matter_id));
      const workflow::Definition* def = matter ? registry_.Find(matter->kind) : nullptr;
      const workflow::DeadlineDef* deadline = def ? def->FindDeadline(d.name) : nullptr;
      const int level = overdue ? 2 : 1;
      const bool raised = TRY(store::RaiseDeadlineLevel(conn, d.matter_id, d.name, level));
      if (!raised || deadline == nullptr || (overdue && !deadline->mark_overdue)) {
        return core::Ok();
      }
      store::NotificationRecord record;
      record.kind = std::string(overdue ? kOverdueKind : kDueSoonKind);
      record.matter_id = matter->id;
      record.title = overdue ? "已逾期：" : "期限将至：";
      record.title += deadline->labels.zh;
      record.body = matter->number + " " + matter->title + "，截止 " +
                    core::ChinaDate(d.due_at - 1) + " 24:00";
      record.created_at = now;
      const std::vector<Party> parties = TRY(PartiesOf(conn, matter->id));
      std::set<std::int64_t> told;
      TRY(NotifyActors(conn, outbox, readers_, *def, *deadline, *matter, parties, record, told));
      if (overdue) {
        std::set<std::int64_t> units;
        for (workflow::Relation r : deadline->notify_on_miss) {
          units.merge(UnitsWith(parties, workflow::RelationName(r)));
        }
        TRY(NotifyUsersOfUnits(conn, outbox, units, readers_, {}, record, told));
        ++run.overdue;
      } else {
        ++run.due_soon;
      }
      run.notifications += static_cast<int>(told.size());
      sent.push_back(json::object{{"matter_id", matter->id},
                                  {"deadline", d.name},
                                  {"due_at", d.due_at},
                                  {"card", overdue ? "overdue" : "due_soon"},
                                  {"users", static_cast<std::int64_t>(told.size())}});
      return core::Ok();
    };

    const auto overdue = TRY(store::OpenDeadlinesDue(conn, now + 1, 2, kBatch));
    for (const store::DeadlineRecord& d : overdue) TRY(remind(d, true));
    if (overdue.size() == static_cast<std::size_t>(kBatch)) {
      more = true;
    } else {
      // Past ones are at level 2 by now, so these are all still ahead.
      const int left = kBatch - static_cast<int>(overdue.size());
      const auto soon =
          TRY(store::OpenDeadlinesDue(conn, DueSoonUntil(now, calendar_) + 1, 1, left));
      for (const store::DeadlineRecord& d : soon) TRY(remind(d, false));
      more = soon.size() == static_cast<std::size_t>(left);
    }
    if (sent.empty()) return core::Ok();
    record::EventInput e;
    e.actor.username = "system";
    e.action = "deadline.remind";
    e.object_type = "deadline_reminders";
    e.object_id = std::to_string(now);
    e.detail = json::object{{"reminders", std::move(sent)}};
    TRY(log_.Append(conn, e));
    return core::Ok();
  };
  if (notifier_ == nullptr) {
    TRY(db_.Write([&](store::Conn& conn) -> Status { return batch(conn, nullptr); }));
  } else {
    TRY(notifier_->Write(
        [&](store::Conn& conn, store::Outbox& outbox) -> Status { return batch(conn, &outbox); }));
  }
  return run;
}

// ------------------------------------------------------------------ the job

DeadlineReminderJob::DeadlineReminderJob(DeadlineReminders& reminders, const core::Clock& clock,
                                         std::chrono::milliseconds interval,
                                         store::Notifier* notifier)
    : reminders_(reminders), clock_(clock), interval_(interval), notifier_(notifier) {}

DeadlineReminderJob::~DeadlineReminderJob() { Stop(); }

void DeadlineReminderJob::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void DeadlineReminderJob::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  lease_.reset();
}

bool DeadlineReminderJob::Leads() {
  if (notifier_ == nullptr) return true;
  if (lease_ && !lease_->Held()) {
    spdlog::warn("deadline reminder leadership lost");
    lease_.reset();
  }
  if (!lease_) {
    lease_ = notifier_->TryLead(kRemindersLease);
    if (lease_) spdlog::info("this process now sends the deadline reminders");
  }
  return lease_ != nullptr;
}

void DeadlineReminderJob::Run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    if (Leads()) {
      // A large backlog is many batches: stopping is heard between them.
      auto run = reminders_.RunOnce(clock_.NowMs(), [this] {
        std::lock_guard stopping(mu_);
        return stop_;
      });
      if (!run.ok()) {
        spdlog::error("deadline reminders failed: {}", run.error().ToString());
      } else if (run->notifications > 0) {
        spdlog::info("deadline reminders: {} due soon, {} overdue, {} notifications", run->due_soon,
                     run->overdue, run->notifications);
      }
    }
    lock.lock();
    cv_.wait_for(lock, interval_, [&] { return stop_; });
  }
}

}  // namespace lvyuan::domain
