#include "crypto/random.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "core/encoding.h"

namespace lvyuan::crypto {

void EnsureSodiumInitialised() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      std::fprintf(stderr, "lvyuan: libsodium could not be initialised\n");
      std::abort();
    }
  });
}

std::vector<std::uint8_t> RandomBytes(std::size_t n) {
  EnsureSodiumInitialised();
  std::vector<std::uint8_t> bytes(n);
  if (n > 0) {
    randombytes_buf(bytes.data(), n);
  }
  return bytes;
}

std::string RandomToken(std::size_t bytes) { return core::Base64UrlEncode(RandomBytes(bytes)); }

}  // namespace lvyuan::crypto
