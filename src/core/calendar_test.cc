#include "core/calendar.h"

#include <gtest/gtest.h>

#include <fstream>

namespace lvyuan::core {
namespace {

const std::filesystem::path kCalendarDir =
    std::filesystem::path(LVYUAN_SOURCE_ROOT) / "data/calendar";

Date D(std::string_view text) {
  std::optional<Date> d = ParseDate(text);
  if (!d) throw std::runtime_error("bad date in test: " + std::string(text));
  return *d;
}

class ShippedCalendarTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto loaded = WorkCalendar::Load(kCalendarDir);
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    calendar_ = new WorkCalendar(std::move(loaded).value());
  }
  static void TearDownTestSuite() {
    delete calendar_;
    calendar_ = nullptr;
  }
  static const WorkCalendar& cal() { return *calendar_; }
  static std::string AddWorking(std::string_view from, int days) {
    auto r = cal().AddWorkingDays(D(from), days);
    return r.ok() ? FormatDate(r->date) : r.error().ToString();
  }

  static inline WorkCalendar* calendar_ = nullptr;
};

TEST(DateTest, ParsesAndFormatsOnlyRealDates) {
  EXPECT_EQ(FormatDate(D("2026-02-28")), "2026-02-28");
  EXPECT_EQ(FormatDate(D("2024-02-29")), "2024-02-29");
  for (std::string_view bad : {"2026-02-29", "2026-13-01", "2026-2-01", "20260201", "2026-02-01x",
                               "", "abcd-ef-gh", "2026-00-10"}) {
    EXPECT_FALSE(ParseDate(bad).has_value()) << bad;
  }
}

TEST_F(ShippedCalendarTest, CoversTheAnnouncedYears) {
  EXPECT_EQ(cal().first_year(), 2004);
  EXPECT_EQ(cal().last_year(), 2026);
}

TEST_F(ShippedCalendarTest, TellsWhatKindOfDayADateIs) {
  const DayInfo eve = cal().Day(D("2026-02-15"));  // Sunday, first day of 春节
  EXPECT_EQ(eve.kind, DayKind::kHoliday);
  EXPECT_FALSE(eve.working);
  EXPECT_EQ(eve.name_zh, "春节");
  EXPECT_EQ(eve.name_en, "Spring Festival");
  EXPECT_FALSE(eve.in_lieu);
  EXPECT_FALSE(eve.provisional);

  const DayInfo swapped = cal().Day(D("2026-02-23"));  // Monday off in exchange
  EXPECT_EQ(swapped.kind, DayKind::kHoliday);
  EXPECT_TRUE(swapped.in_lieu);

  const DayInfo makeup = cal().Day(D("2026-02-28"));  // Saturday worked
  EXPECT_EQ(makeup.kind, DayKind::kMakeUpWorkday);
  EXPECT_TRUE(makeup.working);
  EXPECT_EQ(makeup.name_zh, "春节");

  EXPECT_EQ(cal().Day(D("2026-03-07")).kind, DayKind::kWeekend);  // an ordinary Saturday
  EXPECT_EQ(cal().Day(D("2026-03-09")).kind, DayKind::kWorkday);  // an ordinary Monday
  EXPECT_EQ(cal().Day(D("2026-10-01")).name_zh, "国庆节");
  EXPECT_EQ(DayKindName(DayKind::kMakeUpWorkday), "makeup_workday");
}

TEST_F(ShippedCalendarTest, CountsWorkingDaysAcrossSpringFestivalAndMakeUpDays) {
  // Friday 13 Feb → the make-up Saturday 14 Feb is the first working day.
  EXPECT_EQ(AddWorking("2026-02-13", 1), "2026-02-14");
  // After it, 15–23 Feb are off: the next is Tuesday 24 Feb.
  EXPECT_EQ(AddWorking("2026-02-14", 1), "2026-02-24");
  // 行刑衔接: police decide within 3 working days of a transfer received on Thursday 12 Feb.
  EXPECT_EQ(AddWorking("2026-02-12", 3), "2026-02-24");
  // The make-up Saturday 28 Feb counts.
  EXPECT_EQ(AddWorking("2026-02-26", 2), "2026-02-28");
  EXPECT_EQ(AddWorking("2026-03-06", 0), "2026-03-06");
  // 2025: 春节 28 Jan – 4 Feb, make-up Sunday 26 Jan and Saturday 8 Feb.
  EXPECT_EQ(AddWorking("2025-01-24", 1), "2025-01-26");
  EXPECT_EQ(AddWorking("2025-01-27", 1), "2025-02-05");
  EXPECT_EQ(AddWorking("2025-02-07", 1), "2025-02-08");

  EXPECT_EQ(cal().WorkingDaysBetween(D("2026-02-13"), D("2026-02-28")), 6);
  EXPECT_EQ(cal().WorkingDaysBetween(D("2026-02-28"), D("2026-02-13")), -6);
  EXPECT_EQ(cal().WorkingDaysBetween(D("2026-02-15"), D("2026-02-15")), 0);
  // National Day week 1–7 Oct 2026 (Thursday to Wednesday), make-up 20 Sep and 10 Oct.
  EXPECT_EQ(AddWorking("2026-09-30", 1), "2026-10-08");
  EXPECT_EQ(cal().WorkingDaysBetween(D("2026-09-18"), D("2026-09-20")), 1);
}

