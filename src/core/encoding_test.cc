#include "core/encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lvyuan::core {
namespace {

std::vector<std::uint8_t> Bytes(std::string_view text) { return {text.begin(), text.end()}; }

struct Rfc4648Vector {
  std::string_view data;
  std::string_view base64;
  std::string_view base32;
  std::string_view hex;
};

// RFC 4648 §10.
constexpr Rfc4648Vector kRfc4648Vectors[] = {
    {"", "", "", ""},
    {"f", "Zg==", "MY======", "66"},
    {"fo", "Zm8=", "MZXQ====", "666f"},
    {"foo", "Zm9v", "MZXW6===", "666f6f"},
    {"foob", "Zm9vYg==", "MZXW6YQ=", "666f6f62"},
    {"fooba", "Zm9vYmE=", "MZXW6YTB", "666f6f6261"},
    {"foobar", "Zm9vYmFy", "MZXW6YTBOI======", "666f6f626172"},
};

TEST(EncodingTest, EncodesRfc4648TestVectors) {
  for (const auto& v : kRfc4648Vectors) {
    EXPECT_EQ(Base64Encode(AsBytes(v.data)), v.base64) << v.data;
    EXPECT_EQ(Base32Encode(AsBytes(v.data)), v.base32) << v.data;
    EXPECT_EQ(HexEncode(AsBytes(v.data)), v.hex) << v.data;
  }
}

TEST(EncodingTest, DecodesRfc4648TestVectors) {
  for (const auto& v : kRfc4648Vectors) {
    auto base64 = Base64Decode(v.base64);
    ASSERT_TRUE(base64.ok()) << v.base64;
    EXPECT_EQ(*base64, Bytes(v.data));
    auto base32 = Base32Decode(v.base32);
    ASSERT_TRUE(base32.ok()) << v.base32;
    EXPECT_EQ(*base32, Bytes(v.data));
    auto hex = HexDecode(v.hex);
    ASSERT_TRUE(hex.ok()) << v.hex;
    EXPECT_EQ(*hex, Bytes(v.data));
  }
}

TEST(EncodingTest, HexEncodesLowerCaseAndDecodesEitherCase) {
  const std::vector<std::uint8_t> bytes = {0x00, 0xab, 0xcd, 0xef, 0xff};
  EXPECT_EQ(HexEncode(bytes), "00abcdefff");
  auto decoded = HexDecode("00ABcdEFff");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
}

TEST(EncodingTest, HexDecodeRejectsOddLengthAndNonHexCharacters) {
  EXPECT_EQ(HexDecode("abc").error().code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(HexDecode("0g").ok());
  EXPECT_FALSE(HexDecode("0 ").ok());
}

TEST(EncodingTest, Base32DecodeToleratesLowerCaseSpacesAndMissingPadding) {
  auto decoded = Base32Decode("mzxw 6ytb oi");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, Bytes("foobar"));
  auto unpadded = Base32Decode("MZXW6YQ");
  ASSERT_TRUE(unpadded.ok());
  EXPECT_EQ(*unpadded, Bytes("foob"));
}

TEST(EncodingTest, Base32DecodeRejectsInvalidInput) {
  EXPECT_FALSE(Base32Decode("MZXW1===").ok());  // '1' is not in the alphabet
  EXPECT_FALSE(Base32Decode("MY==MY==").ok());  // data after padding
  EXPECT_FALSE(Base32Decode("M").ok());         // no encoder emits one symbol
  EXPECT_FALSE(Base32Decode("MZX").ok());       // nor three
}

TEST(EncodingTest, Base64UrlUsesUrlSafeAlphabetWithoutPadding) {
  const std::vector<std::uint8_t> bytes = {0xfb, 0xff, 0xbf, 0x01};
  EXPECT_EQ(Base64Encode(bytes), "+/+/AQ==");
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_AQ");
  auto decoded = Base64UrlDecode("-_-_AQ");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
  auto padded = Base64UrlDecode("-_-_AQ==");
  ASSERT_TRUE(padded.ok());
  EXPECT_EQ(*padded, bytes);
}

TEST(EncodingTest, Base64DecodersRejectForeignAlphabetAndBadLength) {
  EXPECT_FALSE(Base64UrlDecode("+/+/AQ").ok());
  EXPECT_FALSE(Base64Decode("-_-_AQ==").ok());
  EXPECT_FALSE(Base64Decode("Zm9vYg").ok());  // standard Base64 requires padding
  EXPECT_FALSE(Base64Decode("Zm=v").ok());    // padding inside
  EXPECT_FALSE(Base64Decode("Z===").ok());
  EXPECT_FALSE(Base64UrlDecode("Zm9vY").ok());  // 5 symbols cannot occur
}

TEST(EncodingTest, Base64DecodeRejectsNonZeroTrailingBits) {
  EXPECT_TRUE(Base64Decode("Zg==").ok());
  EXPECT_FALSE(Base64Decode("Zh==").ok());
}

TEST(EncodingTest, RoundTripsEveryByteValue) {
  std::vector<std::uint8_t> bytes;
  bytes.reserve(256);
  for (int i = 0; i < 256; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(i));
  }
  for (std::size_t n = 0; n <= bytes.size(); n += 37) {
    const std::span<const std::uint8_t> part(bytes.data(), n);
    const std::vector<std::uint8_t> expected(part.begin(), part.end());
    EXPECT_EQ(*Base64Decode(Base64Encode(part)), expected);
    EXPECT_EQ(*Base64UrlDecode(Base64UrlEncode(part)), expected);
    EXPECT_EQ(*Base32Decode(Base32Encode(part)), expected);
    EXPECT_EQ(*HexDecode(HexEncode(part)), expected);
  }
}

}  // namespace
}  // namespace lvyuan::core
