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
  auto hit = cache.Find("u1|limit=20", 41, 10'500);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "{\"items\":[]}");
  EXPECT_NE(cache.Find("u1|limit=20", 41, 11'000), nullptr) << "exactly max age is still fresh";
  EXPECT_EQ(cache.Find("u1|limit=20", 42, 10'500), nullptr) << "a newer event: stale";
  EXPECT_EQ(cache.Find("u1|limit=20", 40, 10'500), nullptr) << "an older version: not this one";
  EXPECT_EQ(cache.Find("u1|limit=20", 41, 11'001), nullptr) << "too old";
  EXPECT_EQ(cache.Find("u1|limit=20", 41, 9'999), nullptr) << "the clock went back";
  EXPECT_EQ(cache.Find("u2|limit=20", 41, 10'500), nullptr) << "another key";
}

TEST(ResponseCacheTest, PutReplacesTheBodyOfAKey) {
  ResponseCache cache(8, 1000);
  cache.Put("k", 1, 0, "old");
  cache.Put("k", 2, 5, "new");
  EXPECT_EQ(cache.Find("k", 1, 5), nullptr);
  auto hit = cache.Find("k", 2, 5);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(*hit, "new");
  EXPECT_EQ(cache.size(), 1U);
}

TEST(ResponseCacheTest, AHeldBodySurvivesItsReplacement) {
  ResponseCache cache(8, 1000);
  cache.Put("k", 1, 0, "first");
  auto held = cache.Find("k", 1, 0);
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
  EXPECT_EQ(cache.Find("a", 1, 30), nullptr);
  EXPECT_NE(cache.Find("b", 2, 30), nullptr);
  cache.Put("e", 2, 40, "e");  // full, nothing stale: the oldest ("b") goes
  EXPECT_EQ(cache.size(), 3U);
  EXPECT_EQ(cache.Find("b", 2, 40), nullptr);
  EXPECT_NE(cache.Find("c", 2, 40), nullptr);
  EXPECT_NE(cache.Find("d", 2, 40), nullptr);
  EXPECT_NE(cache.Find("e", 2, 40), nullptr);
}

TEST(ResponseCacheTest, NoEntriesKeepsNothing) {
  ResponseCache cache(0, 1000);
  cache.Put("k", 1, 0, "body");
  EXPECT_EQ(cache.Find("k", 1, 0), nullptr);
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
        if (auto hit = cache.Find(key, 1, i)) {
          EXPECT_EQ(*hit, key);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(cache.size(), 16U);
}

}  // namespace
}  // namespace lvyuan::http
