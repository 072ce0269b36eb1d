#include "crypto/sign.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/secret_file.h"

namespace lvyuan::crypto {

void internal::PkeyDeleter::operator()(evp_pkey_st* key) const { EVP_PKEY_free(key); }

namespace {

using internal::PkeyPtr;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* pointer) const {
    Free(pointer);
  }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using ParamsPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT_free>>;

[[noreturn]] void FailOpenSsl(const char* what) {
  std::fprintf(stderr, "lvyuan: OpenSSL failure in %s\n", what);
  std::abort();
}

// Drains this thread's OpenSSL error queue into one line, so a failure
// leaves nothing behind to be misreported by a later call.
std::string TakeOpenSslErrors() {
  std::string text;
  while (const unsigned long code = ERR_get_error()) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    if (!text.empty()) {
      text += "; ";
    }
    text += buffer.data();
  }
  return text;
}

std::string WithOpenSslDetail(std::string message) {
  const std::string detail = TakeOpenSslErrors();
  if (!detail.empty()) {
    message += "（OpenSSL: " + detail + "）";
  }
  return message;
}

// OpenSSL rejects a null data pointer in some paths even with length 0.
const unsigned char* DataOrEmpty(std::span<const std::uint8_t> bytes) {
  static constexpr unsigned char kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

BioPtr MemoryBio(std::string_view text) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  if (!bio) {
    FailOpenSsl("BIO_new_mem_buf");
  }
  return bio;
}

std::string TakeBioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size < 0 || (size > 0 && data == nullptr)) {
    FailOpenSsl("BIO_get_mem_data");
  }
  return std::string(data, static_cast<std::size_t>(size));
}

// Passphrase callback that refuses: an encrypted PEM is an error, never a
// prompt on the server's terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

PkeyPtr PkeyFromData(const char* type, int selection, OSSL_PARAM* params) {
  PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  if (!context) {
    FailOpenSsl("EVP_PKEY_CTX_new_from_name");
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, selection, params) != 1) {
    return nullptr;
  }
  return PkeyPtr(key);
}

// Accepts SM2 and Ed25519 keys only. Early OpenSSL 3.0 releases decode a key
// written as id-ecPublicKey on the SM2 curve (the usual encoding) as type
// "EC" (later ones give "SM2"); such a key would sign as ECDSA, so it is
// rebuilt as type "SM2" from its parameters.
core::Result<std::pair<PkeyPtr, SignatureAlgorithm>> Classify(PkeyPtr key, bool has_private) {
  if (EVP_PKEY_is_a(key.get(), "ED25519")) {
    return std::pair{std::move(key), SignatureAlgorithm::kEd25519};
  }
  if (EVP_PKEY_is_a(key.get(), "SM2")) {
    return std::pair{std::move(key), SignatureAlgorithm::kSm2};
  }
  if (EVP_PKEY_is_a(key.get(), "EC")) {
    std::array<char, 64> group{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &length) == 1 &&
        std::string_view(group.data(), length) == "SM2") {
      const int selection = has_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;
      OSSL_PARAM* raw_params = nullptr;
      if (EVP_PKEY_todata(key.get(), selection, &raw_params) != 1) {
        return core::Internal(WithOpenSslDetail("无法读取 SM2 密钥参数"));
      }
      const ParamsPtr params(raw_params);
      PkeyPtr sm2 = PkeyFromData("SM2", selection, params.get());
      if (!sm2) {
        return core::InvalidArgument(WithOpenSslDetail("SM2 密钥无效"));
      }
      return std::pair{std::move(sm2), SignatureAlgorithm::kSm2};
    }
  }
  TakeOpenSslErrors();
  return core::InvalidArgument("不支持的密钥类型：只接受 SM2 或 Ed25519 密钥");
}

// An EC point on the SM2 curve checked with the curve arithmetic: fromdata
// alone does not promise to reject a point off the curve.
bool IsSm2Point(std::span<const std::uint8_t> point) {
  const GroupPtr group(EC_GROUP_new_by_curve_name(NID_sm2));
  const BnCtxPtr bn_context(BN_CTX_new());
  if (!group || !bn_context) {
    FailOpenSsl("EC_GROUP_new_by_curve_name");
  }
  const PointPtr decoded(EC_POINT_new(group.get()));
  if (!decoded) {
    FailOpenSsl("EC_POINT_new");
  }
  const bool ok = EC_POINT_oct2point(group.get(), decoded.get(), point.data(), point.size(),
                                     bn_context.get()) == 1 &&
                  EC_POINT_is_on_curve(group.get(), decoded.get(), bn_context.get()) == 1 &&
                  EC_POINT_is_at_infinity(group.get(), decoded.get()) == 0;
  TakeOpenSslErrors();
  return ok;
}

