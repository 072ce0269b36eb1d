// Small text helpers shared by the layers.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lvyuan::core {

// ASCII letters lowered; other bytes (UTF-8 included) unchanged.
std::string AsciiLower(std::string_view text);
// Without leading and trailing spaces and tabs.
std::string_view TrimBlanks(std::string_view text);
// The number of code points in valid UTF-8 (continuation bytes not counted).
std::size_t Utf8Length(std::string_view text);

}  // namespace lvyuan::core
