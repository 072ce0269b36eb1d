#include "http/rate_limiter.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace lvyuan::http {
namespace {

using namespace std::chrono_literals;

struct FakeClock {
  std::chrono::steady_clock::time_point now{};
  RateLimiter::Clock Get() {
    return [this] { return now; };
  }
};

TEST(RateLimiterTest, AllowsBurstThenRefuses) {
  FakeClock clock;
  RateLimiter limiter({.capacity = 3, .refill_per_second = 1}, clock.Get());
  EXPECT_TRUE(limiter.Allow("10.0.0.1"));
  EXPECT_TRUE(limiter.Allow("10.0.0.1"));
  EXPECT_TRUE(limiter.Allow("10.0.0.1"));
  EXPECT_FALSE(limiter.Allow("10.0.0.1"));
}

TEST(RateLimiterTest, RefillsOverTime) {
  FakeClock clock;
  RateLimiter limiter({.capacity = 2, .refill_per_second = 0.5}, clock.Get());
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  clock.now += 1s;  // half a token
  EXPECT_FALSE(limiter.Allow("a"));
  clock.now += 1s;  // one token
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
}

TEST(RateLimiterTest, KeysAreIndependent) {
  FakeClock clock;
  RateLimiter limiter({.capacity = 1, .refill_per_second = 0.01}, clock.Get());
  EXPECT_TRUE(limiter.Allow("a"));
  EXPECT_FALSE(limiter.Allow("a"));
  EXPECT_TRUE(limiter.Allow("b"));
}

TEST(RateLimiterTest, MemoryIsBoundedByMaxKeys) {
  FakeClock clock;
  RateLimiter limiter({.capacity = 1, .refill_per_second = 0.001, .max_keys = 100}, clock.Get());
  for (int i = 0; i < 1000; ++i) limiter.Allow("10.0.0." + std::to_string(i));
  EXPECT_EQ(limiter.size(), 100u);
}

TEST(RateLimiterTest, DropsBucketsThatHaveRefilled) {
  FakeClock clock;
  RateLimiter limiter({.capacity = 2, .refill_per_second = 1}, clock.Get());
  limiter.Allow("a");
  limiter.Allow("b");
  EXPECT_EQ(limiter.size(), 2u);
  clock.now += 3s;
  limiter.Allow("c");
  EXPECT_EQ(limiter.size(), 1u);
}

TEST(RateLimiterTest, ConcurrentCallersNeverExceedCapacity) {
  RateLimiter limiter({.capacity = 100, .refill_per_second = 0.0001});
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.Allow("shared")) allowed.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(allowed.load(), 100);
}

}  // namespace
}  // namespace lvyuan::http