// ENTL, the ID's length in bits, is two bytes (GB/T 32918.2 §5.5).
constexpr std::size_t kMaxSm2IdBytes = 0xffff / 8;

bool VerifyWith(EVP_PKEY* key, SignatureAlgorithm algorithm, std::string_view sm2_id,
                std::span<const std::uint8_t> message, std::span<const std::uint8_t> signature) {
  if (signature.empty()) {
    return false;
  }
  const MdCtxPtr context(EVP_MD_CTX_new());
  if (!context) {
    FailOpenSsl("EVP_MD_CTX_new");
  }
  EVP_PKEY_CTX* key_context = nullptr;  // owned by context
  const char* digest = algorithm == SignatureAlgorithm::kSm2 ? "SM3" : nullptr;
  bool ok = EVP_DigestVerifyInit_ex(context.get(), &key_context, digest, nullptr, nullptr, key,
                                    nullptr) == 1;
  if (ok && algorithm == SignatureAlgorithm::kSm2) {
    ok = sm2_id.size() <= kMaxSm2IdBytes &&
         EVP_PKEY_CTX_set1_id(key_context, sm2_id.data(), static_cast<int>(sm2_id.size())) == 1;
  }
  ok = ok && EVP_DigestVerify(context.get(), signature.data(), signature.size(),
                              DataOrEmpty(message), message.size()) == 1;
  TakeOpenSslErrors();
  return ok;
}

}  // namespace

std::string_view SignatureAlgorithmName(SignatureAlgorithm algorithm) {
  switch (algorithm) {
    case SignatureAlgorithm::kSm2:
      return "sm2";
    case SignatureAlgorithm::kEd25519:
      return "ed25519";
  }
  return "unknown";
}

core::Result<SignatureAlgorithm> ParseSignatureAlgorithm(std::string_view name) {
  if (name == "sm2") {
    return SignatureAlgorithm::kSm2;
  }
  if (name == "ed25519") {
    return SignatureAlgorithm::kEd25519;
  }
  return core::InvalidArgument("签名算法只能是 sm2 或 ed25519", "signature_algorithm");
}

// ---- PublicKey ----

PublicKey::PublicKey(PkeyPtr key, SignatureAlgorithm algorithm)
    : key_(std::move(key)), algorithm_(algorithm) {}
PublicKey::PublicKey(PublicKey&&) noexcept = default;
PublicKey& PublicKey::operator=(PublicKey&&) noexcept = default;
PublicKey::~PublicKey() = default;

core::Result<PublicKey> PublicKey::FromPem(std::string_view pem) {
  const BioPtr bio = MemoryBio(pem);
  PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return core::InvalidArgument(WithOpenSslDetail("公钥 PEM 无法解析"));
  }
  auto [classified, algorithm] = TRY(Classify(std::move(key), false));
  return PublicKey(std::move(classified), algorithm);
}

core::Result<PublicKey> PublicKey::FromDer(std::span<const std::uint8_t> der) {
  const unsigned char* cursor = der.data();
  PkeyPtr key(der.empty() ? nullptr : d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (!key || cursor != der.data() + der.size()) {
    return core::InvalidArgument(WithOpenSslDetail("公钥 DER 无法解析"));
  }
  auto [classified, algorithm] = TRY(Classify(std::move(key), false));
  return PublicKey(std::move(classified), algorithm);
}

core::Result<PublicKey> PublicKey::FromSm2Point(std::span<const std::uint8_t> uncompressed_point) {
  if (uncompressed_point.size() != 65 || uncompressed_point[0] != 0x04) {
    return core::InvalidArgument("SM2 公钥点须为 65 字节的非压缩形式 04||x||y");
  }
  if (!IsSm2Point(uncompressed_point)) {
    return core::InvalidArgument("SM2 公钥点不在曲线上");
  }
  const ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY,
                                       uncompressed_point.data(), uncompressed_point.size()) != 1) {
    FailOpenSsl("OSSL_PARAM_BLD");
  }
  const ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (!params) {
    FailOpenSsl("OSSL_PARAM_BLD_to_param");
  }
  PkeyPtr key = PkeyFromData("SM2", EVP_PKEY_PUBLIC_KEY, params.get());
  if (!key) {
    return core::InvalidArgument(WithOpenSslDetail("SM2 公钥点无效"));
  }
  return PublicKey(std::move(key), SignatureAlgorithm::kSm2);
}

