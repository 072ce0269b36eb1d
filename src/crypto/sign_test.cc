#include "crypto/sign.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "crypto/kat_test_support.h"
#include "crypto/random.h"

namespace lvyuan::crypto {
namespace {

using testing::kVectorDir;
using testing::LoadJson;
using testing::Unhex;

std::vector<std::uint8_t> JsonHex(const boost::json::value& value) {
  return Unhex(std::string_view(value.as_string()));
}

std::vector<std::uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

std::vector<std::uint8_t> Concat(std::initializer_list<std::vector<std::uint8_t>> parts) {
  std::vector<std::uint8_t> out;
  for (const auto& part : parts) {
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

// DER ECDSA-Sig-Value SEQUENCE { r, s } from the big-endian r and s.
std::vector<std::uint8_t> EncodeSm2Signature(const std::vector<std::uint8_t>& r,
                                             const std::vector<std::uint8_t>& s) {
  ECDSA_SIG* raw = ECDSA_SIG_new();
  EXPECT_NE(raw, nullptr);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(raw, ECDSA_SIG_free);
  BIGNUM* r_bn = BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr);
  BIGNUM* s_bn = BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr);
  EXPECT_EQ(ECDSA_SIG_set0(signature.get(), r_bn, s_bn), 1);  // takes ownership
  const int size = i2d_ECDSA_SIG(signature.get(), nullptr);
  EXPECT_GT(size, 0);
  std::vector<std::uint8_t> der(static_cast<std::size_t>(size));
  unsigned char* cursor = der.data();
  EXPECT_EQ(i2d_ECDSA_SIG(signature.get(), &cursor), size);
  return der;
}

class SignSm2AnnexATest : public ::testing::Test {
 protected:
  void SetUp() override {
    kats_ = LoadJson(kVectorDir + "/gmt_kats.json");
    vector_ = &kats_.at("sm2_sign").as_object();
    curve_ = &kats_.at("sm2_curve_recommended").as_object();
    point_ = Concat(
        {{0x04}, JsonHex(vector_->at("public_key_x")), JsonHex(vector_->at("public_key_y"))});
    message_ = Bytes(vector_->at("message_ascii").as_string());
    signature_ = EncodeSm2Signature(JsonHex(vector_->at("r")), JsonHex(vector_->at("s")));
  }

