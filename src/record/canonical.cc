#include "record/canonical.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cstdio>
#include <vector>

#include "core/clock.h"

namespace lvyuan::record {
namespace json = boost::json;

void AppendCanonicalString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // start of the pending unescaped run
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

namespace {

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendOptionalInt(std::string& out, const std::optional<std::int64_t>& v) {
  if (v) {
    AppendInt(out, *v);
  } else {
    out += "null";
  }
}

// core::FormatIsoUtc, with the date part kept for the next call on the same
// day (consecutive events nearly always share it).
class TimeFormatter {
 public:
  void Append(std::string& out, std::int64_t unix_ms) {
    const std::int64_t day = FloorDiv(unix_ms, kDayMs);
    if (!have_ || day != day_) {
      std::string full = core::FormatIsoUtc(day * kDayMs);  // date + "T00:00:00.000Z"
      date_ = full.substr(0, full.size() - 14);
      day_ = day;
      have_ = true;
    }
    auto ms = static_cast<int>(unix_ms - day * kDayMs);
    char buf[14] = {'T', 0, 0, ':', 0, 0, ':', 0, 0, '.', 0, 0, 0, 'Z'};
    auto two = [&](int at, int v) {
      buf[at] = static_cast<char>('0' + v / 10);
      buf[at + 1] = static_cast<char>('0' + v % 10);
    };
    two(1, ms / 3'600'000);
    two(4, ms / 60'000 % 60);
    two(7, ms / 1000 % 60);
    buf[10] = static_cast<char>('0' + ms % 1000 / 100);
    buf[11] = static_cast<char>('0' + ms % 100 / 10);
    buf[12] = static_cast<char>('0' + ms % 10);
    out += date_;
    out.append(buf, sizeof buf);
  }

 private:
  static constexpr std::int64_t kDayMs = 86'400'000;
  static std::int64_t FloorDiv(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
  }
  bool have_ = false;
  std::int64_t day_ = 0;
  std::string date_;
};

core::Status Append(std::string& out, const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      out += "null";
      break;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case json::kind::int64:
      AppendInt(out, v.get_int64());
      break;
    case json::kind::uint64:
      out += std::to_string(v.get_uint64());
      break;
    case json::kind::double_:
      return core::InvalidArgument("记录中不允许浮点数，请使用整数或字符串", "");
    case json::kind::string:
      AppendCanonicalString(out, v.get_string());
      break;
    case json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& item : v.get_array()) {
        if (!first) out += ',';
        first = false;
        TRY(Append(out, item));
      }
      out += ']';
      break;
    }
    case json::kind::object: {
      const json::object& o = v.get_object();
      std::vector<const json::key_value_pair*> members;
      members.reserve(o.size());
      for (const auto& kv : o) members.push_back(&kv);
      std::sort(members.begin(), members.end(),
                [](const auto* a, const auto* b) { return a->key() < b->key(); });
      out += '{';
      for (std::size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out += ',';
        AppendCanonicalString(out, members[i]->key());
        out += ':';
        TRY(Append(out, members[i]->value()));
      }
      out += '}';
      break;
    }
  }
  return core::Ok();
}

json::value OptionalInt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

void AppendCanonicalEventUnchecked(const store::EventView& e, std::string& out) {
  thread_local TimeFormatter time;
  out += "{\"action\":";
  AppendCanonicalString(out, e.action);
  out += ",\"actor\":{\"unit_id\":";
  AppendOptionalInt(out, e.actor_unit_id);
  out += ",\"user_id\":";
  AppendOptionalInt(out, e.actor_user_id);
  out += ",\"username\":";
  AppendCanonicalString(out, e.actor_username);
  out += "},\"at\":\"";
  time.Append(out, e.at);
  out += "\",\"changes\":";
  out += e.changes;
  out += ",\"client_ip\":";
  AppendCanonicalString(out, e.client_ip);
  out += ",\"detail\":";
  out += e.detail;
  out += ",\"files\":";
  out += e.files;
  out += ",\"object\":{\"id\":";
  AppendCanonicalString(out, e.object_id);
  out += ",\"type\":";
  AppendCanonicalString(out, e.object_type);
  out += "},\"outcome\":";
  AppendCanonicalString(out, e.outcome);
  out += ",\"request_id\":";
  AppendCanonicalString(out, e.request_id);
  out += ",\"seq\":";
  AppendInt(out, e.seq);
  out += ",\"v\":1}";
}

core::Result<std::string> CanonicalJson(const json::value& value) {
  std::string out;
  TRY(Append(out, value));
  return out;
}

core::Result<json::value> ParseCanonical(std::string_view text, json::kind kind,
                                         std::string_view what) {
  auto bad = [&](std::string_view why) {
    return core::DataLoss(std::string(what) + " 不是规范形式的 JSON：" + std::string(why),
                          std::string(what));
  };
  boost::system::error_code ec;
  json::parse_options options;
  options.allow_invalid_utf8 = false;
  json::value v = json::parse(text, ec, {}, options);
  if (ec) return bad(ec.message());
  if (v.kind() != kind) return bad("类型不符");
  auto canonical = CanonicalJson(v);
  if (!canonical.ok()) return bad(canonical.error().message);
  if (*canonical != text) return bad("与规范形式逐字节不同");
  return v;
}

core::Result<std::string> CanonicalEventWith(const store::EventRecord& e, json::value changes,
                                             json::value files, json::value detail) {
  json::object event{
      {"v", 1},
      {"seq", e.seq},
      {"at", core::FormatIsoUtc(e.at)},
      {"actor", json::object{{"user_id", OptionalInt(e.actor_user_id)},
                             {"username", e.actor_username},
                             {"unit_id", OptionalInt(e.actor_unit_id)}}},
      {"action", e.action},
      {"object", json::object{{"type", e.object_type}, {"id", e.object_id}}},
      {"outcome", e.outcome},
      {"changes", std::move(changes)},
      {"files", std::move(files)},
      {"client_ip", e.client_ip},
      {"request_id", e.request_id},
      {"detail", std::move(detail)},
  };
  return CanonicalJson(event);
}

core::Result<std::string> CanonicalEvent(const store::EventRecord& e) {
  json::value changes = TRY(ParseCanonical(e.changes, json::kind::object, "changes"));
  json::value files = TRY(ParseCanonical(e.files, json::kind::array, "files"));
  json::value detail = TRY(ParseCanonical(e.detail, json::kind::object, "detail"));
  return CanonicalEventWith(e, std::move(changes), std::move(files), std::move(detail));
}

}  // namespace lvyuan::record
