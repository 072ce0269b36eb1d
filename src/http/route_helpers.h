// Pieces shared by the files that register routes (routes.cc and its
// siblings): request metadata, query parameters, cursors, page and event
// JSON. Internal to src/http.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "domain/accounts.h"
#include "http/router.h"
#include "store/record.h"

namespace lvyuan::http {

domain::RequestMeta MetaOf(const Request& r);
// An ISO 8601 UTC time, or null.
boost::json::value OptTime(const std::optional<std::int64_t>& ms);
boost::json::array Strings(const std::vector<std::string>& items);

// Opaque page cursors (base64url of the decimal key).
std::string EncodeCursor(std::int64_t id);
// The ?cursor= value; 0 when absent. InvalidArgument (field "cursor").
core::Result<std::int64_t> DecodeCursor(const Request& r);
// A non-negative decimal of at most `max_digits` digits, or nullopt.
std::optional<std::int64_t> ParseDecimal(std::string_view text, std::size_t max_digits);
// ?limit= in 1..max, `fallback` when absent. InvalidArgument (field "limit").
core::Result<int> LimitOf(const Request& r, int fallback, int max = 200);
// ?name=true|false|1|0; InvalidArgument (field name) otherwise.
core::Result<std::optional<bool>> BoolQuery(const Request& r, std::string_view name);
// ?name= as a non-negative integer; InvalidArgument (field name) otherwise.
core::Result<std::optional<std::int64_t>> IntQuery(const Request& r, std::string_view name);
// ?name= (at most 200 bytes), empty when absent.
std::string TextQuery(const Request& r, std::string_view name);

// {"items": [...], "next_cursor": ...}
template <typename T>
inline boost::json::object PageJson(const domain::Page<T>& page,
                                    const std::function<boost::json::value(const T&)>& f) {
  boost::json::array items;
  for (const auto& item : page.items) items.push_back(f(item));
  return boost::json::object{
      {"items", std::move(items)},
      {"next_cursor", page.next_after ? boost::json::value(EncodeCursor(*page.next_after))
                                      : boost::json::value(nullptr)}};
}

struct Services;
// The route groups RegisterRoutes adds (record_routes.cc, evidence_routes.cc,
// calendar_routes.cc, stream_routes.cc).
void AddRecordRoutes(Router& router, const Services& services);
void AddStreamRoutes(Router& router, const Services& services);
void AddEvidenceRoutes(Router& router, const Services& services);
void AddCalendarRoutes(Router& router, const Services& services);

// Parses stored JSON text; `fallback` if it does not parse.
boost::json::value ParsedOr(const std::string& text, boost::json::value fallback);
// One record event as the API shows it.
boost::json::value EventJson(const store::EventRecord& e);

}  // namespace lvyuan::http
