#include "crypto/totp.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cassert>
#include <cstdio>
#include <cstdlib>

#include "crypto/hash.h"
#include "crypto/random.h"

namespace lvyuan::crypto {
namespace {

const EVP_MD* Md(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha256:
      return EVP_sha256();
    case TotpAlgorithm::kSha512:
      return EVP_sha512();
    case TotpAlgorithm::kSha1:
      break;
  }
  return EVP_sha1();
}

// Keeps RFC 3986 unreserved characters and percent-encodes every other byte,
// so multi-byte UTF-8 sequences are encoded byte by byte.
std::string PercentEncode(std::string_view text) {
  static constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0x0f]);
    }
  }
  return out;
}

}  // namespace

std::string Hotp(std::span<const std::uint8_t> key, std::uint64_t counter, int digits,
                 TotpAlgorithm algorithm) {
  assert(digits >= 1 && digits <= 10 && "HOTP digits must be 1..10");
  std::array<std::uint8_t, 8> message{};
  for (int i = 7; i >= 0; --i) {
    message[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter & 0xff);
    counter >>= 8;
  }
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  static constexpr std::uint8_t kEmpty = 0;
  if (HMAC(Md(algorithm), key.empty() ? &kEmpty : key.data(), static_cast<int>(key.size()),
           message.data(), message.size(), mac.data(), &mac_size) == nullptr ||
      mac_size < 20) {
    std::fprintf(stderr, "lvyuan: OpenSSL failure in HMAC\n");
    std::abort();
  }
  // RFC 4226 §5.3 dynamic truncation.
  const std::size_t offset = mac[mac_size - 1] & 0x0f;
  const std::uint32_t binary = (std::uint32_t{mac[offset]} & 0x7f) << 24 |
                               std::uint32_t{mac[offset + 1]} << 16 |
                               std::uint32_t{mac[offset + 2]} << 8 | std::uint32_t{mac[offset + 3]};
  std::uint64_t modulus = 1;
  for (int i = 0; i < digits; ++i) {
    modulus *= 10;
  }
  std::uint64_t value = binary % modulus;
  std::string code(static_cast<std::size_t>(digits), '0');
  for (std::size_t i = code.size(); i > 0 && value > 0; --i) {
    code[i - 1] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return code;
}

std::string Totp(std::span<const std::uint8_t> key, std::int64_t unix_seconds, int step, int digits,
                 TotpAlgorithm algorithm) {
  assert(step > 0 && unix_seconds >= 0 && "TOTP needs a positive step and non-negative time");
  return Hotp(key, static_cast<std::uint64_t>(unix_seconds / step), digits, algorithm);
}

std::optional<std::int64_t> VerifyTotp(std::span<const std::uint8_t> key, std::string_view code,
                                       std::int64_t unix_seconds, int window, int step, int digits,
                                       TotpAlgorithm algorithm) {
  assert(step > 0 && window >= 0 && "TOTP needs a positive step and a non-negative window");
  if (code.size() != static_cast<std::size_t>(digits)) {
    return std::nullopt;
  }
  for (char c : code) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
  }
  if (unix_seconds < 0) {
    return std::nullopt;
  }
  const std::int64_t current = unix_seconds / step;
  std::optional<std::int64_t> matched;
  // Every candidate is computed and compared so the time taken does not
  // depend on which one matches.
  for (std::int64_t counter = current - window; counter <= current + window; ++counter) {
    if (counter < 0) {
      continue;
    }
    const std::string expected = Hotp(key, static_cast<std::uint64_t>(counter), digits, algorithm);
    if (ConstantTimeEqual(expected, code) && !matched) {
      matched = counter;
    }
  }
  return matched;
}

std::vector<std::uint8_t> NewTotpSecret() { return RandomBytes(20); }

std::string TotpUri(std::string_view issuer, std::string_view account,
                    std::string_view secret_base32) {
  std::string secret;
  for (char c : secret_base32) {
    if (c != '=' && c != ' ') {
      secret.push_back(c);
    }
  }
  std::string uri = "otpauth://totp/";
  uri += PercentEncode(issuer);
  uri += ':';
  uri += PercentEncode(account);
  uri += "?secret=";
  uri += PercentEncode(secret);
  uri += "&issuer=";
  uri += PercentEncode(issuer);
  uri += "&algorithm=SHA1&digits=6&period=30";
  return uri;
}

}  // namespace lvyuan::crypto
