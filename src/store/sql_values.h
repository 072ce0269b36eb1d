// Small helpers for building parameters and patterns in the store's
// repository files. Internal to src/store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/database.h"

namespace lvyuan::store::sql {

inline Value OptInt(const std::optional<std::int64_t>& v) { return v ? Value(*v) : Null(); }
inline Value OptText(const std::optional<std::string>& v) { return v ? Value(*v) : Null(); }
inline Value Bool(bool b) { return static_cast<std::int64_t>(b ? 1 : 0); }

// A LIKE pattern (with ESCAPE backslash) matching `text` anywhere, with %, _
// and backslash taken literally.
inline std::string ContainsPattern(std::string_view text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  out += '%';
  return out;
}
// A LIKE pattern (with ESCAPE backslash) matching values that start with `text`.
inline std::string PrefixPattern(std::string_view text) {
  std::string out = ContainsPattern(text);
  out.erase(0, 1);
  return out;
}

}  // namespace lvyuan::store::sql
