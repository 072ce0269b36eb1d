#include "http/metrics.h"

#include <fmt/format.h>

namespace lvyuan::http {

std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Metrics::Metrics(std::string version) : version_(std::move(version)) {}

void Metrics::RecordRequest(std::string_view route, std::string_view method, unsigned status,
                            double duration_seconds) {
  std::lock_guard lock(mu_);
  // Look up without building strings: only a route's first request allocates.
  auto key = std::make_tuple(route, method, status);
  auto counter = requests_.find(key);
  if (counter == requests_.end()) {
    counter = requests_.emplace(std::make_tuple(std::string(route), std::string(method), status), 0)
                  .first;
  }
  ++counter->second;
  auto it = durations_.find(route);
  if (it == durations_.end()) it = durations_.emplace(std::string(route), Histogram{}).first;
  Histogram& histogram = it->second;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (duration_seconds <= kBuckets[i]) {
      ++histogram.counts[i];
      break;
    }
  }
  ++histogram.count;
  histogram.sum += duration_seconds;
}

std::string Metrics::Render() const {
  std::string out;
  out += "# HELP lvyuan_build_info Build information.\n# TYPE lvyuan_build_info gauge\n";
  out += fmt::format("lvyuan_build_info{{version=\"{}\"}} 1\n", EscapeLabel(version_));
  out += "# HELP lvyuan_http_open_connections Open HTTP connections.\n";
  out += "# TYPE lvyuan_http_open_connections gauge\n";
  out += fmt::format("lvyuan_http_open_connections {}\n", open_connections());

  std::lock_guard lock(mu_);
  out += "# HELP lvyuan_http_requests_total HTTP requests answered.\n";
  out += "# TYPE lvyuan_http_requests_total counter\n";
  for (const auto& [key, count] : requests_) {
    const auto& [route, method, status] = key;
    out +=
        fmt::format("lvyuan_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                    EscapeLabel(route), EscapeLabel(method), status, count);
  }
  out +=
      "# HELP lvyuan_http_request_duration_seconds Time from request read to response "
      "written.\n";
  out += "# TYPE lvyuan_http_request_duration_seconds histogram\n";
  for (const auto& [route, histogram] : durations_) {
    std::string label = EscapeLabel(route);
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += histogram.counts[i];
      out +=
          fmt::format("lvyuan_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                      label, kBuckets[i], cumulative);
    }
    out +=
        fmt::format("lvyuan_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n",
                    label, histogram.count);
    out += fmt::format("lvyuan_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label,
                       histogram.sum);
    out += fmt::format("lvyuan_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label,
                       histogram.count);
  }
  return out;
}

}  // namespace lvyuan::http
