#include "core/clock.h"

#include <chrono>
#include <cstdio>

namespace lvyuan::core {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

constexpr std::int64_t kChinaOffsetMs = 8LL * 3600 * 1000;

bool ParseDigits(std::string_view s, std::size_t pos, std::size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool ParseDate(std::string_view s, year_month_day* ymd) {
  int y = 0, m = 0, d = 0;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!ParseDigits(s, 0, 4, &y) || !ParseDigits(s, 5, 2, &m) || !ParseDigits(s, 8, 2, &d)) {
    return false;
  }
  year_month_day v{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(m)),
                   std::chrono::day(static_cast<unsigned>(d))};
  if (!v.ok()) return false;
  *ymd = v;
  return true;
}

std::string FormatDate(year_month_day ymd) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

std::string FormatIsoUtc(std::int64_t unix_ms) {
  std::int64_t day = FloorDiv(unix_ms, 86'400'000);
  std::int64_t ms_of_day = unix_ms - day * 86'400'000;
  year_month_day ymd{sys_days{days{day}}};
  char buf[40];
  std::snprintf(buf, sizeof buf, "%sT%02d:%02d:%02d.%03dZ", FormatDate(ymd).c_str(),
                static_cast<int>(ms_of_day / 3'600'000), static_cast<int>(ms_of_day / 60'000 % 60),
                static_cast<int>(ms_of_day / 1000 % 60), static_cast<int>(ms_of_day % 1000));
  return buf;
}

bool IsIsoDate(std::string_view text) {
  year_month_day ymd;
  return text.size() == 10 && ParseDate(text, &ymd);
}

bool ParseIsoTime(std::string_view s, std::int64_t* unix_ms) {
  year_month_day ymd;
  if (!ParseDate(s, &ymd)) return false;
  std::int64_t base =
      static_cast<std::int64_t>(sys_days{ymd}.time_since_epoch().count()) * 86'400'000;
  if (s.size() == 10) {
    *unix_ms = base - kChinaOffsetMs;
    return true;
  }
  int hh = 0, mm = 0, ss = 0;
  if (s.size() < 20 || s[10] != 'T' || s[13] != ':' || s[16] != ':') return false;
  if (!ParseDigits(s, 11, 2, &hh) || !ParseDigits(s, 14, 2, &mm) || !ParseDigits(s, 17, 2, &ss)) {
    return false;
  }
  if (hh > 23 || mm > 59 || ss > 60) return false;
  std::size_t pos = 19;
  int frac = 0;
  if (s[pos] == '.') {
    int digits = 0;
    ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return false;
    for (int i = digits; i < 3; ++i) frac *= 10;
  }
  if (pos + 1 != s.size() || s[pos] != 'Z') return false;
  *unix_ms = base + hh * 3'600'000LL + mm * 60'000LL + ss * 1000LL + frac;
  return true;
}

std::string ChinaDate(std::int64_t unix_ms) {
  std::int64_t day = FloorDiv(unix_ms + kChinaOffsetMs, 86'400'000);
  return FormatDate(year_month_day{sys_days{days{day}}});
}

}  // namespace lvyuan::core