  boost::json::value kats_;
  const boost::json::object* vector_ = nullptr;
  const boost::json::object* curve_ = nullptr;
  std::vector<std::uint8_t> point_;
  std::vector<std::uint8_t> message_;
  std::vector<std::uint8_t> signature_;
};

TEST_F(SignSm2AnnexATest, ZaAndDigestMatchTheStandard) {
  ASSERT_EQ(vector_->at("user_id_ascii").as_string(), kSm2DefaultId);
  // ZA = SM3(ENTL || ID || a || b || xG || yG || xA || yA), GB/T 32918.2 §5.5.
  const std::vector<std::uint8_t> za_input =
      Concat({JsonHex(vector_->at("entl_hex")), Bytes(kSm2DefaultId), JsonHex(curve_->at("a")),
              JsonHex(curve_->at("b")), JsonHex(curve_->at("gx")), JsonHex(curve_->at("gy")),
              JsonHex(vector_->at("public_key_x")), JsonHex(vector_->at("public_key_y"))});
  const Digest za = Sm3(za_input);
  EXPECT_EQ(std::vector<std::uint8_t>(za.begin(), za.end()), JsonHex(vector_->at("ZA")));
  const Digest e = Sm3(Concat({{za.begin(), za.end()}, message_}));
  EXPECT_EQ(std::vector<std::uint8_t>(e.begin(), e.end()), JsonHex(vector_->at("e")));
}

TEST_F(SignSm2AnnexATest, VerifiesTheAnnexASignatureWithTheDefaultId) {
  auto key = PublicKey::FromSm2Point(point_);
  ASSERT_TRUE(key.ok()) << key.error().ToString();
  EXPECT_EQ(key->algorithm(), SignatureAlgorithm::kSm2);
  EXPECT_TRUE(key->Verify(message_, signature_));
  EXPECT_TRUE(key->VerifySm2WithId(message_, signature_, kSm2DefaultId));
}

TEST_F(SignSm2AnnexATest, RejectsTheAnnexASignatureWithAnotherId) {
  auto key = PublicKey::FromSm2Point(point_);
  ASSERT_TRUE(key.ok());
  EXPECT_FALSE(key->VerifySm2WithId(message_, signature_, "1234567812345679"));
  EXPECT_FALSE(key->VerifySm2WithId(message_, signature_, ""));
}

TEST_F(SignSm2AnnexATest, RejectsTheAnnexASignatureOverAFlippedMessageByte) {
  auto key = PublicKey::FromSm2Point(point_);
  ASSERT_TRUE(key.ok());
  for (std::size_t i = 0; i < message_.size(); ++i) {
    std::vector<std::uint8_t> altered = message_;
    altered[i] ^= 0x01;
    EXPECT_FALSE(key->Verify(altered, signature_)) << "byte " << i;
  }
}

TEST_F(SignSm2AnnexATest, RejectsTheAnnexASignatureWithAFlippedROrS) {
  auto key = PublicKey::FromSm2Point(point_);
  ASSERT_TRUE(key.ok());
  std::vector<std::uint8_t> r = JsonHex(vector_->at("r"));
  r[31] ^= 0x01;
  EXPECT_FALSE(key->Verify(message_, EncodeSm2Signature(r, JsonHex(vector_->at("s")))));
  std::vector<std::uint8_t> s = JsonHex(vector_->at("s"));
  s[0] ^= 0x80;
  EXPECT_FALSE(key->Verify(message_, EncodeSm2Signature(JsonHex(vector_->at("r")), s)));
}

TEST_F(SignSm2AnnexATest, PrivateScalarDerivesTheAnnexAPublicKeyAndSignsForIt) {
  auto private_key = PrivateKey::FromSm2Scalar(JsonHex(vector_->at("private_key_d")));
  ASSERT_TRUE(private_key.ok()) << private_key.error().ToString();
  auto expected = PublicKey::FromSm2Point(point_);
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(private_key->Public().ToDer(), expected->ToDer());
  EXPECT_EQ(private_key->Public().KeyId(), expected->KeyId());
  auto signature = private_key->Sign(message_);
  ASSERT_TRUE(signature.ok()) << signature.error().ToString();
  EXPECT_TRUE(expected->Verify(message_, *signature));
}

TEST_F(SignSm2AnnexATest, RejectsOffCurveAndMalformedPoints) {
  std::vector<std::uint8_t> off_curve = point_;
  off_curve[64] ^= 0x01;
  auto result = PublicKey::FromSm2Point(off_curve);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidArgument);
  std::vector<std::uint8_t> compressed_prefix = point_;
  compressed_prefix[0] = 0x02;
  EXPECT_FALSE(PublicKey::FromSm2Point(compressed_prefix).ok());
  EXPECT_FALSE(PublicKey::FromSm2Point(std::span(point_).first(64)).ok());
  EXPECT_FALSE(PublicKey::FromSm2Point({}).ok());
}

TEST_F(SignSm2AnnexATest, RejectsScalarsOutsideTheValidRange) {
  EXPECT_FALSE(PrivateKey::FromSm2Scalar(std::vector<std::uint8_t>(32, 0)).ok());
  std::vector<std::uint8_t> n_minus_1 = JsonHex(curve_->at("n"));
  n_minus_1[31] -= 1;
  EXPECT_FALSE(PrivateKey::FromSm2Scalar(n_minus_1).ok());
  std::vector<std::uint8_t> n_minus_2 = JsonHex(curve_->at("n"));
  n_minus_2[31] -= 2;
  EXPECT_TRUE(PrivateKey::FromSm2Scalar(n_minus_2).ok());
  EXPECT_FALSE(PrivateKey::FromSm2Scalar(std::vector<std::uint8_t>(31, 1)).ok());
}

// RFC 8032 §7.1 TEST 1–3: Ed25519 is deterministic, so the signature must
// match byte for byte.
struct Ed25519Vector {
  const char* seed;
  const char* public_key;
  const char* message;
  const char* signature;
};

constexpr Ed25519Vector kRfc8032Vectors[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf"
     "9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f"
     "11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984"
     "dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

TEST(SignEd25519Test, MatchesRfc8032Vectors) {
  for (const auto& v : kRfc8032Vectors) {
    auto private_key = PrivateKey::FromEd25519Seed(Unhex(v.seed));
    ASSERT_TRUE(private_key.ok()) << private_key.error().ToString();
    auto public_key = PublicKey::FromEd25519Raw(Unhex(v.public_key));
    ASSERT_TRUE(public_key.ok());
    EXPECT_EQ(private_key->Public().ToDer(), public_key->ToDer()) << v.public_key;
    const std::vector<std::uint8_t> message = Unhex(v.message);
    auto signature = private_key->Sign(message);
    ASSERT_TRUE(signature.ok());
    EXPECT_EQ(core::HexEncode(*signature), v.signature);
    EXPECT_TRUE(public_key->Verify(message, Unhex(v.signature)));
    std::vector<std::uint8_t> altered = Unhex(v.signature);
    altered[10] ^= 0x04;
    EXPECT_FALSE(public_key->Verify(message, altered));
  }
}

TEST(SignEd25519Test, RejectsRawKeysOfTheWrongLength) {
  EXPECT_FALSE(PublicKey::FromEd25519Raw(std::vector<std::uint8_t>(31, 1)).ok());
  EXPECT_FALSE(PrivateKey::FromEd25519Seed(std::vector<std::uint8_t>(33, 1)).ok());
}

TEST(SignatureAlgorithmTest, NamesRoundTripAndOthersAreRejected) {
  for (auto algorithm : {SignatureAlgorithm::kSm2, SignatureAlgorithm::kEd25519}) {
    auto parsed = ParseSignatureAlgorithm(SignatureAlgorithmName(algorithm));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, algorithm);
  }
  EXPECT_EQ(SignatureAlgorithmName(SignatureAlgorithm::kSm2), "sm2");
  EXPECT_EQ(SignatureAlgorithmName(SignatureAlgorithm::kEd25519), "ed25519");
  for (std::string_view bad : {"", "SM2", "rsa", "ed448", "sm2 "}) {
    auto parsed = ParseSignatureAlgorithm(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidArgument);
  }
}

// An SM2 key made by `openssl genpkey -algorithm SM2` (PKCS#8 with
// id-ecPublicKey on the SM2 curve, which OpenSSL 3.0 reads back as type EC),
// and a signature of kCliMessage made by `openssl pkeyutl -sign -rawin
// -digest sm3 -pkeyopt distid:1234567812345678`.
constexpr std::string_view kCliSm2Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqBHM9VAYItBG0wawIBAQQgZPLzF08aN2i5P/+n\n"
    "N9DEteOgo8WI/LYzQ/ntAlkmjlOhRANCAARhTyJ95dMGSBJNgEEgMq/sWW3vK4DC\n"
    "ht1OfEgZPRiZAIEOOJByQUweoXG+9Td+Ju3Pl0er8sAZQFKNvDfu0lR1\n"
    "-----END PRIVATE KEY-----\n";
constexpr std::string_view kCliSm2PublicPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoEcz1UBgi0DQgAEYU8ifeXTBkgSTYBBIDKv7Flt7yuA\n"
    "wobdTnxIGT0YmQCBDjiQckFMHqFxvvU3fibtz5dHq/LAGUBSjbw37tJUdQ==\n"
    "-----END PUBLIC KEY-----\n";
constexpr std::string_view kCliMessage = "lvyuan checkpoint";
constexpr std::string_view kCliSignature =
    "30450220317ac836fbf8c6bba3a97142009015882b0e11fa1f1ec9615de15fb1b43b558f022100dd4ab214b887"
    "05b85d9c27133213032ce947481458d4bb6ac36c05965bacceb8";

TEST(SignSm2InteropTest, ReadsAnOpenSslCliKeyAsSm2AndVerifiesItsSignature) {
  auto private_key = PrivateKey::FromPem(kCliSm2Pem);
  ASSERT_TRUE(private_key.ok()) << private_key.error().ToString();
  EXPECT_EQ(private_key->algorithm(), SignatureAlgorithm::kSm2);
  auto public_key = PublicKey::FromPem(kCliSm2PublicPem);
  ASSERT_TRUE(public_key.ok()) << public_key.error().ToString();
  EXPECT_EQ(public_key->algorithm(), SignatureAlgorithm::kSm2);
  EXPECT_EQ(public_key->ToPem(), kCliSm2PublicPem);
  EXPECT_EQ(private_key->Public().KeyId(), public_key->KeyId());
  EXPECT_TRUE(public_key->Verify(Bytes(kCliMessage), Unhex(kCliSignature)));
  // Signed as SM2, not as ECDSA over the same curve: our signature verifies
  // with the CLI key's public half under the default ID.
  auto signature = private_key->Sign(Bytes(kCliMessage));
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(public_key->Verify(Bytes(kCliMessage), *signature));
  EXPECT_FALSE(public_key->VerifySm2WithId(Bytes(kCliMessage), *signature, ""));
}

TEST(SignKeyParsingTest, RejectsOtherKeyTypesAndBadInput) {
  constexpr std::string_view kP256Pem =
      "-----BEGIN PRIVATE KEY-----\n"
      "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5GoVG1X1M4azMAML\n"
      "yU7A9Ocod2VfdJm75F9/LEQGNMuhRANCAASeiIQgxYbjzIbRIDJwcPvtAYqOMHeQ\n"
      "UwSgSnicKru5dcp5ro+8FOI2cA7g8LO8Ge77qGr15hgz+yQgvHjy9jY9\n"
      "-----END PRIVATE KEY-----\n";
  constexpr std::string_view kEncryptedPem =
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
      "MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAj42HuwYAbjygICCAAw\n"
      "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEDW8zmLouG7jKljZo1WfbZ4EgZB1\n"
      "C6S3OA3h1sClL60+V6vlzp7a3MvGJkzffPr/VfwCJgPoXCcefqsJgoyfmnry6uHV\n"
      "EgzpSkQ6lMQhxbltfvA9kT1NJ+8izUSUkAyKdmthchAreybh919NT49EigyCM0vN\n"
      "ur5nTUCj16MUi+f5np6yKcoFq8hiiWdCL3G9m6PYehMq4w7hFakgss/9bho5+o0=\n"
      "-----END ENCRYPTED PRIVATE KEY-----\n";
  for (std::string_view pem : {kP256Pem, kEncryptedPem, std::string_view("not a key"),
                               std::string_view(""), kCliSm2PublicPem}) {
    auto key = PrivateKey::FromPem(pem);
    ASSERT_FALSE(key.ok()) << pem;
    EXPECT_EQ(key.error().code, core::ErrorCode::kInvalidArgument) << pem;
  }
  EXPECT_FALSE(PublicKey::FromPem("garbage").ok());
  EXPECT_FALSE(PublicKey::FromPem(kCliSm2Pem).ok());
  EXPECT_FALSE(PublicKey::FromDer({}).ok());
  EXPECT_FALSE(PublicKey::FromDer(Unhex("3000")).ok());
}

TEST(SignKeyParsingTest, RejectsDerWithTrailingBytes) {
  auto public_key = PublicKey::FromPem(kCliSm2PublicPem);
  ASSERT_TRUE(public_key.ok());
  std::vector<std::uint8_t> der = public_key->ToDer();
  ASSERT_TRUE(PublicKey::FromDer(der).ok());
  der.push_back(0x00);
  EXPECT_FALSE(PublicKey::FromDer(der).ok());
}

class SignRoundTripTest : public ::testing::TestWithParam<SignatureAlgorithm> {};

TEST_P(SignRoundTripTest, SignatureVerifiesWithItsOwnKeyOnly) {
  auto key = PrivateKey::Generate(GetParam());
  auto other = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok() && other.ok());
  EXPECT_EQ(key->algorithm(), GetParam());
  EXPECT_EQ(key->Public().algorithm(), GetParam());
  const std::vector<std::uint8_t> message = Bytes("checkpoint 42 root=abcd");
  auto signature = key->Sign(message);
  ASSERT_TRUE(signature.ok()) << signature.error().ToString();
  EXPECT_TRUE(key->Public().Verify(message, *signature));
  EXPECT_FALSE(other->Public().Verify(message, *signature));
  EXPECT_NE(key->Public().KeyId(), other->Public().KeyId());
  std::vector<std::uint8_t> altered = message;
  altered.back() ^= 0x01;
  EXPECT_FALSE(key->Public().Verify(altered, *signature));
  EXPECT_FALSE(key->Public().Verify({}, *signature));
}