TEST_F(ShippedCalendarTest, CalendarDayLimitsEndingOnARestDayMoveToTheNextWorkingDay) {
  auto r = cal().AddCalendarDays(D("2026-02-05"), 10);  // 15 Feb, 春节
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatDate(r->date), "2026-02-24");
  r = cal().AddCalendarDays(D("2026-02-13"), 1);  // the make-up Saturday is a working day
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatDate(r->date), "2026-02-14");
  r = cal().AddCalendarDays(D("2026-03-02"), 5);  // Saturday 7 Mar → Monday 9 Mar
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FormatDate(r->date), "2026-03-09");
}

TEST_F(ShippedCalendarTest, AnswersBeyondTheAnnouncedYearsAreProvisional) {
  auto inside = cal().AddWorkingDays(D("2026-03-02"), 5);
  ASSERT_TRUE(inside.ok());
  EXPECT_FALSE(inside->provisional);
  auto beyond = cal().AddWorkingDays(D("2026-12-25"), 10);
  ASSERT_TRUE(beyond.ok());
  EXPECT_TRUE(beyond->provisional);
  // 28, 29, 30, 31 Dec, then weekdays of January 2027 (1 Jan 2027 is a Friday, assumed worked).
  EXPECT_EQ(FormatDate(beyond->date), "2027-01-08");
  EXPECT_TRUE(cal().Day(D("2027-01-01")).provisional);
  EXPECT_TRUE(cal().Day(D("2027-01-01")).working);
}

TEST_F(ShippedCalendarTest, RefusesCountsOutOfRange) {
  for (int days : {-1, 3651}) {
    auto r = cal().AddWorkingDays(D("2026-03-02"), days);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(r.error().field, "days");
    EXPECT_FALSE(cal().AddCalendarDays(D("2026-03-02"), days).ok());
  }
}

constexpr std::string_view kAnnounced = R"({
  "holidays": {"2026-10-01": "National Day,国庆节,3", "2026-10-02": "National Day,国庆节,3"},
  "workdays": {"2026-10-10": "National Day,国庆节,3"},
  "inLieuDays": {"2026-10-02": "National Day,国庆节,3"}
})";

TEST(WorkCalendarTest, OverridesAddYearsAndCorrectDays) {
  auto cal = WorkCalendar::FromJson(kAnnounced, R"({
    "description": "湖州市补充",
    "holidays": {"2027-01-01": "New Year's Day,元旦"},
    "workdays": {"2026-10-02": "National Day,国庆节"},
    "remove": ["2026-10-10"],
    "years": [2027]
  })");
  ASSERT_TRUE(cal.ok()) << cal.error().ToString();
  EXPECT_EQ(cal->last_year(), 2027);
  EXPECT_EQ(cal->Day(D("2027-01-01")).kind, DayKind::kHoliday);
  EXPECT_FALSE(cal->Day(D("2027-01-01")).provisional);
  EXPECT_EQ(cal->Day(D("2027-01-01")).name_zh, "元旦");
  // The override wins over the announced file, and a removed date is ordinary again.
  EXPECT_EQ(cal->Day(D("2026-10-02")).kind, DayKind::kMakeUpWorkday);
  EXPECT_EQ(cal->Day(D("2026-10-10")).kind, DayKind::kWeekend);
  EXPECT_EQ(cal->Day(D("2026-10-01")).kind, DayKind::kHoliday);
}

TEST(WorkCalendarTest, RejectsMalformedFilesNamingTheEntry) {
  struct Case {
    std::string_view announced;
    std::string_view overrides;
    std::string_view expected;
  } cases[] = {
      {"not json", "", "chinese-days.json 不是有效的 JSON 对象"},
      {R"({"holidays": {}})", "", "没有任何节假日"},
      {R"({"holidays": {"2026-02-30": "x,y"}})", "", "holidays.2026-02-30 不是有效日期"},
      {R"({"holidays": {"2026-10-01": "x,y"}, "workdays": {"2026-10-01": "x,y"}})", "",
       "同时被列为节假日与调休上班日"},
      {R"({"holidays": {"2026-10-01": 3}})", "", "holidays.2026-10-01 应为"},
      {R"({"holidays": {"2026-10-01": "x,y"}, "years": [2027]})", "", "未知的成员 \"years\""},
      {kAnnounced, R"({"holiday": {}})", "overrides.json: 未知的成员 \"holiday\""},
      {kAnnounced, R"({"remove": ["someday"]})", "remove 中有无效日期"},
      {kAnnounced, R"({"years": ["2027"]})", "years 中应为年份数字"},
  };
  for (const Case& c : cases) {
    auto cal = WorkCalendar::FromJson(c.announced, c.overrides);
    ASSERT_FALSE(cal.ok()) << c.expected;
    EXPECT_EQ(cal.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(cal.error().message.find(c.expected), std::string::npos) << cal.error().message;
  }
}

TEST(WorkCalendarTest, LoadNeedsTheAnnouncedFile) {
  auto missing = WorkCalendar::Load(std::filesystem::path(::testing::TempDir()) / "no-calendar");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace lvyuan::core
