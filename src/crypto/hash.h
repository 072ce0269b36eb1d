// Message digests and MACs: SM3 (GB/T 32905) and SHA-256 through OpenSSL 3
// EVP, HMAC-SM3 / HMAC-SHA-256, and constant-time comparison.
//
// Digest functions cannot fail for valid input; if OpenSSL itself fails
// (allocation failure, algorithm missing from the provider) the process is
// aborted with a message, as no caller could recover. All free functions are
// thread-safe; a Hasher is used by one thread at a time.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

struct evp_md_ctx_st;

namespace lvyuan::crypto {

using Digest = std::array<std::uint8_t, 32>;

enum class HashAlgorithm { kSm3, kSha256 };

Digest Hash(HashAlgorithm algorithm, std::span<const std::uint8_t> data);
Digest Hash(HashAlgorithm algorithm, std::string_view data);
Digest Sm3(std::span<const std::uint8_t> data);
Digest Sm3(std::string_view data);
Digest Sha256(std::span<const std::uint8_t> data);
Digest Sha256(std::string_view data);

// Incremental hashing of data that arrives in pieces (uploads, records).
// Movable, not copyable; a moved-from Hasher may only be destroyed or
// assigned to.
class Hasher {
 public:
  explicit Hasher(HashAlgorithm algorithm);
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;
  ~Hasher();

  void Update(std::span<const std::uint8_t> data);
  void Update(std::string_view data);
  // Returns the digest of everything passed to Update since construction or
  // the previous Finish, and starts over with an empty input.
  Digest Finish();

  HashAlgorithm algorithm() const { return algorithm_; }

 private:
  struct ContextDeleter {
    void operator()(evp_md_ctx_st* context) const;
  };
  HashAlgorithm algorithm_;
  std::unique_ptr<evp_md_ctx_st, ContextDeleter> context_;
};

// HMAC (RFC 2104) with SM3 (GM/T 0042) or SHA-256; any key length.
Digest HmacSm3(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
Digest HmacSm3(std::string_view key, std::string_view data);
Digest HmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data);
Digest HmacSha256(std::string_view key, std::string_view data);
Digest Hmac(HashAlgorithm algorithm, std::span<const std::uint8_t> key,
            std::span<const std::uint8_t> data);

// True iff a and b have the same length and bytes. The time taken depends
// on the length only, not on where the inputs differ.
bool ConstantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);
bool ConstantTimeEqual(std::string_view a, std::string_view b);

}  // namespace lvyuan::crypto
