// Digital signatures for the whole-process record: SM2 (GB/T 32918.2, with
// SM3) by default and Ed25519 (RFC 8032) by configuration, through OpenSSL 3
// EVP.
//
// SM2 signatures are the DER ECDSA-Sig-Value SEQUENCE { r INTEGER, s INTEGER }
// over SM3(ZA || M), where ZA binds the signer's distinguishing ID; the ID is
// always set explicitly (kSm2DefaultId unless a caller names another), because
// OpenSSL 3.0 would otherwise use an empty one and produce signatures no other
// SM2 implementation verifies. Ed25519 signatures are the 64 bytes R || S.
//
// Keys are immutable once made. Every const member function may be called from
// several threads at once on the same key; a key is moved or assigned by one
// thread at a time. A moved-from key may only be destroyed or assigned to.
//
// Functions here abort the process only when OpenSSL fails on valid input
// (allocation failure, algorithm missing from the provider), as hash.h does;
// bad input is an Error value or, for Verify, false.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

struct evp_pkey_st;

namespace lvyuan::crypto {

enum class SignatureAlgorithm { kSm2, kEd25519 };

// The standard SM2 distinguishing ID of GM/T 0009 (ENTL = 0x0080).
inline constexpr std::string_view kSm2DefaultId = "1234567812345678";

// "sm2" or "ed25519": the names used in configuration and in the record.
std::string_view SignatureAlgorithmName(SignatureAlgorithm algorithm);
// The inverse of SignatureAlgorithmName (exact, lower-case). InvalidArgument
// for any other text.
core::Result<SignatureAlgorithm> ParseSignatureAlgorithm(std::string_view name);

namespace internal {
struct PkeyDeleter {
  void operator()(evp_pkey_st* key) const;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyDeleter>;
}  // namespace internal

class PublicKey {
 public:
  // A SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY") holding an SM2 or
  // Ed25519 key. An SM2 key may be written either with the SM2 algorithm OID
  // or as id-ecPublicKey on the SM2 curve. InvalidArgument for text that is
  // not such a PEM, or for any other key type or curve.
  static core::Result<PublicKey> FromPem(std::string_view pem);
  // The same for SubjectPublicKeyInfo DER; the whole input must be one key.
  static core::Result<PublicKey> FromDer(std::span<const std::uint8_t> der);
  // An SM2 public key from its uncompressed point 04 || x || y (65 bytes), as
  // published in known-answer vectors. InvalidArgument for another length or
  // prefix, or a point not on the curve.
  static core::Result<PublicKey> FromSm2Point(std::span<const std::uint8_t> uncompressed_point);
  // An Ed25519 public key from its 32 raw bytes (RFC 8032 §5.1.5).
  // InvalidArgument for another length.
  static core::Result<PublicKey> FromEd25519Raw(std::span<const std::uint8_t> raw);

  PublicKey(PublicKey&&) noexcept;
  PublicKey& operator=(PublicKey&&) noexcept;
  ~PublicKey();

  // SubjectPublicKeyInfo PEM / DER. SM2 keys are written as id-ecPublicKey
  // on the SM2 named curve (OID 1.2.156.10197.1.301), the form GM/T 0015
  // certificates use.
  std::string ToPem() const;
  std::vector<std::uint8_t> ToDer() const;
  // A stable identifier: the first 8 bytes of SM3(ToDer()) as 16 lower-case
  // hex characters. Equal keys have equal ids whatever form they were read
  // from.
  std::string KeyId() const;

  // True iff `signature` is a valid signature of `message` by this key (SM2
  // with ID kSm2DefaultId). False for any wrong, truncated, non-canonical or
  // garbage signature; never throws or aborts on bad input.
  bool Verify(std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) const;
  // Verify with an explicit SM2 distinguishing ID. False if this is not an
  // SM2 key.
  bool VerifySm2WithId(std::span<const std::uint8_t> message,
                       std::span<const std::uint8_t> signature, std::string_view sm2_id) const;

  SignatureAlgorithm algorithm() const { return algorithm_; }

 private:
  friend class PrivateKey;
  PublicKey(internal::PkeyPtr key, SignatureAlgorithm algorithm);

  internal::PkeyPtr key_;
  SignatureAlgorithm algorithm_;
};

class PrivateKey {
 public:
  // A fresh key from OpenSSL's CSPRNG.
  static core::Result<PrivateKey> Generate(SignatureAlgorithm algorithm);
  // A PKCS#8 PEM ("BEGIN PRIVATE KEY"; the traditional "BEGIN EC PRIVATE
  // KEY" is accepted too) holding an unencrypted SM2 or Ed25519 key.
  // InvalidArgument for anything else, including encrypted PEM (never
  // prompts for a passphrase).
  static core::Result<PrivateKey> FromPem(std::string_view pem);
  // An SM2 key from its 32-byte big-endian scalar d, 1 <= d <= n - 2 (for
  // known-answer tests). InvalidArgument otherwise.
  static core::Result<PrivateKey> FromSm2Scalar(std::span<const std::uint8_t> d);
  // An Ed25519 key from its 32-byte seed (RFC 8032 §5.1.5). InvalidArgument
  // for another length.
  static core::Result<PrivateKey> FromEd25519Seed(std::span<const std::uint8_t> seed);
  // Reads a PEM written by SaveFile. NotFound if the file does not exist;
  // FailedPrecondition, naming the mode, if group or others may read or write
  // it (chmod 600 fixes that); InvalidArgument if it does not hold a key.
  static core::Result<PrivateKey> LoadFile(const std::filesystem::path& path);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  // Unencrypted PKCS#8 PEM. The caller keeps it secret.
  std::string ToPem() const;
  // Writes ToPem() to `path` with mode 0600, atomically: a temporary file in
  // the same directory is written, synced and moved into place, so `path`
  // either does not exist or holds the whole key. AlreadyExists if `path`
  // exists (it is never overwritten); Unavailable for I/O errors.
  core::Status SaveFile(const std::filesystem::path& path) const;

  // The signature of `message`: for SM2 the DER ECDSA-Sig-Value over
  // SM3(ZA || M) with ID kSm2DefaultId (randomised, 70–72 bytes); for Ed25519
  // the 64-byte R || S. Internal if OpenSSL fails.
  core::Result<std::vector<std::uint8_t>> Sign(std::span<const std::uint8_t> message) const;

  PublicKey Public() const;
  SignatureAlgorithm algorithm() const { return algorithm_; }

 private:
  PrivateKey(internal::PkeyPtr key, SignatureAlgorithm algorithm);

  internal::PkeyPtr key_;
  SignatureAlgorithm algorithm_;
};

}  // namespace lvyuan::crypto
