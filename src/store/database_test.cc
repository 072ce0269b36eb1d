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

TEST(OpenTest, PostgresqlUrlOpensThePostgresqlBackend) {
  // Nothing listens on port 1: the PostgreSQL backend answers Unavailable.
  for (const char* url : {"postgresql://u@127.0.0.1:1/lvyuan", "postgres://u@127.0.0.1:1/db"}) {
    auto opened = Open({.url = url});
    EXPECT_EQ(CodeOf(opened), ErrorCode::kUnavailable) << url;
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

// A backend that implements only Query: QueryEach falls back to viewing its rows.
class QueryOnlyConn final : public Conn {
 public:
  Result<std::int64_t> Exec(std::string_view, std::span<const Value>) override { return 0; }
  Result<std::vector<Row>> Query(std::string_view sql, std::span<const Value>) override {
    if (sql == "fail") return core::Internal("query failed");
    std::vector<Row> rows;
    rows.emplace_back(std::vector<Value>{std::int64_t{4}, 0.5, std::string("绿源"), Blob{9}});
    rows.emplace_back(std::vector<Value>{Null(), Null(), Null(), Null()});
    rows.emplace_back(std::vector<Value>{std::int64_t{5}, 1.0, std::string("x"), Blob{}});
    return rows;
  }
};

TEST(QueryEachTest, DefaultImplementationViewsTheRowsOfQuery) {
  QueryOnlyConn conn;
  std::vector<std::string> seen;
  ASSERT_TRUE(IsOk(conn.QueryEach("q", {}, [&](const RowView& row) -> Status {
    const auto bytes = row.Bytes(3);
    seen.push_back(std::to_string(row.Int(0)) + "|" + std::string(row.Text(2)) + "|" +
                   std::to_string(bytes.size()) + "|" + (row.IsNull(1) ? "null" : "set"));
    return core::Ok();
  })));
  EXPECT_EQ(seen, (std::vector<std::string>{"4|绿源|1|set", "0||0|null", "5|x|0|set"}));
}

TEST(QueryEachTest, DefaultImplementationStopsAtTheFirstError) {
  QueryOnlyConn conn;
  EXPECT_EQ(CodeOf(conn.QueryEach("fail", {}, [](const RowView&) { return core::Ok(); })),
            ErrorCode::kInternal);
  int calls = 0;
  EXPECT_EQ(CodeOf(conn.QueryEach("q", {},
                                  [&](const RowView&) -> Status {
                                    ++calls;
                                    return core::NotFound("stop");
                                  })),
            ErrorCode::kNotFound);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace lvyuan::store
