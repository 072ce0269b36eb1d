#include "crypto/random.h"

#include <gtest/gtest.h>

#include <set>

#include "core/encoding.h"

namespace lvyuan::crypto {
namespace {

TEST(RandomTest, RandomBytesHasRequestedLengthAndDiffersBetweenCalls) {
  EXPECT_TRUE(RandomBytes(0).empty());
  const auto a = RandomBytes(32);
  const auto b = RandomBytes(32);
  EXPECT_EQ(a.size(), 32u);
  EXPECT_NE(a, b);  // equal with probability 2^-256
}

TEST(RandomTest, RandomTokenIsUnpaddedBase64UrlOfTheRequestedBytes) {
  const std::string token = RandomToken();
  EXPECT_EQ(token.size(), 43u);
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
  auto decoded = core::Base64UrlDecode(token);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded->size(), 32u);
  EXPECT_EQ(RandomToken(16).size(), 22u);
}

TEST(RandomTest, TokensDoNotRepeat) {
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    tokens.insert(RandomToken(16));
  }
  EXPECT_EQ(tokens.size(), 1000u);
}

}  // namespace
}  // namespace lvyuan::crypto
