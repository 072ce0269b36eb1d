// A token bucket per key (client address), for throttling login attempts.
//
// Thread-safe. Memory is bounded: at most max_keys buckets are kept; when a
// new key arrives at the limit the least recently used bucket is dropped, and
// buckets idle for longer than it takes to refill completely are dropped as
// they are no different from a fresh one.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lvyuan::http {

struct RateLimiterOptions {
  double capacity = 10;            // burst size, tokens
  double refill_per_second = 0.5;  // sustained rate
  std::size_t max_keys = 10000;
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // `clock` defaults to steady_clock::now; tests pass a fake.
  explicit RateLimiter(RateLimiterOptions options, Clock clock = {});

  // Takes one token from `key`'s bucket: true when there was one (the request
  // may proceed), false when the key is over its rate.
  bool Allow(std::string_view key);

  // Number of buckets currently kept.
  std::size_t size() const;

 private:
  struct Bucket {
    std::string key;
    double tokens;
    std::chrono::steady_clock::time_point last;
  };

  const RateLimiterOptions options_;
  const Clock clock_;

  mutable std::mutex mu_;  // guards lru_ and index_
  std::list<Bucket> lru_;  // most recently used first
  std::unordered_map<std::string, std::list<Bucket>::iterator> index_;
};

}  // namespace lvyuan::http