TEST_P(SignRoundTripTest, SignsAndVerifiesTheEmptyMessage) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  auto signature = key->Sign({});
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(key->Public().Verify({}, *signature));
  EXPECT_FALSE(key->Public().Verify(Bytes("x"), *signature));
}

TEST_P(SignRoundTripTest, RejectsTruncatedExtendedAndGarbageSignatures) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  const PublicKey public_key = key->Public();
  const std::vector<std::uint8_t> message = Bytes("message");
  auto signature = key->Sign(message);
  ASSERT_TRUE(signature.ok());
  for (std::size_t length = 0; length < signature->size(); ++length) {
    EXPECT_FALSE(public_key.Verify(message, std::span(*signature).first(length))) << length;
  }
  std::vector<std::uint8_t> extended = *signature;
  extended.push_back(0x00);
  EXPECT_FALSE(public_key.Verify(message, extended));
  for (std::size_t i = 0; i < signature->size(); ++i) {
    std::vector<std::uint8_t> flipped = *signature;
    flipped[i] ^= 0x40;
    EXPECT_FALSE(public_key.Verify(message, flipped)) << "byte " << i;
  }
  for (int round = 0; round < 32; ++round) {
    EXPECT_FALSE(public_key.Verify(message, RandomBytes(signature->size())));
    EXPECT_FALSE(public_key.Verify(message, RandomBytes(static_cast<std::size_t>(round))));
  }
}

