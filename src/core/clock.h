// Time as the product sees it: unix milliseconds from an injectable clock,
// so tests can move time without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace lvyuan::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since 1970-01-01T00:00:00Z. Thread-safe.
  virtual std::int64_t NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ms) : now_(start_ms) {}
  std::int64_t NowMs() const override { return now_.load(); }
  void Advance(std::int64_t ms) { now_ += ms; }
  void Set(std::int64_t ms) { now_ = ms; }

 private:
  std::atomic<std::int64_t> now_;
};

// "2026-12-01T19:54:01.123Z".
std::string FormatIsoUtc(std::int64_t unix_ms);
// Parses "YYYY-MM-DD" (taken as 00:00 China Standard Time) or an ISO 8601
// UTC time "YYYY-MM-DDTHH:MM:SS[.fff]Z"; false on anything else.
bool ParseIsoTime(std::string_view text, std::int64_t* unix_ms);
// The calendar date in China (UTC+8, no DST) at the instant: "2026-12-02".
std::string ChinaDate(std::int64_t unix_ms);
// True for a real calendar date written "YYYY-MM-DD".
bool IsIsoDate(std::string_view text);

}  // namespace lvyuan::core
