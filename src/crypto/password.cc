#include "crypto/password.h"

#include <array>

#include "crypto/random.h"

namespace lvyuan::crypto {
namespace {

constexpr std::string_view kArgon2idPrefix = "$argon2id$";

}  // namespace

core::Result<std::string> HashPassword(std::string_view password,
                                       const PasswordHashParams& params) {
  if (password.size() > kMaxPasswordBytes) {
    return core::InvalidArgument("密码过长", "password");
  }
  if (params.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
      params.opslimit > crypto_pwhash_OPSLIMIT_MAX ||
      params.memlimit < crypto_pwhash_MEMLIMIT_MIN ||
      params.memlimit > crypto_pwhash_MEMLIMIT_MAX) {
    return core::InvalidArgument("密码哈希参数超出范围");
  }
  EnsureSodiumInitialised();
  std::array<char, crypto_pwhash_STRBYTES> out{};
  if (crypto_pwhash_str_alg(out.data(), password.data(), password.size(), params.opslimit,
                            params.memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return core::ResourceExhausted("内存不足，无法计算密码哈希");
  }
  return std::string(out.data());
}

bool VerifyPassword(std::string_view encoded, std::string_view password) {
  // libsodium wants a NUL-terminated string that fits its buffer.
  if (!encoded.starts_with(kArgon2idPrefix) || encoded.size() >= crypto_pwhash_STRBYTES ||
      encoded.find('\0') != std::string_view::npos || password.size() > kMaxPasswordBytes) {
    return false;
  }
  EnsureSodiumInitialised();
  const std::string terminated(encoded);
  return crypto_pwhash_str_verify(terminated.c_str(), password.data(), password.size()) == 0;
}

bool PasswordNeedsRehash(std::string_view encoded, const PasswordHashParams& params) {
  if (!encoded.starts_with(kArgon2idPrefix) || encoded.size() >= crypto_pwhash_STRBYTES ||
      encoded.find('\0') != std::string_view::npos) {
    return true;
  }
  EnsureSodiumInitialised();
  const std::string terminated(encoded);
  return crypto_pwhash_str_needs_rehash(terminated.c_str(), params.opslimit, params.memlimit) != 0;
}

}  // namespace lvyuan::crypto
