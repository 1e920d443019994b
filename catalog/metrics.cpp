#include "catalog/metrics.h"

#include <cstdio>

namespace lm::catalog {

void Metrics::Observe(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, status}];
  auto& buckets = bucket_counts_[route];
  buckets.resize(std::size(kBuckets), 0);
  for (size_t i = 0; i < std::size(kBuckets); ++i) {
    if (seconds <= kBuckets[i]) {
      ++buckets[i];
      break;
    }
  }
  auto& sum = sums_[route];
  sum.first += seconds;
  ++sum.second;
}

std::string Metrics::Render(const std::vector<std::pair<std::string, double>>& gauges) const {
  std::lock_guard lock(mu_);
  std::string out;
  char buf[256];
  out += "# HELP lessonmesh_http_requests_total HTTP requests by route and status.\n";
  out += "# TYPE lessonmesh_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    std::snprintf(buf, sizeof(buf), "lessonmesh_http_requests_total{route=\"%s\",status=\"%d\"} %lld\n",
                  key.first.c_str(), key.second, static_cast<long long>(n));
    out += buf;
  }
  out += "# HELP lessonmesh_http_request_seconds Request latency.\n";
  out += "# TYPE lessonmesh_http_request_seconds histogram\n";
  for (const auto& [route, counts] : bucket_counts_) {
    std::int64_t cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      cumulative += counts[i];
      std::snprintf(buf, sizeof(buf), "lessonmesh_http_request_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
                    route.c_str(), kBuckets[i], static_cast<long long>(cumulative));
      out += buf;
    }
    const auto& sum = sums_.at(route);
    std::snprintf(buf, sizeof(buf),
                  "lessonmesh_http_request_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n"
                  "lessonmesh_http_request_seconds_sum{route=\"%s\"} %.6f\n"
                  "lessonmesh_http_request_seconds_count{route=\"%s\"} %lld\n",
                  route.c_str(), static_cast<long long>(sum.second), route.c_str(), sum.first, route.c_str(),
                  static_cast<long long>(sum.second));
    out += buf;
  }
  for (const auto& [name, value] : gauges) {
    std::snprintf(buf, sizeof(buf), "# TYPE %s gauge\n%s %.0f\n", name.c_str(), name.c_str(), value);
    out += buf;
  }
  return out;
}

}  // namespace lm::catalog
