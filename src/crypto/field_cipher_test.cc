#include "crypto/field_cipher.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/encoding.h"
#include "crypto/kat_test_support.h"

namespace lvyuan::crypto {
namespace {

using testing::kVectorDir;
using testing::LoadJson;
using testing::UnhexJson;

FieldCipher FixedCipher(std::uint8_t fill) {
  std::vector<std::uint8_t> key(FieldCipher::kKeyBytes, fill);
  return FieldCipher::FromKey(key).value();
}

TEST(Sm4CtrTest, MatchesTheKnownAnswerVector) {
  const boost::json::value kats = LoadJson(kVectorDir + "/gmt_kats.json");
  int checked = 0;
  for (const auto& v : kats.at("sm4").as_array()) {
    if (v.at("mode").as_string() != "SM4-CTR") continue;
    auto out = Sm4Ctr(UnhexJson(v.at("key_hex")), UnhexJson(v.at("iv_hex")),
                      UnhexJson(v.at("plaintext_hex")));
    ASSERT_TRUE(out.ok()) << out.error().ToString();
    EXPECT_EQ(core::HexEncode(*out), v.at("ciphertext_hex").as_string());
    // CTR is its own inverse.
    auto back = Sm4Ctr(UnhexJson(v.at("key_hex")), UnhexJson(v.at("iv_hex")), *out);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(core::HexEncode(*back), v.at("plaintext_hex").as_string());
    ++checked;
  }
  EXPECT_GE(checked, 1);
  EXPECT_FALSE(Sm4Ctr(std::vector<std::uint8_t>(15), std::vector<std::uint8_t>(16), {}).ok());
}

TEST(FieldCipherTest, SealsAndOpensWithinItsContext) {
  const FieldCipher cipher = FixedCipher(7);
  const std::string sealed = cipher.Seal("JBSWY3DPEHPK3PXP", "totp:12");
  EXPECT_TRUE(FieldCipher::IsSealed(sealed));
  EXPECT_EQ(sealed.find("JBSWY3DPEHPK3PXP"), std::string::npos);
  auto opened = cipher.Open(sealed, "totp:12");
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  EXPECT_EQ(*opened, "JBSWY3DPEHPK3PXP");
  // A fresh IV each time: the same value never seals to the same text.
  EXPECT_NE(cipher.Seal("JBSWY3DPEHPK3PXP", "totp:12"), sealed);
  EXPECT_EQ(cipher.Open(cipher.Seal("", "x"), "x").value(), "");
}

TEST(FieldCipherTest, RefusesAlteredMovedOrForeignValues) {
  const FieldCipher cipher = FixedCipher(7);
  const std::string sealed = cipher.Seal("330523199001011234", "subject:5");
  // Another row: the context is part of the tag.
  auto moved = cipher.Open(sealed, "subject:6");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, core::ErrorCode::kDataLoss);
  // Another deployment's key.
  EXPECT_EQ(FixedCipher(8).Open(sealed, "subject:5").error().code, core::ErrorCode::kDataLoss);
  // Every single changed character of the ciphertext part is caught.
  for (std::size_t i = FieldCipher::kSealedPrefix.size(); i < sealed.size(); ++i) {
    std::string altered = sealed;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    auto r = cipher.Open(altered, "subject:5");
    EXPECT_FALSE(r.ok()) << "position " << i;
  }
  EXPECT_EQ(cipher.Open("JBSWY3DPEHPK3PXP", "totp:1").error().code,
            core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(cipher.Open("sf1.AAAA", "totp:1").error().code, core::ErrorCode::kInvalidArgument);
}

TEST(FieldCipherTest, BlindIndexIsStablePerKeyAndContext) {
  const FieldCipher a = FixedCipher(7);
  const std::string index = a.BlindIndex("330523199001011234", "id_number");
  EXPECT_EQ(index.size(), 64u);
  EXPECT_EQ(a.BlindIndex("330523199001011234", "id_number"), index);
  EXPECT_NE(a.BlindIndex("330523199001011235", "id_number"), index);
  EXPECT_NE(a.BlindIndex("330523199001011234", "phone"), index);
  EXPECT_NE(FixedCipher(8).BlindIndex("330523199001011234", "id_number"), index);
  EXPECT_EQ(a.key_id().size(), 16u);
  EXPECT_NE(a.key_id(), FixedCipher(8).key_id());
}

class FieldKeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("lvyuan_field_key_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(FieldKeyFileTest, SavesOnceWithMode0600AndLoadsTheSameKey) {
  const FieldCipher cipher = FieldCipher::Generate();
  const auto path = dir_ / "field-key";
  ASSERT_TRUE(cipher.SaveFile(path).ok());
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto loaded = FieldCipher::LoadFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
  EXPECT_EQ(loaded->key_id(), cipher.key_id());
  EXPECT_EQ(loaded->Open(cipher.Seal("secret", "c"), "c").value(), "secret");
  // Never overwritten.
  EXPECT_EQ(FieldCipher::Generate().SaveFile(path).error().code, core::ErrorCode::kAlreadyExists);
}

TEST_F(FieldKeyFileTest, RefusesAKeyFileOthersCanReadAndOneThatIsNotAKey) {
  const auto path = dir_ / "field-key";
  ASSERT_TRUE(FieldCipher::Generate().SaveFile(path).ok());
  std::filesystem::permissions(path, std::filesystem::perms::group_read,
                               std::filesystem::perm_options::add);
  auto refused = FieldCipher::LoadFile(path);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message.find("chmod 600"), std::string::npos);

  const auto junk = dir_ / "junk";
  { std::ofstream(junk) << "hello\n"; }
  std::filesystem::permissions(
      junk, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(FieldCipher::LoadFile(junk).error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(FieldCipher::LoadFile(dir_ / "missing").error().code, core::ErrorCode::kNotFound);
}

}  // namespace
}  // namespace lvyuan::crypto