core::Result<PublicKey> PublicKey::FromEd25519Raw(std::span<const std::uint8_t> raw) {
  if (raw.size() != 32) {
    return core::InvalidArgument("Ed25519 公钥须为 32 字节");
  }
  PkeyPtr key(EVP_PKEY_new_raw_public_key_ex(nullptr, "ED25519", nullptr, raw.data(), raw.size()));
  if (!key) {
    return core::InvalidArgument(WithOpenSslDetail("Ed25519 公钥无效"));
  }
  return PublicKey(std::move(key), SignatureAlgorithm::kEd25519);
}

std::string PublicKey::ToPem() const {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    FailOpenSsl("PEM_write_bio_PUBKEY");
  }
  return TakeBioText(bio.get());
}

std::vector<std::uint8_t> PublicKey::ToDer() const {
  const int size = i2d_PUBKEY(key_.get(), nullptr);
  if (size <= 0) {
    FailOpenSsl("i2d_PUBKEY");
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  unsigned char* cursor = der.data();
  if (i2d_PUBKEY(key_.get(), &cursor) != size) {
    FailOpenSsl("i2d_PUBKEY");
  }
  return der;
}

std::string PublicKey::KeyId() const {
  const Digest digest = Sm3(ToDer());
  return core::HexEncode(std::span<const std::uint8_t>(digest.data(), 8));
}

bool PublicKey::Verify(std::span<const std::uint8_t> message,
                       std::span<const std::uint8_t> signature) const {
  return VerifyWith(key_.get(), algorithm_, kSm2DefaultId, message, signature);
}

bool PublicKey::VerifySm2WithId(std::span<const std::uint8_t> message,
                                std::span<const std::uint8_t> signature,
                                std::string_view sm2_id) const {
  return algorithm_ == SignatureAlgorithm::kSm2 &&
         VerifyWith(key_.get(), algorithm_, sm2_id, message, signature);
}

// ---- PrivateKey ----

PrivateKey::PrivateKey(PkeyPtr key, SignatureAlgorithm algorithm)
    : key_(std::move(key)), algorithm_(algorithm) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

core::Result<PrivateKey> PrivateKey::Generate(SignatureAlgorithm algorithm) {
  const char* type = algorithm == SignatureAlgorithm::kSm2 ? "SM2" : "ED25519";
  const PkeyCtxPtr context(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!context || EVP_PKEY_keygen_init(context.get()) != 1 ||
      EVP_PKEY_generate(context.get(), &key) != 1) {
    return core::Internal(WithOpenSslDetail("生成签名密钥失败"));
  }
  return PrivateKey(PkeyPtr(key), algorithm);
}

core::Result<PrivateKey> PrivateKey::FromPem(std::string_view pem) {
  const BioPtr bio = MemoryBio(pem);
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return core::InvalidArgument(WithOpenSslDetail("私钥 PEM 无法解析（须为未加密的 PKCS#8）"));
  }
  auto [classified, algorithm] = TRY(Classify(std::move(key), true));
  return PrivateKey(std::move(classified), algorithm);
}

core::Result<PrivateKey> PrivateKey::FromSm2Scalar(std::span<const std::uint8_t> d) {
  if (d.size() != 32) {
    return core::InvalidArgument("SM2 私钥须为 32 字节");
  }
  const GroupPtr group(EC_GROUP_new_by_curve_name(NID_sm2));
  const BnCtxPtr bn_context(BN_CTX_new());
  const BnPtr scalar(BN_bin2bn(d.data(), static_cast<int>(d.size()), nullptr));
  const BnPtr limit(group ? BN_dup(EC_GROUP_get0_order(group.get())) : nullptr);
  if (!group || !bn_context || !scalar || !limit || BN_sub_word(limit.get(), 1) != 1) {
    FailOpenSsl("BN");
  }
  // GB/T 32918.1 §6.1: d ∈ [1, n − 2].
  if (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), limit.get()) >= 0) {
    return core::InvalidArgument("SM2 私钥超出范围 [1, n−2]");
  }
  const PointPtr point(EC_POINT_new(group.get()));
  std::array<std::uint8_t, 65> public_point{};
  if (!point ||
      EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, bn_context.get()) !=
          1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED,
                         public_point.data(), public_point.size(),
                         bn_context.get()) != public_point.size()) {
    FailOpenSsl("EC_POINT_mul");
  }
  const ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "SM2", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, public_point.data(),
                                       public_point.size()) != 1) {
    FailOpenSsl("OSSL_PARAM_BLD");
  }
  const ParamsPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (!params) {
    FailOpenSsl("OSSL_PARAM_BLD_to_param");
  }
  PkeyPtr key = PkeyFromData("SM2", EVP_PKEY_KEYPAIR, params.get());
  if (!key) {
    return core::InvalidArgument(WithOpenSslDetail("SM2 私钥无效"));
  }
  return PrivateKey(std::move(key), SignatureAlgorithm::kSm2);
}

