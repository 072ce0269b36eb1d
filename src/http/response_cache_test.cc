#include "http/response_cache.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace lvyuan::http {
namespace {

TEST(ResponseCacheTest, FindsABodyOnlyAtItsVersionAndWithinItsAge) {
  ResponseCache cache(8, 1000);
  cache.Put("u1|limit=20", 41, 10'000, "{\"items\":[]}");
  auto hit = cache.Lookup("u1|limit=20", 41, 10'500).body;
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "{\"items\":[]}");
  EXPECT_NE(cache.Lookup("u1|limit=20", 41, 11'000).body, nullptr)
      << "exactly max age is still fresh";
  EXPECT_EQ(cache.Lookup("u1|limit=20", 42, 10'500).body, nullptr) << "a newer event: stale";
  EXPECT_EQ(cache.Lookup("u1|limit=20", 40, 10'500).body, nullptr)
      << "an older version: not this one";
  EXPECT_EQ(cache.Lookup("u1|limit=20", 41, 11'001).body, nullptr) << "too old";
  EXPECT_EQ(cache.Lookup("u1|limit=20", 41, 9'999).body, nullptr) << "the clock went back";
  EXPECT_EQ(cache.Lookup("u2|limit=20", 41, 10'500).body, nullptr) << "another key";
}

TEST(ResponseCacheTest, PutReplacesTheBodyOfAKey) {
  ResponseCache cache(8, 1000);
  cache.Put("k", 1, 0, "old");
  cache.Put("k", 2, 5, "new");
  EXPECT_EQ(cache.Lookup("k", 1, 5).body, nullptr);
  auto hit = cache.Lookup("k", 2, 5).body;
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "new");
  EXPECT_EQ(cache.size(), 1U);
}

TEST(ResponseCacheTest, AHeldBodySurvivesItsReplacement) {
  ResponseCache cache(8, 1000);
  cache.Put("k", 1, 0, "first");
  auto held = cache.Lookup("k", 1, 0).body;
  cache.Put("k", 1, 1, "second");
  ASSERT_NE(held, nullptr);
  EXPECT_EQ(*held, "first");
}

TEST(ResponseCacheTest, WhenFullDropsStaleEntriesFirstThenTheOldest) {
  ResponseCache cache(3, 1000);
  cache.Put("a", 1, 0, "a");
  cache.Put("b", 2, 10, "b");
  cache.Put("c", 2, 20, "c");
  cache.Put("d", 2, 30, "d");  // full: "a" (version 1) is stale and goes
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(cache.Lookup("a", 1, 30).body, nullptr);
  EXPECT_NE(cache.Lookup("b", 2, 30).body, nullptr);
  cache.Put("e", 2, 40, "e");  // full, nothing stale: the oldest ("b") goes
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(cache.Lookup("b", 2, 40).body, nullptr);
  EXPECT_NE(cache.Lookup("c", 2, 40).body, nullptr);
  EXPECT_NE(cache.Lookup("d", 2, 40).body, nullptr);
  EXPECT_NE(cache.Lookup("e", 2, 40).body, nullptr);
}

TEST(ResponseCacheTest, NoEntriesKeepsNothing) {
  ResponseCache cache(0, 1000);
  cache.Put("k", 1, 0, "body");
  EXPECT_EQ(cache.Lookup("k", 1, 0).body, nullptr);
  EXPECT_EQ(cache.size(), 0U);
}

TEST(ResponseCacheTest, ConcurrentPutsAndFindsStayBounded) {
  ResponseCache cache(16, 1'000'000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string key = std::to_string((t * 7 + i) % 40);
        cache.Put(key, 1, i, key);
        if (auto hit = cache.Lookup(key, 1, i).body) {
          EXPECT_EQ(*hit, key);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 16U);
}

}  // namespace
TEST(ResponseCacheTest, OneCallerRenewsABodyPastHalfItsAge) {
  ResponseCache cache(8, 1000);
  cache.Put("k", 1, 10'000, "first");
  ResponseCache::Kept young = cache.Lookup("k", 1, 10'400);
  ASSERT_NE(young.body, nullptr);
  EXPECT_FALSE(young.refresh) << "under half the max age: nobody renews";

  ResponseCache::Kept due = cache.Lookup("k", 1, 10'600);
  ASSERT_NE(due.body, nullptr);
  EXPECT_TRUE(due.refresh) << "past half the max age: this caller renews";
  ResponseCache::Kept other = cache.Lookup("k", 1, 10'700);
  ASSERT_NE(other.body, nullptr);
  EXPECT_EQ(*other.body, "first");
  EXPECT_FALSE(other.refresh) << "only one caller is told to renew";

  cache.Put("k", 1, 10'700, "second");
  ResponseCache::Kept renewed = cache.Lookup("k", 1, 11'100);
  ASSERT_NE(renewed.body, nullptr);
  EXPECT_EQ(*renewed.body, "second") << "kept past the first body's expiry";
  EXPECT_FALSE(renewed.refresh);
  EXPECT_TRUE(cache.Lookup("k", 1, 11'300).refresh) << "the renewed body ages in turn";
}

TEST(ResponseCacheTest, ABodyNeverRenewedStillExpires) {
  ResponseCache cache(8, 1000);
  cache.Put("k", 1, 0, "body");
  EXPECT_TRUE(cache.Lookup("k", 1, 600).refresh);  // the renewal never Puts
  EXPECT_NE(cache.Lookup("k", 1, 1000).body, nullptr);
  EXPECT_EQ(cache.Lookup("k", 1, 1001).body, nullptr) << "expired: a miss for everybody";
  EXPECT_EQ(cache.Lookup("k", 2, 700).body, nullptr) << "another version: a miss, not a renewal";
}

}  // namespace lvyuan::http
