// The working-day calendar's routes: what kind of day a date is, and the
// N-th working day after a date, as every time limit of the product counts it.
#include <boost/json.hpp>

#include "core/calendar.h"
#include "http/json.h"
#include "http/route_helpers.h"
#include "http/routes.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;

namespace {

Result<core::Date> DateQuery(const Request& r, std::string_view name) {
  const std::string text = TextQuery(r, name);
  if (text.empty()) return core::InvalidArgument("请给出日期（YYYY-MM-DD）", std::string(name));
  std::optional<core::Date> date = core::ParseDate(text);
  if (!date) {
    return core::InvalidArgument("日期应为 YYYY-MM-DD 形式的真实日期", std::string(name));
  }
  return *date;
}

json::object DayJson(const core::DayInfo& d) {
  json::value holiday = nullptr;
  if (!d.name_zh.empty() || !d.name_en.empty()) {
    holiday = json::object{{"zh", d.name_zh}, {"en", d.name_en}};
  }
  return json::object{{"date", core::FormatDate(d.date)},
                      {"working", d.working},
                      {"kind", core::DayKindName(d.kind)},
                      {"holiday", std::move(holiday)},
                      {"in_lieu", d.in_lieu},
                      {"provisional", d.provisional}};
}

}  // namespace

void AddCalendarRoutes(Router& router, const Services& services) {
  const core::WorkCalendar* calendar = services.calendar;

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/calendar/day",
              .handler = Wrap([calendar](Request& r) -> Result<Response> {
                return JsonResponse(200, DayJson(calendar->Day(TRY(DateQuery(r, "date")))));
              })});

  router.Add({.method = Verb::get,
              .pattern = "/api/v1/calendar/add-working-days",
              .handler = Wrap([calendar](Request& r) -> Result<Response> {
                const core::Date from = TRY(DateQuery(r, "from"));
                const std::optional<std::int64_t> days = TRY(IntQuery(r, "days"));
                if (!days) return core::InvalidArgument("请给出工作日数", "days");
                if (*days > 3650)
                  return core::InvalidArgument("工作日数应在 0 到 3650 之间", "days");
                const core::CalendarDeadline due =
                    TRY(calendar->AddWorkingDays(from, static_cast<int>(*days)));
                return JsonResponse(200, json::object{{"from", core::FormatDate(from)},
                                                      {"days", *days},
                                                      {"date", core::FormatDate(due.date)},
                                                      {"provisional", due.provisional}});
              })});
}

}  // namespace lvyuan::http
