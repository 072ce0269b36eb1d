#include "http/route_helpers.h"

#include "core/clock.h"
#include "core/encoding.h"

namespace lvyuan::http {
namespace json = boost::json;
using core::Result;

domain::RequestMeta MetaOf(const Request& r) { return {r.client_ip, r.request_id}; }

json::value OptTime(const std::optional<std::int64_t>& ms) {
  return ms ? json::value(core::FormatIsoUtc(*ms)) : json::value(nullptr);
}

json::array Strings(const std::vector<std::string>& items) {
  json::array a;
  for (const auto& s : items) a.emplace_back(s);
  return a;
}

std::string EncodeCursor(std::int64_t id) {
  std::string s = std::to_string(id);
  return core::Base64UrlEncode(core::AsBytes(s));
}

// A non-negative decimal of at most `max_digits` digits, or nullopt.
std::optional<std::int64_t> ParseDecimal(std::string_view text, std::size_t max_digits) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  std::int64_t v = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}

Result<std::int64_t> DecodeCursor(const Request& r) {
  auto c = r.Query("cursor");
  if (!c || c->empty()) return std::int64_t{0};
  auto bytes = core::Base64UrlDecode(*c);
  if (!bytes.ok()) return core::InvalidArgument("分页游标无效", "cursor");
  auto v = ParseDecimal(
      std::string_view(reinterpret_cast<const char*>(bytes->data()), bytes->size()), 18);
  if (!v) return core::InvalidArgument("分页游标无效", "cursor");
  return *v;
}

Result<int> LimitOf(const Request& r, int fallback, int max) {
  auto l = r.Query("limit");
  if (!l || l->empty()) return fallback;
  auto v = ParseDecimal(*l, 4);
  if (!v || *v < 1 || *v > max) {
    return core::InvalidArgument("每页条数应为 1 到 " + std::to_string(max) + " 的整数", "limit");
  }
  return static_cast<int>(*v);
}

Result<std::optional<bool>> BoolQuery(const Request& r, std::string_view name) {
  auto v = r.Query(name);
  if (!v || v->empty()) return std::optional<bool>();
  if (*v == "true" || *v == "1") return std::optional<bool>(true);
  if (*v == "false" || *v == "0") return std::optional<bool>(false);
  return core::InvalidArgument("应为 true 或 false", std::string(name));
}

Result<std::optional<std::int64_t>> IntQuery(const Request& r, std::string_view name) {
  auto v = r.Query(name);
  if (!v || v->empty()) return std::optional<std::int64_t>();
  auto parsed = ParseDecimal(*v, 18);
  if (!parsed) return core::InvalidArgument("应为整数", std::string(name));
  return parsed;
}

std::string TextQuery(const Request& r, std::string_view name) {
  auto v = r.Query(name);
  return v ? std::string(v->substr(0, 200)) : std::string();
}

json::value ParsedOr(const std::string& text, json::value fallback) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? fallback : v;
}

json::value EventJson(const store::EventRecord& e) {
  return json::object{
      {"seq", e.seq},
      {"at", core::FormatIsoUtc(e.at)},
      {"actor_user_id", e.actor_user_id ? json::value(*e.actor_user_id) : json::value(nullptr)},
      {"actor_username", e.actor_username},
      {"actor_unit_id", e.actor_unit_id ? json::value(*e.actor_unit_id) : json::value(nullptr)},
      {"action", e.action},
      {"object_type", e.object_type},
      {"object_id", e.object_id},
      {"outcome", e.outcome},
      {"changes", ParsedOr(e.changes, json::object{})},
      {"files", ParsedOr(e.files, json::array{})},
      {"client_ip", e.client_ip},
      {"request_id", e.request_id},
      {"detail", ParsedOr(e.detail, json::object{})},
      {"leaf_hash", core::HexEncode(e.leaf_hash)}};
}

}  // namespace lvyuan::http
