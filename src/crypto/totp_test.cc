#include "crypto/totp.h"

#include <gtest/gtest.h>

#include <string>

#include "core/encoding.h"

namespace lvyuan::crypto {
namespace {

std::vector<std::uint8_t> Seed(std::string_view ascii) { return {ascii.begin(), ascii.end()}; }

const std::vector<std::uint8_t> kSeed20 = Seed("12345678901234567890");
const std::vector<std::uint8_t> kSeed32 = Seed("12345678901234567890123456789012");
const std::vector<std::uint8_t> kSeed64 =
    Seed("1234567890123456789012345678901234567890123456789012345678901234");

TEST(HotpTest, MatchesRfc4226AppendixD) {
  constexpr std::string_view kExpected[] = {"755224", "287082", "359152", "969429", "338314",
                                            "254676", "287922", "162583", "399871", "520489"};
  for (std::uint64_t counter = 0; counter < 10; ++counter) {
    EXPECT_EQ(Hotp(kSeed20, counter), kExpected[counter]) << counter;
  }
}

struct Rfc6238Vector {
  std::int64_t time;
  std::string_view code;
  TotpAlgorithm algorithm;
};

// RFC 6238 Appendix B, all 18 rows.
constexpr Rfc6238Vector kRfc6238Vectors[] = {
    {59, "94287082", TotpAlgorithm::kSha1},
    {59, "46119246", TotpAlgorithm::kSha256},
    {59, "90693936", TotpAlgorithm::kSha512},
    {1111111109, "07081804", TotpAlgorithm::kSha1},
    {1111111109, "68084774", TotpAlgorithm::kSha256},
    {1111111109, "25091201", TotpAlgorithm::kSha512},
    {1111111111, "14050471", TotpAlgorithm::kSha1},
    {1111111111, "67062674", TotpAlgorithm::kSha256},
    {1111111111, "99943326", TotpAlgorithm::kSha512},
    {1234567890, "89005924", TotpAlgorithm::kSha1},
    {1234567890, "91819424", TotpAlgorithm::kSha256},
    {1234567890, "93441116", TotpAlgorithm::kSha512},
    {2000000000, "69279037", TotpAlgorithm::kSha1},
    {2000000000, "90698825", TotpAlgorithm::kSha256},
    {2000000000, "38618901", TotpAlgorithm::kSha512},
    {20000000000, "65353130", TotpAlgorithm::kSha1},
    {20000000000, "77737706", TotpAlgorithm::kSha256},
    {20000000000, "47863826", TotpAlgorithm::kSha512},
};

const std::vector<std::uint8_t>& SeedFor(TotpAlgorithm algorithm) {
  switch (algorithm) {
    case TotpAlgorithm::kSha256:
      return kSeed32;
    case TotpAlgorithm::kSha512:
      return kSeed64;
    case TotpAlgorithm::kSha1:
      break;
  }
  return kSeed20;
}

TEST(TotpTest, MatchesEveryRfc6238AppendixBVector) {
  for (const auto& v : kRfc6238Vectors) {
    EXPECT_EQ(Totp(SeedFor(v.algorithm), v.time, 30, 8, v.algorithm), v.code) << v.time;
  }
}

TEST(TotpTest, VerifiesEveryRfc6238VectorAndReturnsItsCounter) {
  for (const auto& v : kRfc6238Vectors) {
    const auto counter = VerifyTotp(SeedFor(v.algorithm), v.code, v.time, 1, 30, 8, v.algorithm);
    ASSERT_TRUE(counter.has_value()) << v.time;
    EXPECT_EQ(*counter, v.time / 30);
  }
}

TEST(TotpTest, WindowOneAcceptsPreviousAndNextStepButNotTwoAway) {
  const std::int64_t now = 1'700'000'000;
  const std::string previous = Totp(kSeed20, now - 30);
  const std::string next = Totp(kSeed20, now + 30);
  const std::string two_ago = Totp(kSeed20, now - 60);
  ASSERT_NE(previous, Totp(kSeed20, now));
  EXPECT_EQ(VerifyTotp(kSeed20, Totp(kSeed20, now), now), now / 30);
  EXPECT_EQ(VerifyTotp(kSeed20, previous, now), now / 30 - 1);
  EXPECT_EQ(VerifyTotp(kSeed20, next, now), now / 30 + 1);
  EXPECT_EQ(VerifyTotp(kSeed20, two_ago, now), std::nullopt);
  EXPECT_EQ(VerifyTotp(kSeed20, two_ago, now, 2), now / 30 - 2);
  EXPECT_EQ(VerifyTotp(kSeed20, previous, now, 0), std::nullopt);
}

TEST(TotpTest, RefusesCodesOfWrongLengthOrWithNonDigits) {
  const std::int64_t now = 1'700'000'000;
  const std::string code = Totp(kSeed20, now);
  EXPECT_EQ(VerifyTotp(kSeed20, code.substr(0, 5), now), std::nullopt);
  EXPECT_EQ(VerifyTotp(kSeed20, code + "0", now), std::nullopt);
  EXPECT_EQ(VerifyTotp(kSeed20, "", now), std::nullopt);
  std::string letter = code;
  letter[2] = 'a';
  EXPECT_EQ(VerifyTotp(kSeed20, letter, now), std::nullopt);
  EXPECT_EQ(VerifyTotp(kSeed20, " " + code.substr(1), now), std::nullopt);
}

TEST(TotpTest, RefusesCodeMadeWithAnotherKey) {
  const std::int64_t now = 1'700'000'000;
  std::vector<std::uint8_t> other = kSeed20;
  other[0] ^= 1;
  const std::string code = Totp(other, now);
  if (code != Totp(kSeed20, now) && code != Totp(kSeed20, now - 30) &&
      code != Totp(kSeed20, now + 30)) {
    EXPECT_EQ(VerifyTotp(kSeed20, code, now), std::nullopt);
  }
  EXPECT_NE(Totp(other, now), Totp(kSeed20, now));
}

TEST(TotpTest, NewSecretIsTwentyRandomBytes) {
  const auto a = NewTotpSecret();
  EXPECT_EQ(a.size(), 20u);
  EXPECT_NE(a, NewTotpSecret());
}

TEST(TotpTest, UriPercentEncodesIssuerAndAccount) {
  EXPECT_EQ(TotpUri("绿源", "zhang san@example.cn", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "otpauth://totp/%E7%BB%BF%E6%BA%90:zhang%20san%40example.cn"
            "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=%E7%BB%BF%E6%BA%90"
            "&algorithm=SHA1&digits=6&period=30");
}

TEST(TotpTest, UriDropsSecretPaddingAndSpacesAndEncodesColonInLabel) {
  EXPECT_EQ(TotpUri("A:B", "x", "MZXW 6===").substr(0, 38),
            "otpauth://totp/A%3AB:x?secret=MZXW6&is");
}

TEST(TotpTest, SecretSurvivesBase32RoundTripIntoSameCodes) {
  const auto secret = NewTotpSecret();
  auto decoded = core::Base32Decode(core::Base32Encode(secret));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(Totp(*decoded, 1'700'000'000), Totp(secret, 1'700'000'000));
}

}  // namespace
}  // namespace lvyuan::crypto
