#include "store/database.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <limits>

#include "store/test_support.h"

namespace lvyuan::store {
namespace {

using core::ErrorCode;
using testing::CodeOf;
using testing::IsOk;

TEST(RowTest, AccessorsReturnTheStoredValue) {
  const Row row({std::int64_t{-7}, 2.5, std::string("环保"), Blob{0, 1}, Null()});
  EXPECT_EQ(row.size(), 5u);
  EXPECT_EQ(row.Int(0), -7);
  EXPECT_DOUBLE_EQ(row.Real(1), 2.5);
  EXPECT_EQ(row.Text(2), "环保");
  EXPECT_EQ(row.Bytes(3), (Blob{0, 1}));
  EXPECT_TRUE(row.IsNull(4));
  EXPECT_FALSE(row.IsNull(0));
  EXPECT_EQ(row.OptInt(0), std::optional<std::int64_t>(-7));
  EXPECT_EQ(row.OptText(2), std::optional<std::string>("环保"));
}

TEST(RowTest, TypeMismatchAndNullGiveTheFallback) {
  const Row row({std::string("12"), std::int64_t{3}, Null()});
  EXPECT_EQ(row.Int(0), 0) << "text is not converted to a number";
  EXPECT_DOUBLE_EQ(row.Real(1), 0.0);
  EXPECT_EQ(row.Text(1), "");
  EXPECT_TRUE(row.Bytes(0).empty());
  EXPECT_EQ(row.Int(2), 0);
  EXPECT_EQ(row.OptInt(2), std::nullopt);
  EXPECT_EQ(row.OptText(2), std::nullopt);
  EXPECT_EQ(row.OptInt(0), std::nullopt);
}

TEST(RowTest, OutOfRangeColumnIsNullForTheAccessors) {
  const Row row({std::int64_t{1}});
  EXPECT_TRUE(row.IsNull(5));
  EXPECT_EQ(row.Int(5), 0);
  EXPECT_EQ(row.OptText(5), std::nullopt);
}

TEST(OpenTest, PostgresqlUrlIsNotYetImplemented) {
  for (const char* url : {"postgresql://localhost/lvyuan", "postgres://u@host/db"}) {
    auto opened = Open({.url = url});
    ASSERT_EQ(CodeOf(opened), ErrorCode::kUnimplemented) << url;
    EXPECT_EQ(opened.error().message, "PostgreSQL 后端尚未启用");
  }
}

TEST(OpenTest, UnknownSchemeIsInvalidArgumentOnStoreUrl) {
  auto opened = Open({.url = "mysql://localhost/lvyuan"});
  ASSERT_EQ(CodeOf(opened), ErrorCode::kInvalidArgument);
  EXPECT_EQ(opened.error().field, "store.url");
}

TEST(OpenTest, EmptyUrlIsInvalidArgumentOnStoreUrl) {
  auto opened = Open({.url = ""});
  ASSERT_EQ(CodeOf(opened), ErrorCode::kInvalidArgument);
  EXPECT_EQ(opened.error().field, "store.url");
}

TEST(OpenTest, AcceptsEverySqliteSpelling) {
  testing::ScratchDirectory scratch;
  const std::string base = scratch.path().string();
  const std::pair<std::string, std::filesystem::path> cases[] = {
      {"sqlite:" + base + "/a.db", scratch.path() / "a.db"},
      {"sqlite://" + base + "/b.db", scratch.path() / "b.db"},
      {base + "/c.db", scratch.path() / "c.db"},
  };
  for (const auto& [url, file] : cases) {
    auto opened = Open({.url = url});
    ASSERT_TRUE(IsOk(opened)) << url;
    EXPECT_EQ((*opened)->Backend(), "sqlite");
    EXPECT_TRUE(IsOk((*opened)->Ping()));
    EXPECT_TRUE(std::filesystem::exists(file)) << url;
  }
}

}  // namespace
}  // namespace lvyuan::store
