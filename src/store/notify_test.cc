#include "store/notify.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using core::ErrorCode;
using testing::CodeOf;
using testing::IsOk;

// What one subscriber heard, with a bounded wait for the next of it.
class Inbox {
 public:
  void Add(const Notification& message) {
    std::lock_guard lock(mu_);
    messages_.push_back(message.channel + "|" + message.payload);
    changed_.notify_all();
  }
  void AddReset() {
    std::lock_guard lock(mu_);
    ++resets_;
    changed_.notify_all();
  }
  // True once `entry` ("channel|payload") arrived, waiting up to 20 s.
  bool WaitFor(const std::string& entry) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] {
      return std::find(messages_.begin(), messages_.end(), entry) != messages_.end();
    });
  }
  bool WaitForResets(int count) {
    std::unique_lock lock(mu_);
    return changed_.wait_for(lock, std::chrono::seconds(20), [&] { return resets_ >= count; });
  }
  std::vector<std::string> messages() {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> messages_;
  int resets_ = 0;
};

Notifier::Subscription SubscribeInto(Notifier& notifier, const std::string& channel, Inbox& inbox) {
  return notifier.Subscribe(
      channel, [&inbox](const Notification& message) { inbox.Add(message); },
      [&inbox] { inbox.AddReset(); });
}

Status PublishOne(Notifier& notifier, std::string_view channel, std::string_view payload) {
  return notifier.Write([&](Conn&, Outbox& outbox) { return outbox.Publish(channel, payload); });
}

class NotifierTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(IsOk(scratch_.status()));
    options_.url = scratch_.url();
    auto db = Open(options_);
    ASSERT_TRUE(IsOk(db));
    db_ = std::move(db).value();
    ASSERT_TRUE(IsOk(db_->Migrate()));
    notifier_ = MakeNotifier(*db_, options_);
    WaitUntilListening(*notifier_);
  }
  static void WaitUntilListening(Notifier& notifier) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!notifier.Listening() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_TRUE(notifier.Listening());
  }

  testing::TestDatabase scratch_{GetParam()};
  OpenOptions options_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Notifier> notifier_;
};

TEST_P(NotifierTest, CommittedMessageReachesTheSubscribersOfItsChannelOnly) {
  Inbox accounts;
  Inbox other;
  auto first = SubscribeInto(*notifier_, "accounts", accounts);
  auto second = SubscribeInto(*notifier_, "other", other);
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "accounts", "session 7")));
  ASSERT_TRUE(accounts.WaitFor("accounts|session 7"));
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "other", "marker")));
  ASSERT_TRUE(other.WaitFor("other|marker"));
  EXPECT_EQ(accounts.messages(), std::vector<std::string>{"accounts|session 7"});
  EXPECT_EQ(other.messages(), std::vector<std::string>{"other|marker"});
}

TEST_P(NotifierTest, RolledBackWriteDeliversNothing) {
  Inbox inbox;
  auto subscription = SubscribeInto(*notifier_, "accounts", inbox);
  Status failed = notifier_->Write([](Conn&, Outbox& outbox) -> Status {
    TRY(outbox.Publish("accounts", "rolled back"));
    return core::Aborted("changed my mind");
  });
  EXPECT_EQ(CodeOf(failed), ErrorCode::kAborted);
  // Messages arrive in commit order: once the later one is in, the first
  // would have been too.
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "accounts", "committed")));
  ASSERT_TRUE(inbox.WaitFor("accounts|committed"));
  EXPECT_EQ(inbox.messages(), std::vector<std::string>{"accounts|committed"});
}

