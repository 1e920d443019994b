#pragma once
// A rate shared by many senders: a token bucket that fills at `bytes_per_second` up to `burst_bytes`.
// A sender that has just sent some bytes takes them from the bucket and is told how long to wait
// before it sends more; the bucket may go into debt, which the next senders wait off in turn, so
// over any stretch longer than the burst the senders together send at most the rate. The origin's
// web seed replies share one, at its upload_rate_kbps. Thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>

namespace lm {

class RateLimit {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  RateLimit(std::int64_t bytes_per_second, std::int64_t burst_bytes,
            Clock clock = [] { return std::chrono::steady_clock::now(); });

  // Takes `bytes` just sent; returns how long the sender waits before sending again (zero while
  // the bucket holds tokens).
  std::chrono::nanoseconds Take(std::int64_t bytes);

  std::int64_t bytes_per_second() const { return rate_; }

 private:
  const std::int64_t rate_;
  const std::int64_t burst_;
  const Clock clock_;
  std::mutex mu_;
  double tokens_;  // bytes; negative: debt
  std::chrono::steady_clock::time_point filled_at_;
};

}  // namespace lm
