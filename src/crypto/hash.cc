#include "crypto/hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>

namespace lvyuan::crypto {
namespace {

[[noreturn]] void FailOpenSsl(const char* what) {
  std::fprintf(stderr, "lvyuan: OpenSSL failure in %s\n", what);
  std::abort();
}

// Fetched once: EVP_sm3() and friends look the implementation up again on
// every use, which costs more than hashing a session token. Fetched
// algorithms are thread-safe to share and live for the whole process.
const EVP_MD* Md(HashAlgorithm algorithm) {
  static const EVP_MD* const sm3 = EVP_MD_fetch(nullptr, "SM3", nullptr);
  static const EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  const EVP_MD* md = algorithm == HashAlgorithm::kSm3 ? sm3 : sha256;
  if (md == nullptr) {
    FailOpenSsl("digest lookup");
  }
  return md;
}

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

Digest Hash(HashAlgorithm algorithm, std::span<const std::uint8_t> data) {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_Digest(data.data(), data.size(), digest.data(), &size, Md(algorithm), nullptr) != 1 ||
      size != digest.size()) {
    FailOpenSsl("EVP_Digest");
  }
  return digest;
}

Digest Hash(HashAlgorithm algorithm, std::string_view data) { return Hash(algorithm, Bytes(data)); }
Digest Sm3(std::span<const std::uint8_t> data) { return Hash(HashAlgorithm::kSm3, data); }
Digest Sm3(std::string_view data) { return Hash(HashAlgorithm::kSm3, Bytes(data)); }
Digest Sha256(std::span<const std::uint8_t> data) { return Hash(HashAlgorithm::kSha256, data); }
Digest Sha256(std::string_view data) { return Hash(HashAlgorithm::kSha256, Bytes(data)); }

void Hasher::ContextDeleter::operator()(evp_md_ctx_st* context) const { EVP_MD_CTX_free(context); }

Hasher::Hasher(HashAlgorithm algorithm) : algorithm_(algorithm), context_(EVP_MD_CTX_new()) {
  if (!context_ || EVP_DigestInit_ex(context_.get(), Md(algorithm_), nullptr) != 1) {
    FailOpenSsl("EVP_DigestInit_ex");
  }
}

Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;
Hasher::~Hasher() = default;

void Hasher::Update(std::span<const std::uint8_t> data) {
  if (EVP_DigestUpdate(context_.get(), data.data(), data.size()) != 1) {
    FailOpenSsl("EVP_DigestUpdate");
  }
}

void Hasher::Update(std::string_view data) { Update(Bytes(data)); }

Digest Hasher::Finish() {
  Digest digest{};
  unsigned int size = 0;
  if (EVP_DigestFinal_ex(context_.get(), digest.data(), &size) != 1 || size != digest.size() ||
      EVP_DigestInit_ex(context_.get(), Md(algorithm_), nullptr) != 1) {
    FailOpenSsl("EVP_DigestFinal_ex");
  }
  return digest;
}

Digest Hmac(HashAlgorithm algorithm, std::span<const std::uint8_t> key,
            std::span<const std::uint8_t> data) {
  Digest mac{};
  unsigned int size = 0;
  // HMAC() treats a null key as "reuse the previous key"; pass a real
  // pointer even for an empty key.
  static constexpr std::uint8_t kEmpty = 0;
  const std::uint8_t* key_data = key.empty() ? &kEmpty : key.data();
  if (HMAC(Md(algorithm), key_data, static_cast<int>(key.size()), data.data(), data.size(),
           mac.data(), &size) == nullptr ||
      size != mac.size()) {
    FailOpenSsl("HMAC");
  }
  return mac;
}

Digest HmacSm3(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  return Hmac(HashAlgorithm::kSm3, key, data);
}
Digest HmacSm3(std::string_view key, std::string_view data) {
  return Hmac(HashAlgorithm::kSm3, Bytes(key), Bytes(data));
}
Digest HmacSha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data) {
  return Hmac(HashAlgorithm::kSha256, key, data);
}
Digest HmacSha256(std::string_view key, std::string_view data) {
  return Hmac(HashAlgorithm::kSha256, Bytes(key), Bytes(data));
}

bool ConstantTimeEqual(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  return ConstantTimeEqual(Bytes(a), Bytes(b));
}

}  // namespace lvyuan::crypto
