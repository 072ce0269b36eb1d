// The working-day calendar (工作日历): which days are working days in China —
// Monday to Friday, except the public holidays the State Council announces
// each year, plus the weekend days it turns into make-up working days (调休上班).
// Every working-day time limit of the product is counted with it.
//
// The data are files, not code (provinces and the annual notice change them):
// data/calendar/chinese-days.json (the announced years; see
// data/calendar/SOURCE.md) and data/calendar/overrides.json, a deployment's own
// additions and corrections, which win over the first file.
//
// Beyond the last announced year the calendar can only assume that weekends
// are rest days and weekdays working days: such answers are marked
// provisional, so a deadline computed from them can be shown as such and
// recomputed when the notice is out.
//
// Dates are civil dates in China (no time of day). Thread safety: a loaded
// calendar is immutable; any number of threads may use its const methods.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lvyuan::core {

using Date = std::chrono::sys_days;

// "2026-02-15" → the date; nullopt for anything that is not a real date in
// that exact form.
std::optional<Date> ParseDate(std::string_view text);
// The date as "YYYY-MM-DD".
std::string FormatDate(Date date);

enum class DayKind {
  kWorkday,        // Monday–Friday, not a holiday
  kWeekend,        // Saturday or Sunday, not a make-up working day
  kHoliday,        // a public holiday's day off (周末 or 调休 included)
  kMakeUpWorkday,  // a weekend day worked instead (调休上班)
};

struct DayInfo {
  Date date;
  DayKind kind = DayKind::kWorkday;
  bool working = true;
  // The festival a holiday or make-up day belongs to; empty otherwise.
  std::string name_zh;  // "春节"
  std::string name_en;  // "Spring Festival"
  // A weekday off only because of a swap (调休), not a statutory day.
  bool in_lieu = false;
  // The date is outside the announced years: only the weekday was used.
  bool provisional = false;
};

// "workday" | "weekend" | "holiday" | "makeup_workday".
std::string_view DayKindName(DayKind kind);

struct CalendarDeadline {
  Date date;
  // Some day counted lies outside the announced years.
  bool provisional = false;
};

class WorkCalendar {
 public:
  // Reads chinese-days.json and, when present, overrides.json from `dir`.
  // Errors: NotFound when chinese-days.json is missing; InvalidArgument naming
  // the file and the entry for malformed JSON, a bad date, or a date that is
  // both a holiday and a make-up working day in one file.
  static Result<WorkCalendar> Load(const std::filesystem::path& dir);
  // The same from the files' texts (overrides may be empty). `source` names
  // the files in error messages.
  static Result<WorkCalendar> FromJson(std::string_view announced, std::string_view overrides,
                                       std::string_view source = "calendar");

  // The first and last year with announced data (after overrides).
  int first_year() const { return first_year_; }
  int last_year() const { return last_year_; }

  DayInfo Day(Date date) const;
  bool IsWorkingDay(Date date) const { return Day(date).working; }

  // The `days`-th working day after `from` (`from` itself is not counted, as
  // a time limit does not count the day it starts on); `from` for 0.
  // InvalidArgument (field "days") for a negative count or one over 3650.
  Result<CalendarDeadline> AddWorkingDays(Date from, int days) const;
  // Working days in (from, to]: how many of the days after `from` up to and
  // including `to` are working days; negative when `to` is before `from`
  // (the count in (to, from], negated).
  int WorkingDaysBetween(Date from, Date to) const;
  // A time limit of `days` calendar days from `from`: from + days, moved to
  // the next working day when it falls on a rest day (期间届满的最后一日是
  // 法定休假日的，以法定休假日后的第一日为期间届满的日期).
  // InvalidArgument (field "days") as AddWorkingDays.
  Result<CalendarDeadline> AddCalendarDays(Date from, int days) const;

 private:
  struct Entry {
    DayKind kind = DayKind::kHoliday;
    std::string name_zh;
    std::string name_en;
    bool in_lieu = false;
  };
  WorkCalendar() = default;

  std::map<Date, Entry> entries_;
  int first_year_ = 0;
  int last_year_ = 0;
};

}  // namespace lvyuan::core
