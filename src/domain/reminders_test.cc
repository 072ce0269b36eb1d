// Deadline reminders on a real SQLite deployment with the shipped
// definitions and working-day calendar, the clock set around the 2026 Spring
// Festival (rest days 15–23 February; Saturday 14 February and Saturday 28
// February worked).
#include "domain/reminders.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "domain/matters_fixture.h"

namespace lvyuan::domain {
namespace {

using workflow::testing::ChinaTime;

class RemindersTest : public MattersFixture {
 protected:
  void SetUp() override {
    MattersFixture::SetUp();
    const Shipped& shipped = Shipped::Get();
    reminders_ = std::make_unique<DeadlineReminders>(*db_, *log_, shipped.registry,
                                                     shipped.calendar, *catalog_, nullptr);
  }
  void TearDown() override {
    reminders_.reset();
    MattersFixture::TearDown();
  }

  ReminderRun RunAt(std::string_view china_time) {
    clock_.Set(ChinaTime(china_time));
    return Ok(reminders_->RunOnce(clock_.NowMs()));
  }

  // The kinds of the user's notifications about deadlines, oldest first.
  std::vector<std::string> Cards(const Principal& who) {
    std::vector<std::string> kinds;
    auto inbox = Ok(matters_->ListNotifications(who, false, 0, 100));
    for (auto it = inbox.rbegin(); it != inbox.rend(); ++it) {
      if (it->kind.starts_with("deadline.")) kinds.push_back(it->kind);
    }
    return kinds;
  }

  std::vector<store::EventRecord> ReminderEvents() {
    std::vector<store::EventRecord> events;
    EXPECT_TRUE(db_->Read([&](store::Conn& conn) -> core::Status {
                     store::EventFilter filter;
                     filter.object_type = "deadline_reminders";
                     filter.limit = 100;
                     events = TRY(store::ListEvents(conn, filter));
                     return core::Ok();
                   })
                    .ok());
    return events;
  }

  std::unique_ptr<DeadlineReminders> reminders_;
};

using Kinds = std::vector<std::string>;

TEST_F(RemindersTest, FilingDecisionGetsItsYellowCardOnTheMakeUpSaturdayAndItsRedCardOnce) {
  // Sent Thursday 12 February 09:00 and accepted at once: three days end on
  // Sunday 15 February, inside the holiday, so the decision is due by the
  // end of Tuesday 24 February.
  clock_.Set(ChinaTime("2026-02-12T09:00"));
  const std::int64_t id = CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  const Principal& leader = User("public_security", "unit_leader");
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  const Principal& procurator = User("procuratorate", "procurator");
  const Principal& judge = User("court", "judge");
  Ok(matters_->Act(police, id, "accept", json::object{}, 1, {}));

  // Thursday and Friday: the working days 14 and 24 February are left.
  EXPECT_EQ(RunAt("2026-02-12T10:00").notifications, 0);
  EXPECT_EQ(RunAt("2026-02-13T17:00").notifications, 0);
  EXPECT_TRUE(Cards(police).empty());

  // The make-up Saturday: only 24 February is left — yellow, to the police
  // who may file or decline, no one else.
  ReminderRun yellow = RunAt("2026-02-14T08:00");
  EXPECT_EQ(yellow.due_soon, 1);
  EXPECT_EQ(yellow.overdue, 0);
  EXPECT_EQ(Cards(police), Kinds{"deadline.due_soon"});
  EXPECT_EQ(Cards(leader), Kinds{"deadline.due_soon"});
  EXPECT_TRUE(Cards(officer).empty());
  EXPECT_TRUE(Cards(procurator).empty());
  auto inbox = Ok(matters_->ListNotifications(police, false, 0, 1));
  EXPECT_EQ(inbox.at(0).title, "期限将至：立案决定期限");
  EXPECT_EQ(inbox.at(0).matter_id, id);
  EXPECT_NE(inbox.at(0).body.find("截止 2026-02-24"), std::string::npos) << inbox.at(0).body;

  // Sent once: again the same day and all through the holiday, nothing new.
  EXPECT_EQ(RunAt("2026-02-14T08:01").notifications, 0);
  EXPECT_EQ(RunAt("2026-02-18T10:00").notifications, 0);
  EXPECT_EQ(RunAt("2026-02-24T23:59").notifications, 0);

  // Midnight after 24 February: red, to the police and to every unit the
  // definition names on a miss (owner, recipient, copied) — the court none.
  ReminderRun red = RunAt("2026-02-25T00:00");
  EXPECT_EQ(red.overdue, 1);
  EXPECT_EQ(Cards(police), (Kinds{"deadline.due_soon", "deadline.overdue"}));
  EXPECT_EQ(Cards(officer), Kinds{"deadline.overdue"});
  EXPECT_EQ(Cards(procurator), Kinds{"deadline.overdue"});
  EXPECT_TRUE(Cards(judge).empty());
  EXPECT_EQ(Ok(matters_->ListNotifications(officer, false, 0, 1)).at(0).title,
            "已逾期：立案决定期限");
  EXPECT_EQ(RunAt("2026-02-26T09:00").notifications, 0);

  // One record event per batch that sent cards, listing them.
  const auto events = ReminderEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].action, "deadline.remind");
  EXPECT_NE(events[0].detail.find("\"card\":\"overdue\""), std::string::npos) << events[0].detail;
  EXPECT_NE(events[1].detail.find("\"deadline\":\"filing_decision\""), std::string::npos);
}

