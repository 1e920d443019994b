#pragma once
// Slows the guessing of tokens: each client address has a bucket of failed authentications that
// refills at a steady rate (N a minute, and at most N at once). Once an address has spent its
// bucket, every request from it that carries credentials is refused with 429 and Retry-After,
// good token or not, before its token is looked at, until the bucket has refilled by one: a guess
// that would have been right must not get through either. Requests without credentials and
// addresses that do not fail are never touched. At most `max_addresses` addresses are kept (full
// buckets are forgotten first). Used by the catalog, the origin and the edge; thread-safe.

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/http/http_types.h"

namespace lm::http {

struct FailedAuthLimits {
  int failures_per_minute = 30;       // the refill rate, and how many may fail in a burst
  std::size_t max_addresses = 10000;  // addresses remembered at most
  std::function<std::chrono::steady_clock::time_point()> clock = nullptr;  // null: steady_clock
};

class FailedAuthLimiter {
 public:
  explicit FailedAuthLimiter(FailedAuthLimits limits = {});

  // A 429 reply when `request` carries credentials (an Authorization header) and its address has
  // spent its bucket; nullopt when it may go on.
  std::optional<Reply> Refuse(const Request& request);
  // Counts a failed authentication of `request` (one that carried credentials).
  void Failed(const Request& request);

  // The same by address: seconds until `address` may try again (0: now), and a failure.
  int RetryAfterSeconds(std::string_view address);
  void Failed(std::string_view address);
  std::size_t addresses() const;

  // The address part of Request::peer: "10.1.2.3:5555" -> "10.1.2.3", "::1:5555" -> "::1".
  static std::string AddressOf(std::string_view peer);

 private:
  struct Bucket {
    double left = 0;  // failures still allowed
    std::chrono::steady_clock::time_point updated;       // `left` as of then
    std::chrono::steady_clock::time_point last_failure;  // who is forgotten first when full
  };
  std::chrono::steady_clock::time_point Now() const;
  double PerSecond() const;
  void Refill(Bucket& b, std::chrono::steady_clock::time_point now) const;
  void MakeRoom(std::chrono::steady_clock::time_point now);  // with mu_ held

  const FailedAuthLimits limits_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace lm::http
