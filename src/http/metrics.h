// Request metrics in the Prometheus text exposition format (version 0.0.4).
//
// Thread-safe: every member may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace lvyuan::http {

class Metrics {
 public:
  // Histogram bucket upper bounds in seconds (le labels), +Inf implied.
  static constexpr std::array<double, 13> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

  explicit Metrics(std::string version);

  // `route` is a route pattern or a fixed label ("static", "unmatched"),
  // never a raw path, so the number of series stays bounded.
  void RecordRequest(std::string_view route, std::string_view method, unsigned status,
                     double duration_seconds);
  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  std::int64_t open_connections() const {
    return open_connections_.load(std::memory_order_relaxed);
  }

  // lvyuan_http_requests_total, lvyuan_http_request_duration_seconds,
  // lvyuan_http_open_connections and lvyuan_build_info.
  std::string Render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> counts{};  // non-cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };

  const std::string version_;
  std::atomic<std::int64_t> open_connections_{0};

  mutable std::mutex mu_;  // guards the two maps
  std::map<std::tuple<std::string, std::string, unsigned>, std::uint64_t, std::less<>> requests_;
  std::map<std::string, Histogram, std::less<>> durations_;
};

// Escapes a Prometheus label value (backslash, double quote, newline).
std::string EscapeLabel(std::string_view value);

}  // namespace lvyuan::http