TEST_F(RemindersTest, DeadlineFirstSeenOverdueGetsOnlyTheRedCard) {
  // The 24-hour acceptance limit from Friday 13 February 10:00, first
  // looked at on Monday 16 February.
  clock_.Set(ChinaTime("2026-02-13T10:00"));
  CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  ReminderRun run = RunAt("2026-02-16T09:00");
  EXPECT_EQ(run.overdue, 1);
  EXPECT_EQ(run.due_soon, 0);
  EXPECT_EQ(Cards(police), Kinds{"deadline.overdue"});
  EXPECT_EQ(RunAt("2026-02-16T09:01").notifications, 0);
}

TEST_F(RemindersTest, RunStopsBeforeABatchWhenAskedAndTheCardsWaitForTheNextRun) {
  clock_.Set(ChinaTime("2026-02-13T10:00"));
  CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  clock_.Set(ChinaTime("2026-02-16T09:00"));
  ReminderRun stopped = Ok(reminders_->RunOnce(clock_.NowMs(), [] { return true; }));
  EXPECT_EQ(stopped.overdue, 0);
  EXPECT_EQ(stopped.notifications, 0);
  EXPECT_TRUE(Cards(police).empty());
  EXPECT_EQ(RunAt("2026-02-16T09:01").overdue, 1);
  EXPECT_EQ(Cards(police), Kinds{"deadline.overdue"});
}

TEST_F(RemindersTest, MetDeadlinesAndWindowsThatDoNotMarkMissesGetNoRedCard) {
  clock_.Set(ChinaTime("2026-03-02T09:00"));  // a Monday
  const std::int64_t id = CriminalTransfer();
  const Principal& police = User("public_security", "police_officer");
  const Principal& officer = User("ecology_environment", "enforcement_officer");
  Ok(matters_->Act(police, id, "accept", json::object{}, 1, {}));
  Ok(matters_->Act(police, id, "decline", json::object{{"reason", "证据不足，不构成犯罪"}}, 2, {}));
  // The agency may ask for reconsideration within 3 working days (until the
  // end of Thursday 5 March): a yellow card to the agency, and after the
  // window nothing, since a closed window is not a miss.
  EXPECT_EQ(RunAt("2026-03-04T09:00").due_soon, 1);
  EXPECT_EQ(Cards(officer), Kinds{"deadline.due_soon"});
  ReminderRun after = RunAt("2026-03-09T09:00");
  EXPECT_EQ(after.overdue, 0);
  EXPECT_EQ(after.notifications, 0);
  EXPECT_EQ(Cards(officer), Kinds{"deadline.due_soon"});
  // The cleared acceptance and filing deadlines were never reminded of.
  EXPECT_TRUE(Cards(police).empty());
}

TEST_F(RemindersTest, JobRunsOnItsThreadAndStops) {
  clock_.Set(ChinaTime("2026-02-13T10:00"));
  CriminalTransfer();
  clock_.Set(ChinaTime("2026-02-16T09:00"));
  auto notifier = store::MakeNotifier(*db_, {.url = (dir_ / "lvyuan.db").string()});
  DeadlineReminders reminders(*db_, *log_, Shipped::Get().registry, Shipped::Get().calendar,
                              *catalog_, notifier.get());
  std::mutex mu;
  std::condition_variable heard_cv;
  std::vector<std::string> heard;
  auto subscription = notifier->Subscribe(std::string(kNotificationsChannel),
                                          [&](const store::Notification& message) {
                                            std::lock_guard lock(mu);
                                            heard.push_back(message.payload);
                                            heard_cv.notify_all();
                                          });
  {
    DeadlineReminderJob job(reminders, clock_, std::chrono::hours(1), notifier.get());
    job.Start();
    std::unique_lock lock(mu);
    // The first run starts at once; bounded wait for its messages.
    ASSERT_TRUE(heard_cv.wait_for(lock, std::chrono::seconds(30), [&] { return !heard.empty(); }));
  }  // stops the job
  std::lock_guard lock(mu);
  const auto message = ParseNotificationPayload(heard.at(0));
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->kind, kOverdueKind);
  EXPECT_EQ(Cards(User("public_security", "police_officer")), Kinds{"deadline.overdue"});
}

}  // namespace
}  // namespace lvyuan::domain