core::Result<PrivateKey> PrivateKey::FromEd25519Seed(std::span<const std::uint8_t> seed) {
  if (seed.size() != 32) {
    return core::InvalidArgument("Ed25519 私钥种子须为 32 字节");
  }
  PkeyPtr key(
      EVP_PKEY_new_raw_private_key_ex(nullptr, "ED25519", nullptr, seed.data(), seed.size()));
  if (!key) {
    return core::InvalidArgument(WithOpenSslDetail("Ed25519 私钥无效"));
  }
  return PrivateKey(std::move(key), SignatureAlgorithm::kEd25519);
}

core::Result<PrivateKey> PrivateKey::LoadFile(const std::filesystem::path& path) {
  constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;
  std::string pem = TRY(ReadSecretFile(path, kMaxKeyFileBytes, "私钥文件"));
  auto key = FromPem(pem);
  Cleanse(pem);
  return key;
}

std::string PrivateKey::ToPem() const {
  const BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    FailOpenSsl("PEM_write_bio_PrivateKey");
  }
  return TakeBioText(bio.get());
}

core::Status PrivateKey::SaveFile(const std::filesystem::path& path) const {
  std::string pem = ToPem();
  core::Status written = WriteSecretFile(path, pem, "私钥文件");
  Cleanse(pem);
  return written;
}

core::Result<std::vector<std::uint8_t>> PrivateKey::Sign(
    std::span<const std::uint8_t> message) const {
  const MdCtxPtr context(EVP_MD_CTX_new());
  if (!context) {
    FailOpenSsl("EVP_MD_CTX_new");
  }
  EVP_PKEY_CTX* key_context = nullptr;  // owned by context
  const char* digest = algorithm_ == SignatureAlgorithm::kSm2 ? "SM3" : nullptr;
  if (EVP_DigestSignInit_ex(context.get(), &key_context, digest, nullptr, nullptr, key_.get(),
                            nullptr) != 1) {
    return core::Internal(WithOpenSslDetail("签名初始化失败"));
  }
  // Must precede the first data: ZA is computed from the ID when the message
  // starts.
  if (algorithm_ == SignatureAlgorithm::kSm2 &&
      EVP_PKEY_CTX_set1_id(key_context, kSm2DefaultId.data(),
                           static_cast<int>(kSm2DefaultId.size())) != 1) {
    return core::Internal(WithOpenSslDetail("无法设置 SM2 用户标识"));
  }
  const int max_size = EVP_PKEY_get_size(key_.get());
  if (max_size <= 0) {
    return core::Internal(WithOpenSslDetail("无法确定签名长度"));
  }
  std::vector<std::uint8_t> signature(static_cast<std::size_t>(max_size));
  std::size_t size = signature.size();
  if (EVP_DigestSign(context.get(), signature.data(), &size, DataOrEmpty(message),
                     message.size()) != 1) {
    return core::Internal(WithOpenSslDetail("签名失败"));
  }
  signature.resize(size);
  return signature;
}

PublicKey PrivateKey::Public() const {
  const int size = i2d_PUBKEY(key_.get(), nullptr);
  if (size <= 0) {
    FailOpenSsl("i2d_PUBKEY");
  }
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  unsigned char* cursor = der.data();
  if (i2d_PUBKEY(key_.get(), &cursor) != size) {
    FailOpenSsl("i2d_PUBKEY");
  }
  auto public_key = PublicKey::FromDer(der);
  if (!public_key.ok()) {
    FailOpenSsl("PublicKey::FromDer of our own key");
  }
  return std::move(public_key).value();
}

}  // namespace lvyuan::crypto
