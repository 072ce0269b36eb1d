// A token bucket per key (client address), for throttling login attempts:
// RateLimiter keeps the buckets in this process's memory; SharedRateLimiter
// keeps them in the database, so that every process serving it counts
// against one limit (several processes behind a load balancer).
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

#include "core/clock.h"
#include "store/database.h"

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

// The same bucket semantics (capacity and refill_per_second of the options,
// rounded to whole tokens a minute; max_keys does not apply: the store prunes
// buckets that refilled) kept in the database (store::TakeLoginToken): one
// short write per attempt. Thread-safe. When the database cannot be written
// the attempt is allowed and the error logged — the login itself then fails
// on the same database.
class SharedRateLimiter {
 public:
  // `db` and `clock` must outlive the limiter.
  SharedRateLimiter(RateLimiterOptions options, store::Database& db, const core::Clock& clock);

  bool Allow(std::string_view key);

 private:
  const std::int64_t capacity_;
  const std::int64_t refill_per_minute_;
  store::Database& db_;
  const core::Clock& clock_;
};

}  // namespace lvyuan::http
