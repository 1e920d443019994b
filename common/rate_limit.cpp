#include "common/rate_limit.h"

#include <algorithm>

namespace lm {

RateLimit::RateLimit(std::int64_t bytes_per_second, std::int64_t burst_bytes, Clock clock)
    : rate_(std::max<std::int64_t>(1, bytes_per_second)),
      burst_(std::max<std::int64_t>(0, burst_bytes)),
      clock_(std::move(clock)),
      tokens_(static_cast<double>(burst_)),
      filled_at_(clock_()) {}

std::chrono::nanoseconds RateLimit::Take(std::int64_t bytes) {
  std::lock_guard lock(mu_);
  const auto now = clock_();
  if (now > filled_at_) {
    const double elapsed = std::chrono::duration<double>(now - filled_at_).count();
    tokens_ = std::min(static_cast<double>(burst_), tokens_ + elapsed * static_cast<double>(rate_));
    filled_at_ = now;
  }
  tokens_ -= static_cast<double>(bytes);
  if (tokens_ >= 0) return std::chrono::nanoseconds(0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(-tokens_ / static_cast<double>(rate_) * 1e9));
}

}  // namespace lm
