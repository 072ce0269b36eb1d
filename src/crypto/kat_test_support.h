// Known-answer vectors for the crypto tests: tests/data/smcrypto (see its
// SOURCE.md), read as JSON. Test-only.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/encoding.h"

namespace lvyuan::crypto::testing {

inline const std::string kVectorDir = std::string(LVYUAN_SOURCE_ROOT) + "/tests/data/smcrypto";

inline boost::json::value LoadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot open " << path;
  std::ostringstream text;
  text << in.rdbuf();
  boost::system::error_code error;
  boost::json::value value = boost::json::parse(text.str(), error);
  EXPECT_FALSE(error) << path << ": " << error.message();
  return value;
}

inline std::vector<std::uint8_t> Unhex(std::string_view hex) {
  auto bytes = core::HexDecode(hex);
  EXPECT_TRUE(bytes.ok()) << hex;
  return bytes.ok() ? *bytes : std::vector<std::uint8_t>{};
}

inline std::vector<std::uint8_t> UnhexJson(const boost::json::value& value) {
  return Unhex(std::string_view(value.as_string()));
}

}  // namespace lvyuan::crypto::testing
