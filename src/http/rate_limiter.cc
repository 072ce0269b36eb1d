#include "http/rate_limiter.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "store/accounts.h"

namespace lvyuan::http {

RateLimiter::RateLimiter(RateLimiterOptions options, Clock clock)
    : options_(options),
      clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })) {}

bool RateLimiter::Allow(std::string_view key) {
  auto now = clock_();
  std::lock_guard lock(mu_);
  // Buckets idle long enough to be full again carry no information.
  if (options_.refill_per_second > 0) {
    auto full_after = std::chrono::duration<double>(options_.capacity / options_.refill_per_second);
    while (!lru_.empty() && now - lru_.back().last >= full_after) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }
  std::string owned(key);
  auto found = index_.find(owned);
  if (found == index_.end()) {
    if (options_.max_keys == 0) return options_.capacity >= 1;
    if (index_.size() >= options_.max_keys) {
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
    lru_.push_front(Bucket{owned, options_.capacity, now});
    found = index_.emplace(std::move(owned), lru_.begin()).first;
  } else {
    lru_.splice(lru_.begin(), lru_, found->second);
  }
  Bucket& bucket = *found->second;
  double elapsed = std::chrono::duration<double>(now - bucket.last).count();
  bucket.tokens = std::min(options_.capacity,
                           bucket.tokens + std::max(0.0, elapsed) * options_.refill_per_second);
  bucket.last = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

SharedRateLimiter::SharedRateLimiter(RateLimiterOptions options, store::Database& db,
                                     const core::Clock& clock)
    : capacity_(std::max<std::int64_t>(1, std::llround(options.capacity))),
      refill_per_minute_(std::max<std::int64_t>(1, std::llround(options.refill_per_second * 60))),
      db_(db),
      clock_(clock) {}

bool SharedRateLimiter::Allow(std::string_view key) {
  bool allowed = true;
  core::Status s = db_.Write([&](store::Conn& conn) -> core::Status {
    allowed = TRY(store::TakeLoginToken(conn, key, clock_.NowMs(), capacity_, refill_per_minute_));
    return core::Ok();
  });
  if (!s.ok()) {
    spdlog::warn("login rate limit not checked: {}", s.error().ToString());
    return true;
  }
  return allowed;
}

}  // namespace lvyuan::http
