#include "domain/field_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace lvyuan::domain {
namespace {

class FieldKeyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("lvyuan-field-key-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    auto db = store::Open({.url = (dir_ / "lvyuan.db").string()});
    ASSERT_TRUE(db.ok()) << db.error().ToString();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->Migrate().ok());
  }
  void TearDown() override {
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Database> db_;
};

TEST_F(FieldKeyTest, CreatesTheKeyOnceAndLoadsItAfterwards) {
  const auto file = dir_ / "keys" / "field-key";
  auto first = EnsureFieldKey(*db_, file);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto again = EnsureFieldKey(*db_, file);
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->key_id(), first->key_id());
  EXPECT_EQ(again->Open(first->Seal("x", "c"), "c").value(), "x");
}

TEST_F(FieldKeyTest, RefusesAMissingOrForeignKeyOnceOneIsPinned) {
  const auto file = dir_ / "field-key";
  ASSERT_TRUE(EnsureFieldKey(*db_, file).ok());
  std::filesystem::remove(file);
  auto missing = EnsureFieldKey(*db_, file);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_EQ(missing.error().field, "field_key");
  EXPECT_FALSE(std::filesystem::exists(file));  // no new key silently made

  ASSERT_TRUE(crypto::FieldCipher::Generate().SaveFile(file).ok());
  auto foreign = EnsureFieldKey(*db_, file);
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.error().code, core::ErrorCode::kFailedPrecondition);
  EXPECT_NE(foreign.error().message.find("不是本部署登记的密钥"), std::string::npos);
}

}  // namespace
}  // namespace lvyuan::domain
