// One-time passwords: HOTP (RFC 4226) and TOTP (RFC 6238), plus the
// otpauth:// URI that authenticator apps read from a QR code.
//
// All functions are pure (NewTotpSecret aside) and thread-safe.
// Preconditions, checked by assert: 1 <= digits <= 10, step > 0.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lvyuan::crypto {

enum class TotpAlgorithm { kSha1, kSha256, kSha512 };

// The HOTP value for `counter`, zero-padded to `digits` decimal digits.
std::string Hotp(std::span<const std::uint8_t> key, std::uint64_t counter, int digits = 6,
                 TotpAlgorithm algorithm = TotpAlgorithm::kSha1);

// The TOTP value at `unix_seconds` (T0 = 0): Hotp(key, floor(t / step)).
// Precondition: unix_seconds >= 0.
std::string Totp(std::span<const std::uint8_t> key, std::int64_t unix_seconds, int step = 30,
                 int digits = 6, TotpAlgorithm algorithm = TotpAlgorithm::kSha1);

// Checks `code` against the time steps from `window` before to `window`
// after the one containing `unix_seconds`. Returns the matching time-step
// counter (store it and refuse a later code whose counter is not greater, so
// a code cannot be replayed), or nullopt when nothing matches or `code` is
// not exactly `digits` ASCII digits. Comparisons are constant-time.
std::optional<std::int64_t> VerifyTotp(std::span<const std::uint8_t> key, std::string_view code,
                                       std::int64_t unix_seconds, int window = 1, int step = 30,
                                       int digits = 6,
                                       TotpAlgorithm algorithm = TotpAlgorithm::kSha1);

// A fresh 160-bit secret, the length RFC 4226 recommends for HMAC-SHA-1.
std::vector<std::uint8_t> NewTotpSecret();

// "otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>
// &algorithm=SHA1&digits=6&period=30". Issuer and account are UTF-8 and
// percent-encoded (RFC 3986 unreserved characters kept); '=' padding and
// spaces are dropped from the secret, as authenticator apps expect.
std::string TotpUri(std::string_view issuer, std::string_view account,
                    std::string_view secret_base32);

}  // namespace lvyuan::crypto
