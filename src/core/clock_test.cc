#include "core/clock.h"

#include <gtest/gtest.h>

namespace lvyuan::core {
namespace {

TEST(ClockTest, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(FormatIsoUtc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatIsoUtc(1'796'154'841'123), "2026-12-01T19:54:01.123Z");
}

TEST(ClockTest, ParsesWhatItFormats) {
  std::int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTime("2026-12-01T19:54:01.123Z", &ms));
  EXPECT_EQ(ms, 1'796'154'841'123);
  ASSERT_TRUE(ParseIsoTime("2026-12-01T19:54:01Z", &ms));
  EXPECT_EQ(ms, 1'796'154'841'000);
}

TEST(ClockTest, DateAloneIsMidnightInChina) {
  std::int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTime("2026-12-02", &ms));
  EXPECT_EQ(FormatIsoUtc(ms), "2026-12-01T16:00:00.000Z");
}

TEST(ClockTest, RejectsImpossibleDatesAndJunk) {
  std::int64_t ms = 0;
  EXPECT_FALSE(ParseIsoTime("2026-02-30", &ms));
  EXPECT_FALSE(ParseIsoTime("2026-13-01", &ms));
  EXPECT_FALSE(ParseIsoTime("2026-12-01T25:00:00Z", &ms));
  EXPECT_FALSE(ParseIsoTime("2026-12-01T10:00:00+08:00", &ms));
  EXPECT_FALSE(ParseIsoTime("yesterday", &ms));
  EXPECT_TRUE(IsIsoDate("2024-02-29"));
  EXPECT_FALSE(IsIsoDate("2023-02-29"));
}

TEST(ClockTest, ChinaDateRollsOverAtSixteenUtc) {
  std::int64_t ms = 0;
  ASSERT_TRUE(ParseIsoTime("2026-12-01T15:59:59Z", &ms));
  EXPECT_EQ(ChinaDate(ms), "2026-12-01");
  EXPECT_EQ(ChinaDate(ms + 1000), "2026-12-02");
}

TEST(ClockTest, FakeClockMovesOnlyWhenTold) {
  FakeClock clock(1000);
  EXPECT_EQ(clock.NowMs(), 1000);
  clock.Advance(500);
  EXPECT_EQ(clock.NowMs(), 1500);
}

}  // namespace
}  // namespace lvyuan::core
