#include "core/result.h"

#include <gtest/gtest.h>

#include <memory>

namespace lvyuan::core {
namespace {

Result<int> ParsePositive(int v) {
  if (v <= 0) return InvalidArgument("must be positive", "v");
  return v;
}

Result<int> Doubled(int v) {
  int x = TRY(ParsePositive(v));
  return x * 2;
}

Status CheckBoth(int a, int b) {
  TRY(ParsePositive(a));
  TRY(ParsePositive(b));
  return Ok();
}

TEST(ResultTest, TryPropagatesErrorWithField) {
  auto r = Doubled(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().field, "v");
  EXPECT_EQ(r.error().ToString(), "INVALID_ARGUMENT: must be positive (field v)");
}

TEST(ResultTest, TryYieldsValue) {
  auto r = Doubled(21);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 42);
}

TEST(ResultTest, StatusReportsFirstFailure) {
  EXPECT_TRUE(CheckBoth(1, 2).ok());
  auto s = CheckBoth(1, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "must be positive");
}

TEST(ResultTest, HoldsMoveOnlyValues) {
  Result<std::unique_ptr<int>> r = std::make_unique<int>(7);
  ASSERT_TRUE(r.ok());
  auto p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultTest, LockedHasItsOwnName) { EXPECT_EQ(ErrorCodeName(Locked("x").code), "LOCKED"); }

}  // namespace
}  // namespace lvyuan::core
