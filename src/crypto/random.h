// Cryptographically secure random bytes from libsodium (getrandom(2) on
// Linux). Thread-safe; libsodium is initialised once on first use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace lvyuan::crypto {

// Initialises libsodium if that has not happened yet; aborts the process if
// it cannot (no entropy source), as nothing secure can proceed without it.
// Called by every function here; call it yourself before using libsodium
// directly.
void EnsureSodiumInitialised();

// n random bytes.
std::vector<std::uint8_t> RandomBytes(std::size_t n);

// `bytes` random bytes as unpadded base64url: a token safe in URLs, cookies
// and headers (32 bytes → 43 characters).
std::string RandomToken(std::size_t bytes = 32);

}  // namespace lvyuan::crypto
