#include "http/metrics.h"

#include <gtest/gtest.h>

namespace lvyuan::http {
namespace {

TEST(MetricsTest, CountsRequestsByRouteMethodAndStatus) {
  Metrics metrics("1.2.3");
  metrics.RecordRequest("/api/v1/units/{id}", "GET", 200, 0.003);
  metrics.RecordRequest("/api/v1/units/{id}", "GET", 200, 0.004);
  metrics.RecordRequest("/api/v1/units/{id}", "GET", 404, 0.001);
  std::string text = metrics.Render();
  EXPECT_NE(text.find("lvyuan_http_requests_total{route=\"/api/v1/units/{id}\",method=\"GET\","
                      "status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status=\"404\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("lvyuan_build_info{version=\"1.2.3\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE lvyuan_http_request_duration_seconds histogram"), std::string::npos);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  Metrics metrics("x");
  metrics.RecordRequest("r", "GET", 200, 0.0005);  // le 0.001
  metrics.RecordRequest("r", "GET", 200, 0.2);     // le 0.25
  metrics.RecordRequest("r", "GET", 200, 50);      // only +Inf
  std::string text = metrics.Render();
  EXPECT_NE(text.find("_bucket{route=\"r\",le=\"0.001\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("_bucket{route=\"r\",le=\"0.1\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"r\",le=\"0.25\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"r\",le=\"10\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("_bucket{route=\"r\",le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lvyuan_http_request_duration_seconds_count{route=\"r\"} 3\n"),
            std::string::npos);
}

TEST(MetricsTest, OpenConnectionsGauge) {
  Metrics metrics("x");
  metrics.ConnectionOpened();
  metrics.ConnectionOpened();
  metrics.ConnectionClosed();
  EXPECT_NE(metrics.Render().find("lvyuan_http_open_connections 1\n"), std::string::npos);
}

TEST(MetricsTest, EscapesLabelValues) { EXPECT_EQ(EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

}  // namespace
}  // namespace lvyuan::http
