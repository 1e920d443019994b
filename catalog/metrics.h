#pragma once
// Request counters by route and status and a latency histogram, rendered in the Prometheus text
// format. Thread-safe.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace lm::catalog {

class Metrics {
 public:
  void Observe(const std::string& route, int status, double seconds);
  // `gauges`: extra "name value" lines (e.g. store size).
  std::string Render(const std::vector<std::pair<std::string, double>>& gauges) const;

 private:
  static constexpr double kBuckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 120};
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, std::int64_t> requests_;
  std::map<std::string, std::vector<std::int64_t>> bucket_counts_;  // per route, cumulative at render
  std::map<std::string, std::pair<double, std::int64_t>> sums_;     // per route: seconds, count
};

}  // namespace lm::catalog
