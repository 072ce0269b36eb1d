// Binary-to-text encodings: hex, Base32 (RFC 4648 §6), Base64 and Base64url
// (RFC 4648 §4, §5).
//
// All functions are pure and thread-safe. Decoders never throw; malformed
// input yields InvalidArgument.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lvyuan::core {

// Lower-case hex, two characters per byte.
std::string HexEncode(std::span<const std::uint8_t> data);
// Accepts upper- and lower-case digits. InvalidArgument for an odd length or
// a non-hex character.
Result<std::vector<std::uint8_t>> HexDecode(std::string_view text);

// RFC 4648 Base32, upper-case alphabet, '=' padded to a multiple of 8.
std::string Base32Encode(std::span<const std::uint8_t> data);
// Tolerant as TOTP secrets are typed by people: accepts lower-case letters,
// ignores spaces and hyphens, padding is optional. InvalidArgument for any
// other character, padding followed by data, or a length no encoder makes
// (1, 3 or 6 characters in the last group).
Result<std::vector<std::uint8_t>> Base32Decode(std::string_view text);

// RFC 4648 Base64 with the standard alphabet and '=' padding.
std::string Base64Encode(std::span<const std::uint8_t> data);
// Strict: padding is required, no whitespace. InvalidArgument otherwise.
Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text);

// RFC 4648 Base64url ('-' and '_'), without padding.
std::string Base64UrlEncode(std::span<const std::uint8_t> data);
// Accepts input with or without '=' padding. InvalidArgument for characters
// outside the url-safe alphabet or an impossible length.
Result<std::vector<std::uint8_t>> Base64UrlDecode(std::string_view text);

// Views the bytes of a string as uint8_t, for passing text to the encoders.
inline std::span<const std::uint8_t> AsBytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace lvyuan::core