TEST_P(NotifierTest, PayloadAndChannelOutsideTheLimitsAreRefusedNamingTheField) {
  Status too_long = PublishOne(*notifier_, "accounts", std::string(kMaxPayloadBytes + 1, 'x'));
  ASSERT_EQ(CodeOf(too_long), ErrorCode::kInvalidArgument);
  EXPECT_EQ(too_long.error().field, "payload");
  Status bad_channel = PublishOne(*notifier_, "Accounts!", "x");
  ASSERT_EQ(CodeOf(bad_channel), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad_channel.error().field, "channel");
  Inbox inbox;
  auto subscription = SubscribeInto(*notifier_, "accounts", inbox);
  const std::string largest(kMaxPayloadBytes, 'y');
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "accounts", largest)));
  EXPECT_TRUE(inbox.WaitFor("accounts|" + largest));
}

TEST_P(NotifierTest, NoCallbackRunsAfterTheSubscriptionIsGone) {
  Inbox kept;
  Inbox dropped;
  auto keep = SubscribeInto(*notifier_, "accounts", kept);
  { auto gone = SubscribeInto(*notifier_, "accounts", dropped); }
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "accounts", "after")));
  ASSERT_TRUE(kept.WaitFor("accounts|after"));
  EXPECT_TRUE(dropped.messages().empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, NotifierTest, ::testing::ValuesIn(testing::TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

// Two notifiers on one PostgreSQL database stand for two processes.
class PostgresNotifierTest : public NotifierTest {};

TEST_P(PostgresNotifierTest, MessageOfOneProcessReachesTheOther) {
  auto other_db = Open(options_);
  ASSERT_TRUE(IsOk(other_db));
  auto other = MakeNotifier(**other_db, options_);
  WaitUntilListening(*other);
  Inbox inbox;
  auto subscription = SubscribeInto(*other, "accounts", inbox);
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "accounts", "user 3")));
  EXPECT_TRUE(inbox.WaitFor("accounts|user 3"));
}

TEST_P(PostgresNotifierTest, LostListeningConnectionResetsThenHearsAgain) {
  Inbox inbox;
  auto subscription = SubscribeInto(*notifier_, "accounts", inbox);
  // End this notifier's LISTEN session from the server side (its last
  // statement named this test's schema).
  const std::string schema = options_.url.substr(options_.url.rfind("%3D") + 3);
  auto admin = Open({.url = testing::PostgresTestUrl()});
  ASSERT_TRUE(IsOk(admin));
  ASSERT_TRUE(IsOk((*admin)->Write([&](Conn& conn) -> Status {
    const Value params[] = {"%" + schema + "%"};
    auto ended =
        TRY(conn.Query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE application_name = 'lvyuan-listen' AND query LIKE ?",
                       params));
    if (ended.size() != 1) return core::Internal("expected one listener");
    return core::Ok();
  })));
  // One reset when the loss is noticed, one once listening again.
  ASSERT_TRUE(inbox.WaitForResets(2));
  ASSERT_TRUE(IsOk(PublishOne(*notifier_, "accounts", "after reconnect")));
  EXPECT_TRUE(inbox.WaitFor("accounts|after reconnect"));
}

TEST_P(PostgresNotifierTest, OnlyOneProcessLeadsUntilItsLeaseEnds) {
  auto other_db = Open(options_);
  ASSERT_TRUE(IsOk(other_db));
  auto other = MakeNotifier(**other_db, options_);
  auto lease = notifier_->TryLead("checkpoints");
  ASSERT_NE(lease, nullptr);
  EXPECT_TRUE(lease->Held());
  EXPECT_EQ(other->TryLead("checkpoints"), nullptr);
  EXPECT_NE(other->TryLead("something else"), nullptr) << "names lead independently";
  lease.reset();
  auto taken_over = other->TryLead("checkpoints");
  ASSERT_NE(taken_over, nullptr);
  EXPECT_TRUE(taken_over->Held());
}

std::vector<std::string> PostgresOnly() {
  return testing::PostgresTestUrl().empty() ? std::vector<std::string>{}
                                            : std::vector<std::string>{"postgresql"};
}
INSTANTIATE_TEST_SUITE_P(Backends, PostgresNotifierTest, ::testing::ValuesIn(PostgresOnly()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(PostgresNotifierTest);

}  // namespace
}  // namespace lvyuan::store