TEST_P(SignRoundTripTest, PemRoundTripKeepsTheKeyId) {
  auto key = PrivateKey::Generate(GetParam());
  ASSERT_TRUE(key.ok());
  const std::string pem = key->ToPem();
  EXPECT_TRUE(pem.starts_with("-----BEGIN PRIVATE KEY-----\n")) << pem;
  auto reloaded = PrivateKey::FromPem(pem);
  ASSERT_TRUE(reloaded.ok()) << reloaded.error().ToString();
  EXPECT_EQ(reloaded->algorithm(), GetParam());
  EXPECT_EQ(reloaded->Public().KeyId(), key->Public().KeyId());
  EXPECT_EQ(reloaded->ToPem(), pem);

  const PublicKey public_key = key->Public();
  EXPECT_EQ(public_key.KeyId().size(), 16u);
  const Digest spki_digest = Sm3(public_key.ToDer());
  EXPECT_EQ(public_key.KeyId(), core::HexEncode(std::span(spki_digest).first(8)));
  auto from_pem = PublicKey::FromPem(public_key.ToPem());
  auto from_der = PublicKey::FromDer(public_key.ToDer());
  ASSERT_TRUE(from_pem.ok() && from_der.ok());
  EXPECT_EQ(from_pem->KeyId(), public_key.KeyId());
  EXPECT_EQ(from_der->KeyId(), public_key.KeyId());
  EXPECT_EQ(from_pem->algorithm(), GetParam());

  // The reloaded key signs for the original public key.
  auto signature = reloaded->Sign(Bytes("after reload"));
  ASSERT_TRUE(signature.ok());
  EXPECT_TRUE(from_der->Verify(Bytes("after reload"), *signature));
}

