// Sensitive fields at rest (TOTP secrets; resident ID numbers later):
// encrypted with SM4-128 in CTR mode and authenticated with HMAC-SM3 over
// the format, a context and the ciphertext (encrypt-then-MAC), with one
// deployment key kept in a 0600 file beside the database — a copy of the
// database alone reveals none of them. Blind indexes (keyed HMAC-SM3 of the
// value) let a sealed value be found by equality without decrypting.
//
// Sealed text: "sf1." + base64url(iv[16] ‖ ciphertext ‖ tag[32]), where
// tag = HMAC-SM3(mac key, "sf1" ‖ u16be(len(context)) ‖ context ‖ iv ‖
// ciphertext). The context (e.g. "totp:12") binds a value to its place, so
// a sealed value copied into another row does not open there.
//
// Subkeys from the 32-byte deployment key K: encryption = the first 16 bytes
// of HMAC-SM3(K, "lvyuan field encryption"), authentication =
// HMAC-SM3(K, "lvyuan field authentication"), index = HMAC-SM3(K, "lvyuan
// blind index"); key id = the first 8 bytes of HMAC-SM3(K, "lvyuan field key
// id"), hex.
//
// Thread-safe (immutable after construction).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lvyuan::crypto {

// SM4-128-CTR of `data` (encryption and decryption alike); the 16-byte `iv`
// is the initial counter block, incremented as a 128-bit big-endian number.
// InvalidArgument for a key or iv that is not 16 bytes.
core::Result<std::vector<std::uint8_t>> Sm4Ctr(std::span<const std::uint8_t> key,
                                               std::span<const std::uint8_t> iv,
                                               std::span<const std::uint8_t> data);

class FieldCipher {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  static constexpr std::string_view kSealedPrefix = "sf1.";

  // From the deployment key; InvalidArgument unless it is kKeyBytes long.
  static core::Result<FieldCipher> FromKey(std::span<const std::uint8_t> key);
  // A new random key.
  static FieldCipher Generate();
  // Reads the key file (written by Save), or NotFound when there is none;
  // the errors of ReadSecretFile (a file others may read is refused) and
  // InvalidArgument for a file that is not a key file.
  static core::Result<FieldCipher> LoadFile(const std::filesystem::path& path);
  // Writes the key to a new 0600 file (WriteSecretFile: never overwrites).
  core::Status SaveFile(const std::filesystem::path& path) const;

  // 16 hex digits naming the key (not revealing it), pinned by the database
  // so that a deployment started with another key file refuses to run.
  const std::string& key_id() const { return key_id_; }

  std::string Seal(std::string_view plaintext, std::string_view context) const;
  // The plaintext of a value sealed with this key and this context.
  // InvalidArgument when `sealed` is not sealed text; DataLoss when the tag
  // does not match (altered, another context, or another key).
  core::Result<std::string> Open(std::string_view sealed, std::string_view context) const;
  static bool IsSealed(std::string_view text) { return text.starts_with(kSealedPrefix); }

  // 64 hex digits: HMAC-SM3(index key, u16be(len(context)) ‖ context ‖ value).
  std::string BlindIndex(std::string_view value, std::string_view context) const;

 private:
  FieldCipher() = default;

  std::array<std::uint8_t, kKeyBytes> key_{};
  std::array<std::uint8_t, 16> encryption_key_{};
  std::array<std::uint8_t, 32> mac_key_{};
  std::array<std::uint8_t, 32> index_key_{};
  std::string key_id_;
};

}  // namespace lvyuan::crypto
