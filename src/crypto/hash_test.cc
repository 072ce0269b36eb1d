#include "crypto/hash.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/encoding.h"
#include "crypto/kat_test_support.h"

namespace lvyuan::crypto {
namespace {

using testing::kVectorDir;
using testing::LoadJson;
using testing::UnhexJson;

std::string Hex(const Digest& digest) { return core::HexEncode(digest); }

TEST(HashTest, Sm3MatchesGbT32905Examples) {
  EXPECT_EQ(Hex(Sm3("abc")), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0");
  std::string abcd;
  for (int i = 0; i < 16; ++i) {
    abcd += "abcd";
  }
  EXPECT_EQ(Hex(Sm3(abcd)), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732");
}

TEST(HashTest, Sm3MatchesEveryKnownAnswerVector) {
  const boost::json::value kats = LoadJson(kVectorDir + "/gmt_kats.json");
  const auto& vectors = kats.at("sm3").as_array();
  ASSERT_EQ(vectors.size(), 6u);
  for (const auto& v : vectors) {
    const std::vector<std::uint8_t> message = UnhexJson(v.at("msg_hex"));
    EXPECT_EQ(Hex(Sm3(message)), v.at("digest_hex").as_string()) << v.at("desc");
    EXPECT_EQ(Hash(HashAlgorithm::kSm3, message), Sm3(message));
  }
}

TEST(HashTest, HmacSm3MatchesGmT0042Vectors) {
  const boost::json::value kats = LoadJson(kVectorDir + "/gmt_kats.json");
  const auto& vectors = kats.at("hmac_sm3").as_array();
  ASSERT_EQ(vectors.size(), 4u);
  for (const auto& v : vectors) {
    EXPECT_EQ(Hex(HmacSm3(UnhexJson(v.at("key_hex")), UnhexJson(v.at("msg_hex")))),
              v.at("mac_hex").as_string())
        << v.at("desc");
  }
}

// Wycheproof MacTest: the tag is the first tagSize bits of the HMAC; a valid
// test must verify and an invalid one must not.
TEST(HashTest, HmacSm3AgreesWithWycheproof) {
  const boost::json::value suite = LoadJson(kVectorDir + "/wycheproof/hmac_sm3_test.json");
  int valid = 0;
  int invalid = 0;
  for (const auto& group : suite.at("testGroups").as_array()) {
    const auto tag_bytes = static_cast<std::size_t>(group.at("tagSize").as_int64() / 8);
    for (const auto& test : group.at("tests").as_array()) {
      const Digest mac = HmacSm3(UnhexJson(test.at("key")), UnhexJson(test.at("msg")));
      const std::vector<std::uint8_t> tag = UnhexJson(test.at("tag"));
      const bool verifies =
          tag_bytes <= mac.size() &&
          ConstantTimeEqual(std::span<const std::uint8_t>(mac.data(), tag_bytes), tag);
      const std::string_view result = test.at("result").as_string();
      if (result == "valid") {
        EXPECT_TRUE(verifies) << "tcId " << test.at("tcId");
        ++valid;
      } else if (result == "invalid") {
        EXPECT_FALSE(verifies) << "tcId " << test.at("tcId");
        ++invalid;
      }
    }
  }
  EXPECT_EQ(valid + invalid, suite.at("numberOfTests").as_int64());
  EXPECT_GT(valid, 0);
  EXPECT_GT(invalid, 0);
}

TEST(HashTest, Sha256MatchesFips180Examples) {
  EXPECT_EQ(Hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Hash(HashAlgorithm::kSha256, "abc"), Sha256("abc"));
}

TEST(HashTest, HmacSha256MatchesRfc4231Case2) {
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HashTest, HasherGivesSameDigestForAnySplitOfTheInput) {
  const std::string text = "The quick brown fox jumps over the lazy dog, 绿水青山就是金山银山";
  for (HashAlgorithm algorithm : {HashAlgorithm::kSm3, HashAlgorithm::kSha256}) {
    for (std::size_t split = 0; split <= text.size(); split += 7) {
      Hasher hasher(algorithm);
      hasher.Update(std::string_view(text).substr(0, split));
      hasher.Update(std::string_view(text).substr(split));
      EXPECT_EQ(hasher.Finish(), Hash(algorithm, text)) << split;
    }
  }
}

TEST(HashTest, HasherStartsOverAfterFinishAndSurvivesMove) {
  Hasher hasher(HashAlgorithm::kSm3);
  hasher.Update("ab");
  Hasher moved = std::move(hasher);
  moved.Update("c");
  EXPECT_EQ(moved.Finish(), Sm3("abc"));
  EXPECT_EQ(moved.Finish(), Sm3(""));
  moved.Update("abc");
  EXPECT_EQ(moved.Finish(), Sm3("abc"));
  EXPECT_EQ(moved.algorithm(), HashAlgorithm::kSm3);
}

TEST(HashTest, ConstantTimeEqualComparesLengthAndEveryByte) {
  EXPECT_TRUE(ConstantTimeEqual("abc", "abc"));
  EXPECT_TRUE(ConstantTimeEqual("", ""));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "xbc"));
  EXPECT_FALSE(ConstantTimeEqual("abc", "abcd"));
  const Digest a = Sm3("a");
  Digest b = a;
  EXPECT_TRUE(ConstantTimeEqual(a, b));
  b[31] ^= 1;
  EXPECT_FALSE(ConstantTimeEqual(a, b));
}

}  // namespace
}  // namespace lvyuan::crypto