INSTANTIATE_TEST_SUITE_P(Algorithms, SignRoundTripTest,
                         ::testing::Values(SignatureAlgorithm::kSm2, SignatureAlgorithm::kEd25519),
                         [](const auto& param_info) {
                           return std::string(SignatureAlgorithmName(param_info.param));
                         });

TEST(SignatureFormatTest, Ed25519SignaturesAre64BytesAndSm2SignaturesAreDer) {
  auto ed25519 = PrivateKey::Generate(SignatureAlgorithm::kEd25519);
  auto sm2 = PrivateKey::Generate(SignatureAlgorithm::kSm2);
  ASSERT_TRUE(ed25519.ok() && sm2.ok());
  auto ed_signature = ed25519->Sign(Bytes("m"));
  auto sm2_signature = sm2->Sign(Bytes("m"));
  ASSERT_TRUE(ed_signature.ok() && sm2_signature.ok());
  EXPECT_EQ(ed_signature->size(), 64u);
  ASSERT_GE(sm2_signature->size(), 8u);
  EXPECT_LE(sm2_signature->size(), 72u);
  EXPECT_EQ((*sm2_signature)[0], 0x30);
  EXPECT_EQ((*sm2_signature)[1], sm2_signature->size() - 2);
}

TEST(SignatureFormatTest, SignatureOfOneAlgorithmNeverVerifiesUnderTheOther) {
  auto ed25519 = PrivateKey::Generate(SignatureAlgorithm::kEd25519);
  auto sm2 = PrivateKey::Generate(SignatureAlgorithm::kSm2);
  ASSERT_TRUE(ed25519.ok() && sm2.ok());
  auto ed_signature = ed25519->Sign(Bytes("m"));
  auto sm2_signature = sm2->Sign(Bytes("m"));
  ASSERT_TRUE(ed_signature.ok() && sm2_signature.ok());
  EXPECT_FALSE(sm2->Public().Verify(Bytes("m"), *ed_signature));
  EXPECT_FALSE(ed25519->Public().Verify(Bytes("m"), *sm2_signature));
  EXPECT_FALSE(ed25519->Public().VerifySm2WithId(Bytes("m"), *ed_signature, kSm2DefaultId));
}

class SignKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = std::filesystem::temp_directory_path() /
                 ("lvyuan_sign_test_" + core::HexEncode(RandomBytes(8)));
    ASSERT_TRUE(std::filesystem::create_directory(directory_));
  }
  void TearDown() override {
    std::error_code error;
    std::filesystem::remove_all(directory_, error);
  }
  static mode_t ModeOf(const std::filesystem::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0);
    return info.st_mode & 07777;
  }

  std::filesystem::path directory_;
};

TEST_F(SignKeyFileTest, SaveFileWritesMode0600AndLoadFileReadsItBack) {
  auto key = PrivateKey::Generate(SignatureAlgorithm::kSm2);
  ASSERT_TRUE(key.ok());
  const auto path = directory_ / "record.key";
  const auto saved = key->SaveFile(path);
  ASSERT_TRUE(saved.ok()) << saved.error().ToString();
  EXPECT_EQ(ModeOf(path), 0600u);
  auto loaded = PrivateKey::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->algorithm(), SignatureAlgorithm::kSm2);
  EXPECT_EQ(loaded->Public().KeyId(), key->Public().KeyId());
  // Nothing but the key is left in the directory.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(directory_)) {
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST_F(SignKeyFileTest, SaveFileRefusesToOverwriteAnExistingFile) {
  auto first = PrivateKey::Generate(SignatureAlgorithm::kEd25519);
  auto second = PrivateKey::Generate(SignatureAlgorithm::kEd25519);
  ASSERT_TRUE(first.ok() && second.ok());
  const auto path = directory_ / "record.key";
  ASSERT_TRUE(first->SaveFile(path).ok());
  const auto again = second->SaveFile(path);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, core::ErrorCode::kAlreadyExists);
  auto loaded = PrivateKey::LoadFile(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->Public().KeyId(), first->Public().KeyId());
}

TEST_F(SignKeyFileTest, LoadFileRefusesAKeyReadableByOthers) {
  auto key = PrivateKey::Generate(SignatureAlgorithm::kSm2);
  ASSERT_TRUE(key.ok());
  const auto path = directory_ / "record.key";
  ASSERT_TRUE(key->SaveFile(path).ok());
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(0644));
  auto loaded = PrivateKey::LoadFile(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(loaded.error().message.find("0644"), std::string::npos) << loaded.error().message;
  EXPECT_NE(loaded.error().message.find("chmod 600"), std::string::npos);
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(0640));
  EXPECT_FALSE(PrivateKey::LoadFile(path).ok());
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(0400));
  EXPECT_TRUE(PrivateKey::LoadFile(path).ok());
}

TEST_F(SignKeyFileTest, LoadFileReportsMissingAndNonKeyFiles) {
  auto missing = PrivateKey::LoadFile(directory_ / "absent.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
  const auto path = directory_ / "junk.key";
  { std::ofstream(path) << "not a key\n"; }
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(0600));
  auto junk = PrivateKey::LoadFile(path);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.error().code, core::ErrorCode::kInvalidArgument);
  auto directory = PrivateKey::LoadFile(directory_);
  EXPECT_FALSE(directory.ok());
}

}  // namespace
}  // namespace lvyuan::crypto
