#include "core/encoding.h"

#include <array>

namespace lvyuan::core {
namespace {

constexpr std::string_view kHexDigits = "0123456789abcdef";
constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kBase64UrlAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Reverse lookup table: byte → 6-bit value, or -1.
std::array<int, 256> ReverseTable(std::string_view alphabet) {
  std::array<int, 256> table{};
  table.fill(-1);
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    table[static_cast<unsigned char>(alphabet[i])] = static_cast<int>(i);
  }
  return table;
}

std::string Base64EncodeWith(std::span<const std::uint8_t> data, std::string_view alphabet,
                             bool pad) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                            std::uint32_t{data[i + 2]};
    out.push_back(alphabet[(v >> 18) & 0x3f]);
    out.push_back(alphabet[(v >> 12) & 0x3f]);
    out.push_back(alphabet[(v >> 6) & 0x3f]);
    out.push_back(alphabet[v & 0x3f]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(alphabet[(v >> 18) & 0x3f]);
    out.push_back(alphabet[(v >> 12) & 0x3f]);
    if (pad) {
      out.append("==");
    }
  } else if (rest == 2) {
    const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(alphabet[(v >> 18) & 0x3f]);
    out.push_back(alphabet[(v >> 12) & 0x3f]);
    out.push_back(alphabet[(v >> 6) & 0x3f]);
    if (pad) {
      out.push_back('=');
    }
  }
  return out;
}

// Decodes unpadded base64 characters (padding already stripped by the caller).
Result<std::vector<std::uint8_t>> Base64DecodeWith(std::string_view text,
                                                   const std::array<int, 256>& table,
                                                   std::string_view what) {
  if (text.size() % 4 == 1) {
    return InvalidArgument(std::string(what) + " 长度无效");
  }
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const int v = table[static_cast<unsigned char>(c)];
    if (v < 0) {
      return InvalidArgument(std::string(what) + " 含有非法字符");
    }
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two encodings would decode alike.
  if ((buffer & ((1u << bits) - 1)) != 0) {
    return InvalidArgument(std::string(what) + " 末尾填充位非零");
  }
  return out;
}

}  // namespace

std::string HexEncode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve(data.size() * 2);
  for (std::uint8_t b : data) {
    out.push_back(kHexDigits[b >> 4]);
    out.push_back(kHexDigits[b & 0x0f]);
  }
  return out;
}

Result<std::vector<std::uint8_t>> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) {
    return InvalidArgument("十六进制串长度必须为偶数");
  }
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 2);
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = HexValue(text[i]);
    const int lo = HexValue(text[i + 1]);
    if (hi < 0 || lo < 0) {
      return InvalidArgument("十六进制串含有非法字符");
    }
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

std::string Base32Encode(std::span<const std::uint8_t> data) {
  std::string out;
  out.reserve((data.size() + 4) / 5 * 8);
  std::uint64_t buffer = 0;
  int bits = 0;
  for (std::uint8_t b : data) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out.push_back(kBase32Alphabet[(buffer >> bits) & 0x1f]);
    }
  }
  if (bits > 0) {
    out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1f]);
  }
  while (out.size() % 8 != 0) {
    out.push_back('=');
  }
  return out;
}

Result<std::vector<std::uint8_t>> Base32Decode(std::string_view text) {
  std::vector<std::uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  std::uint64_t buffer = 0;
  int bits = 0;
  std::size_t symbols = 0;
  bool padding = false;
  for (char c : text) {
    if (c == ' ' || c == '-') {
      continue;
    }
    if (c == '=') {
      padding = true;
      continue;
    }
    if (padding) {
      return InvalidArgument("Base32 填充符之后不能再有数据");
    }
    int v = -1;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      v = c - 'a';
    }
    if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    }
    if (v < 0) {
      return InvalidArgument("Base32 串含有非法字符");
    }
    buffer = (buffer << 5) | static_cast<std::uint64_t>(v);
    bits += 5;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((buffer >> bits) & 0xff));
    }
  }
  const std::size_t tail = symbols % 8;
  if (tail == 1 || tail == 3 || tail == 6) {
    return InvalidArgument("Base32 串长度无效");
  }
  return out;
}

std::string Base64Encode(std::span<const std::uint8_t> data) {
  return Base64EncodeWith(data, kBase64Alphabet, /*pad=*/true);
}

Result<std::vector<std::uint8_t>> Base64Decode(std::string_view text) {
  static const std::array<int, 256> kTable = ReverseTable(kBase64Alphabet);
  if (text.size() % 4 != 0) {
    return InvalidArgument("Base64 串长度无效");
  }
  std::size_t end = text.size();
  if (end > 0 && text[end - 1] == '=') {
    --end;
  }
  if (end > 0 && text[end - 1] == '=' && end + 1 == text.size()) {
    --end;
  }
  return Base64DecodeWith(text.substr(0, end), kTable, "Base64 串");
}

std::string Base64UrlEncode(std::span<const std::uint8_t> data) {
  return Base64EncodeWith(data, kBase64UrlAlphabet, /*pad=*/false);
}

Result<std::vector<std::uint8_t>> Base64UrlDecode(std::string_view text) {
  static const std::array<int, 256> kTable = ReverseTable(kBase64UrlAlphabet);
  std::size_t end = text.size();
  if (text.size() % 4 == 0) {
    if (end > 0 && text[end - 1] == '=') {
      --end;
    }
    if (end > 0 && text[end - 1] == '=' && end + 1 == text.size()) {
      --end;
    }
  }
  return Base64DecodeWith(text.substr(0, end), kTable, "Base64url 串");
}

}  // namespace lvyuan::core
