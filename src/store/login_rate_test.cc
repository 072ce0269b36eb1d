// The shared login rate limit (store/accounts.h, TakeLoginToken) on both
// backends.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/accounts.h"
#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using core::ErrorCode;
using testing::CodeOf;
using testing::IsOk;

class LoginRateTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(IsOk(scratch_.status()));
    db_ = Opened();
    ASSERT_NE(db_, nullptr);
    ASSERT_TRUE(IsOk(db_->Migrate()));
  }
  std::unique_ptr<Database> Opened() {
    auto db = Open({.url = scratch_.url()});
    EXPECT_TRUE(IsOk(db));
    return db.ok() ? std::move(db).value() : nullptr;
  }
  // One attempt of `key` at `now` against a bucket of 3 refilling 60 a minute.
  static bool Take(Database& db, std::string_view key, std::int64_t now) {
    bool allowed = false;
    Status s = db.Write([&](Conn& conn) -> Status {
      allowed = TRY(TakeLoginToken(conn, key, now, 3, 60));
      return core::Ok();
    });
    EXPECT_TRUE(IsOk(s));
    return allowed;
  }
  std::int64_t Buckets() {
    std::int64_t count = -1;
    EXPECT_TRUE(IsOk(db_->Read([&](Conn& conn) -> Status {
      count = TRY(CountLoginBuckets(conn));
      return core::Ok();
    })));
    return count;
  }

  testing::TestDatabase scratch_{GetParam()};
  std::unique_ptr<Database> db_;
};

constexpr std::int64_t kStart = 1'700'000'000'000;

TEST_P(LoginRateTest, BurstUpToCapacityThenRefusedUntilRefilled) {
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Take(*db_, "10.0.0.1", kStart)) << i;
  EXPECT_FALSE(Take(*db_, "10.0.0.1", kStart));
  EXPECT_FALSE(Take(*db_, "10.0.0.1", kStart + 999)) << "not a whole token yet";
  EXPECT_TRUE(Take(*db_, "10.0.0.1", kStart + 1000)) << "one token a second";
  EXPECT_FALSE(Take(*db_, "10.0.0.1", kStart + 1000));
}

TEST_P(LoginRateTest, AttemptsCloseTogetherStillRefill) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Take(*db_, "k", kStart));
  // Refused attempts every 300 ms: the fractions add up to a token at 1 s.
  EXPECT_FALSE(Take(*db_, "k", kStart + 300));
  EXPECT_FALSE(Take(*db_, "k", kStart + 600));
  EXPECT_FALSE(Take(*db_, "k", kStart + 900));
  EXPECT_TRUE(Take(*db_, "k", kStart + 1000));
}

TEST_P(LoginRateTest, KeysHaveTheirOwnBuckets) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Take(*db_, "a", kStart));
  EXPECT_FALSE(Take(*db_, "a", kStart));
  EXPECT_TRUE(Take(*db_, "b", kStart));
}

TEST_P(LoginRateTest, TwoConnectionsToOneDatabaseShareTheBucket) {
  auto other = Opened();  // stands for a second process
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE(Take(*db_, "shared", kStart));
  EXPECT_TRUE(Take(*other, "shared", kStart));
  EXPECT_TRUE(Take(*db_, "shared", kStart));
  EXPECT_FALSE(Take(*other, "shared", kStart));
  EXPECT_FALSE(Take(*db_, "shared", kStart));
}

TEST_P(LoginRateTest, IdleBucketsThatRefilledArePruned) {
  ASSERT_TRUE(Take(*db_, "old-1", kStart));
  ASSERT_TRUE(Take(*db_, "old-2", kStart));
  EXPECT_EQ(Buckets(), 2);
  // Three tokens at one a second: full again after 3 s.
  ASSERT_TRUE(Take(*db_, "new", kStart + 3001));
  EXPECT_EQ(Buckets(), 1);
  // A pruned key starts again with a full bucket.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Take(*db_, "old-1", kStart + 3001)) << i;
}

TEST_P(LoginRateTest, CapacityBelowOneIsRefusedNamingTheField) {
  Status s = db_->Write([](Conn& conn) -> Status {
    TRY(TakeLoginToken(conn, "k", kStart, 0, 60));
    return core::Ok();
  });
  ASSERT_EQ(CodeOf(s), ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().field, "capacity");
}

INSTANTIATE_TEST_SUITE_P(Backends, LoginRateTest, ::testing::ValuesIn(testing::TestBackends()),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace lvyuan::store
