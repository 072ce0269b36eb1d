#include "crypto/password.h"

#include <gtest/gtest.h>

#include <string>

namespace lvyuan::crypto {
namespace {

// The cheapest parameters libsodium allows, so tests stay quick under ASan.
const PasswordHashParams kFast = {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};

TEST(PasswordTest, HashVerifiesWithTheSamePassword) {
  auto hash = HashPassword("绿水青山 correct horse", kFast);
  ASSERT_TRUE(hash.ok()) << hash.error().ToString();
  EXPECT_TRUE(VerifyPassword(*hash, "绿水青山 correct horse"));
}

TEST(PasswordTest, RejectsWrongPassword) {
  auto hash = HashPassword("secret-1", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(VerifyPassword(*hash, "secret-2"));
  EXPECT_FALSE(VerifyPassword(*hash, ""));
  EXPECT_FALSE(VerifyPassword(*hash, "secret-1 "));
}

TEST(PasswordTest, EncodedFormRecordsArgon2idAndItsParameters) {
  auto hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_TRUE(hash->starts_with("$argon2id$v=19$m="));
  const std::string memory = "m=" + std::to_string(crypto_pwhash_MEMLIMIT_MIN / 1024) + ",";
  EXPECT_NE(hash->find(memory), std::string::npos) << *hash;
}

TEST(PasswordTest, SaltsEveryHash) {
  auto a = HashPassword("same", kFast);
  auto b = HashPassword("same", kFast);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  EXPECT_TRUE(VerifyPassword(*b, "same"));
}

TEST(PasswordTest, VerifyRefusesMalformedHashes) {
  auto hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(VerifyPassword("", "pw"));
  EXPECT_FALSE(VerifyPassword("not a hash", "pw"));
  EXPECT_FALSE(VerifyPassword(hash->substr(0, hash->size() - 5), "pw"));
  std::string tampered = *hash;
  tampered[tampered.size() - 3] = tampered[tampered.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyPassword(tampered, "pw"));
  std::string argon2i = *hash;
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(VerifyPassword(argon2i, "pw"));
  EXPECT_FALSE(VerifyPassword(*hash + std::string(1, '\0'), "pw"));
}

TEST(PasswordTest, NeedsRehashWhenParametersDiffer) {
  auto hash = HashPassword("pw", kFast);
  ASSERT_TRUE(hash.ok());
  EXPECT_FALSE(PasswordNeedsRehash(*hash, kFast));
  EXPECT_TRUE(PasswordNeedsRehash(*hash, PasswordHashParams{}));
  EXPECT_TRUE(PasswordNeedsRehash("garbage", kFast));
}

TEST(PasswordTest, RefusesOverlongPasswordAndOutOfRangeParameters) {
  const auto overlong = HashPassword(std::string(kMaxPasswordBytes + 1, 'a'), kFast);
  ASSERT_FALSE(overlong.ok());
  EXPECT_EQ(overlong.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(HashPassword("pw", {0, crypto_pwhash_MEMLIMIT_MIN}).ok());
  EXPECT_FALSE(HashPassword("pw", {crypto_pwhash_OPSLIMIT_MIN, 1}).ok());
}

}  // namespace
}  // namespace lvyuan::crypto
