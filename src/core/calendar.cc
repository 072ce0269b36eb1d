#include "core/calendar.h"

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <set>
#include <span>
#include <sstream>

namespace lvyuan::core {
namespace {

namespace json = boost::json;
using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

constexpr int kMaxDays = 3650;

bool Digits(std::string_view text) {
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return !text.empty();
}

int Number(std::string_view digits) {
  int n = 0;
  for (char c : digits) n = n * 10 + (c - '0');
  return n;
}

int YearOf(Date date) { return static_cast<int>(year_month_day(date).year()); }

bool IsWeekend(Date date) {
  const unsigned weekday = std::chrono::weekday(date).c_encoding();  // 0 = Sunday
  return weekday == 0 || weekday == 6;
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("找不到工作日历文件 " + path.filename().string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// "Spring Festival,春节,4" → English and Chinese names (the third part, the
// festival's length category, is not used).
void SplitName(std::string_view value, std::string& en, std::string& zh) {
  const auto first = value.find(',');
  en = std::string(value.substr(0, first));
  zh.clear();
  if (first == std::string_view::npos) return;
  std::string_view rest = value.substr(first + 1);
  zh = std::string(rest.substr(0, rest.find(',')));
}

struct Parsed {
  std::map<Date, std::pair<DayKind, std::string>> days;  // kind, "en,zh[,n]"
  std::set<Date> in_lieu;
  std::set<Date> removed;
  std::set<int> years;
};

Status ReadMap(const json::object& root, std::string_view key, DayKind kind,
               std::string_view source, Parsed& out) {
  const json::value* v = root.if_contains(key);
  if (v == nullptr) return Ok();
  if (!v->is_object()) {
    return InvalidArgument(std::string(source) + ": \"" + std::string(key) + "\" 应为对象");
  }
  for (const auto& [date_text, name] : v->as_object()) {
    const std::string where = std::string(source) + ": " + std::string(key) + "." +
                              std::string(date_text.data(), date_text.size());
    std::optional<Date> date = ParseDate(std::string_view(date_text.data(), date_text.size()));
    if (!date) return InvalidArgument(where + " 不是有效日期（应为 YYYY-MM-DD）");
    if (!name.is_string()) return InvalidArgument(where + " 应为 \"English,中文\" 形式的名称");
    auto [it, inserted] =
        out.days.emplace(*date, std::make_pair(kind, std::string(name.as_string())));
    if (!inserted && it->second.first != kind) {
      return InvalidArgument(where + " 同时被列为节假日与调休上班日");
    }
    out.years.insert(YearOf(*date));
  }
  return Ok();
}

Result<Parsed> ParseFile(std::string_view text, std::string_view source, bool overrides) {
  Parsed out;
  if (text.empty()) return out;
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec || !root.is_object()) {
    return InvalidArgument(std::string(source) + " 不是有效的 JSON 对象");
  }
  const json::object& o = root.as_object();
  static constexpr std::string_view kAnnounced[] = {"holidays", "workdays", "inLieuDays"};
  static constexpr std::string_view kLocal[] = {"description", "holidays", "workdays", "remove",
                                                "years"};
  for (const auto& member : o) {
    const std::string_view key(member.key().data(), member.key().size());
    bool known = false;
    for (std::string_view k : overrides ? std::span<const std::string_view>(kLocal)
                                        : std::span<const std::string_view>(kAnnounced)) {
      known = known || k == key;
    }
    if (!known) {
      return InvalidArgument(std::string(source) + ": 未知的成员 \"" + std::string(key) + "\"");
    }
  }
  if (const json::value* lieu = o.if_contains("inLieuDays"); lieu != nullptr) {
    if (!lieu->is_object()) return InvalidArgument(std::string(source) + ": inLieuDays 应为对象");
    for (const auto& [date_text, unused] : lieu->as_object()) {
      std::optional<Date> date = ParseDate(std::string_view(date_text.data(), date_text.size()));
      if (!date) {
        return InvalidArgument(std::string(source) + ": inLieuDays." +
                               std::string(date_text.data(), date_text.size()) + " 不是有效日期");
      }
      out.in_lieu.insert(*date);
    }
  }
  TRY(ReadMap(o, "holidays", DayKind::kHoliday, source, out));
  TRY(ReadMap(o, "workdays", DayKind::kMakeUpWorkday, source, out));
  if (overrides) {
    if (const json::value* removed = o.if_contains("remove"); removed != nullptr) {
      if (!removed->is_array()) return InvalidArgument(std::string(source) + ": remove 应为数组");
      for (const json::value& item : removed->as_array()) {
        std::optional<Date> date =
            item.is_string() ? ParseDate(std::string_view(item.as_string())) : std::nullopt;
        if (!date) return InvalidArgument(std::string(source) + ": remove 中有无效日期");
        out.removed.insert(*date);
      }
    }
    if (const json::value* years = o.if_contains("years"); years != nullptr) {
      if (!years->is_array()) return InvalidArgument(std::string(source) + ": years 应为数组");
      for (const json::value& item : years->as_array()) {
        if (!item.is_int64() || item.as_int64() < 1949 || item.as_int64() > 2200) {
          return InvalidArgument(std::string(source) + ": years 中应为年份数字");
        }
        out.years.insert(static_cast<int>(item.as_int64()));
      }
    }
  }
  return out;
}

}  // namespace

std::optional<Date> ParseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  const std::string_view y = text.substr(0, 4), m = text.substr(5, 2), d = text.substr(8, 2);
  if (!Digits(y) || !Digits(m) || !Digits(d)) return std::nullopt;
  const year_month_day ymd{year(Number(y)), month(static_cast<unsigned>(Number(m))),
                           day(static_cast<unsigned>(Number(d)))};
  if (!ymd.ok()) return std::nullopt;
  return Date(ymd);
}

std::string FormatDate(Date date) {
  const year_month_day ymd(date);
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

std::string_view DayKindName(DayKind kind) {
  switch (kind) {
    case DayKind::kWorkday:
      return "workday";
    case DayKind::kWeekend:
      return "weekend";
    case DayKind::kHoliday:
      return "holiday";
    case DayKind::kMakeUpWorkday:
      return "makeup_workday";
  }
  return "workday";
}

Result<WorkCalendar> WorkCalendar::Load(const std::filesystem::path& dir) {
  const std::string announced = TRY(ReadFile(dir / "chinese-days.json"));
  std::string overrides;
  if (std::filesystem::exists(dir / "overrides.json")) {
    overrides = TRY(ReadFile(dir / "overrides.json"));
  }
  return FromJson(announced, overrides, "calendar");
}

Result<WorkCalendar> WorkCalendar::FromJson(std::string_view announced, std::string_view overrides,
                                            std::string_view source) {
  const std::string base_name = std::string(source) + "/chinese-days.json";
  const std::string override_name = std::string(source) + "/overrides.json";
  Parsed base = TRY(ParseFile(announced, base_name, /*overrides=*/false));
  if (base.days.empty()) return InvalidArgument(base_name + " 中没有任何节假日");
  Parsed local = TRY(ParseFile(overrides, override_name, /*overrides=*/true));

  WorkCalendar calendar;
  auto add = [&calendar](const Parsed& parsed) {
    for (const auto& [date, value] : parsed.days) {
      Entry e;
      e.kind = value.first;
      SplitName(value.second, e.name_en, e.name_zh);
      e.in_lieu = parsed.in_lieu.contains(date);
      calendar.entries_[date] = std::move(e);  // a later file wins
    }
  };
  add(base);
  for (Date date : local.removed) calendar.entries_.erase(date);
  add(local);
  std::set<int> years = base.years;
  years.insert(local.years.begin(), local.years.end());
  calendar.first_year_ = *years.begin();
  calendar.last_year_ = *years.rbegin();
  return calendar;
}

DayInfo WorkCalendar::Day(Date date) const {
  DayInfo info;
  info.date = date;
  const int y = YearOf(date);
  info.provisional = y < first_year_ || y > last_year_;
  if (auto it = entries_.find(date); it != entries_.end()) {
    const Entry& e = it->second;
    info.kind = e.kind;
    info.working = e.kind == DayKind::kMakeUpWorkday;
    info.name_zh = e.name_zh;
    info.name_en = e.name_en;
    info.in_lieu = e.in_lieu;
    return info;
  }
  info.kind = IsWeekend(date) ? DayKind::kWeekend : DayKind::kWorkday;
  info.working = info.kind == DayKind::kWorkday;
  return info;
}

Result<CalendarDeadline> WorkCalendar::AddWorkingDays(Date from, int days) const {
  if (days < 0 || days > kMaxDays) {
    return InvalidArgument("工作日数应在 0 到 3650 之间", "days");
  }
  CalendarDeadline out{.date = from, .provisional = false};
  for (int counted = 0; counted < days;) {
    out.date += std::chrono::days(1);
    const DayInfo d = Day(out.date);
    out.provisional = out.provisional || d.provisional;
    if (d.working) ++counted;
  }
  return out;
}

int WorkCalendar::WorkingDaysBetween(Date from, Date to) const {
  if (to < from) return -WorkingDaysBetween(to, from);
  int count = 0;
  for (Date d = from + std::chrono::days(1); d <= to; d += std::chrono::days(1)) {
    if (IsWorkingDay(d)) ++count;
  }
  return count;
}

Result<CalendarDeadline> WorkCalendar::AddCalendarDays(Date from, int days) const {
  if (days < 0 || days > kMaxDays) {
    return InvalidArgument("天数应在 0 到 3650 之间", "days");
  }
  CalendarDeadline out{.date = from + std::chrono::days(days), .provisional = false};
  DayInfo d = Day(out.date);
  out.provisional = d.provisional;
  while (!d.working) {
    out.date += std::chrono::days(1);
    d = Day(out.date);
    out.provisional = out.provisional || d.provisional;
  }
  return out;
}

}  // namespace lvyuan::core
