#include "record/canonical.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "core/encoding.h"
#include "record/merkle.h"

namespace lvyuan::record {
namespace {
namespace json = boost::json;

std::string Canonical(std::string_view text) {
  auto v = CanonicalJson(json::parse(text));
  EXPECT_TRUE(v.ok()) << v.error().ToString();
  return v.ok() ? *v : std::string();
}

TEST(CanonicalJsonTest, SortsMembersAndDropsWhitespace) {
  EXPECT_EQ(Canonical(R"({ "b": 1, "a": [true, false, null], "c": {"z": "x", "y": -5} })"),
            R"({"a":[true,false,null],"b":1,"c":{"y":-5,"z":"x"}})");
}

TEST(CanonicalJsonTest, SortsKeysByUtf8Bytes) {
  // 'Z' 0x5A < 'a' 0x61 < '位' E4 BD 8D < '单' E5 8D 95.
  EXPECT_EQ(Canonical(R"({"单":1,"a":2,"位":3,"Z":4})"), R"({"Z":4,"a":2,"位":3,"单":1})");
}

TEST(CanonicalJsonTest, EscapesOnlyQuoteBackslashAndControlCharacters) {
  EXPECT_EQ(Canonical(R"(["a\"b\\c\/d", "\u0001\n\t\b\f\r", "\u4e2d文 é", "\u007f"])"),
            "[\"a\\\"b\\\\c/d\",\"\\u0001\\n\\t\\b\\f\\r\",\"中文 é\",\"\x7f\"]");
}

TEST(CanonicalJsonTest, WritesIntegersInShortestForm) {
  EXPECT_EQ(Canonical("[0, -0, 9223372036854775807, -9223372036854775808, 18446744073709551615]"),
            "[0,0,9223372036854775807,-9223372036854775808,18446744073709551615]");
}

TEST(CanonicalJsonTest, RefusesFloatingPointNumbers) {
  auto v = CanonicalJson(json::parse(R"({"amount": {"yuan": 12.5}})"));
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, core::ErrorCode::kInvalidArgument);
  EXPECT_FALSE(CanonicalJson(json::parse("[1e3]")).ok());
}

TEST(ParseCanonicalTest, AcceptsCanonicalTextOnly) {
  EXPECT_TRUE(ParseCanonical(R"({"a":1,"b":[]})", json::kind::object, "detail").ok());
  for (std::string_view bad : {R"({"b":1,"a":2})", R"({"a": 1})", R"({"a":1.0})", R"([])",
                               R"({"a":"\u00e9"})", "{\"a\":1", "{\"a\":\"\xff\"}"}) {
    auto r = ParseCanonical(bad, json::kind::object, "detail");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, core::ErrorCode::kDataLoss) << bad;
    EXPECT_EQ(r.error().field, "detail");
  }
}

store::EventRecord ExampleEvent() {
  store::EventRecord e;
  e.seq = 42;
  e.at = 1764633600123;  // 2025-12-02T00:00:00.123Z
  e.actor_user_id = 7;
  e.actor_username = "hzhb_officer";
  e.actor_unit_id = 3;
  e.action = "unit.update";
  e.object_type = "unit";
  e.object_id = "3";
  e.outcome = "ok";
  e.changes = R"({"contact_phone":{"after":"0572-1234567","before":""}})";
  e.files = "[]";
  e.client_ip = "127.0.0.1";
  e.request_id = "req-1";
  e.detail = "{}";
  return e;
}

// The worked example of docs/record-format.md; if this changes, every
// stored leaf hash stops verifying.
TEST(CanonicalEventTest, MatchesTheDocumentedExample) {
  auto text = CanonicalEvent(ExampleEvent());
  ASSERT_TRUE(text.ok()) << text.error().ToString();
  EXPECT_EQ(
      *text,
      R"({"action":"unit.update","actor":{"unit_id":3,"user_id":7,"username":"hzhb_officer"},)"
      R"("at":"2025-12-02T00:00:00.123Z","changes":{"contact_phone":{"after":"0572-1234567",)"
      R"("before":""}},"client_ip":"127.0.0.1","detail":{},"files":[],"object":{"id":"3",)"
      R"("type":"unit"},"outcome":"ok","request_id":"req-1","seq":42,"v":1})");
  const Hash leaf = LeafHash(HashAlgorithm::kSm3, core::AsBytes(*text));
  EXPECT_EQ(core::HexEncode(leaf),
            "c1eba408c14824141094b7cc5f80c036b7a4a8f6a913a1e32648748f85cf87ca");
}

TEST(CanonicalEventTest, UncheckedWriterGivesTheDocumentedBytes) {
  const store::EventRecord e = ExampleEvent();
  std::string out = "prefix";
  AppendCanonicalEventUnchecked(store::ViewOf(e), out);
  EXPECT_EQ(out, "prefix" + CanonicalEvent(e).value());
}

TEST(CanonicalEventTest, UncheckedWriterMatchesForNullActorsEscapesAndOldTimes) {
  store::EventRecord e = ExampleEvent();
  e.actor_user_id.reset();
  e.actor_unit_id.reset();
  e.actor_username = "";
  e.object_id = "a\"b\\c\n\x01/中";
  e.request_id = std::string("nul\0end", 7);
  for (std::int64_t at : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{-86'400'001},
                          std::int64_t{1764633599999}, std::int64_t{1764633600000}}) {
    e.at = at;
    std::string out;
    AppendCanonicalEventUnchecked(store::ViewOf(e), out);
    EXPECT_EQ(out, CanonicalEvent(e).value()) << at;
  }
}

TEST(CanonicalEventTest, ActorOfTheSystemIsNull) {
  store::EventRecord e = ExampleEvent();
  e.actor_user_id.reset();
  e.actor_unit_id.reset();
  e.actor_username.clear();
  auto text = CanonicalEvent(e);
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find(R"("actor":{"unit_id":null,"user_id":null,"username":""})"),
            std::string::npos);
}

TEST(CanonicalEventTest, RefusesStoredColumnsThatAreNotCanonical) {
  store::EventRecord e = ExampleEvent();
  e.changes = R"({"contact_phone": {"after":"0572-1234567","before":""}})";
  auto text = CanonicalEvent(e);
  ASSERT_FALSE(text.ok());
  EXPECT_EQ(text.error().code, core::ErrorCode::kDataLoss);
  EXPECT_EQ(text.error().field, "changes");
}

}  // namespace
}  // namespace lvyuan::record
