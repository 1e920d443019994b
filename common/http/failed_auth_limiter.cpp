#include "common/http/failed_auth_limiter.h"

#include <algorithm>
#include <cmath>

namespace lm::http {

FailedAuthLimiter::FailedAuthLimiter(FailedAuthLimits limits) : limits_(std::move(limits)) {}

std::chrono::steady_clock::time_point FailedAuthLimiter::Now() const {
  return limits_.clock ? limits_.clock() : std::chrono::steady_clock::now();
}

double FailedAuthLimiter::PerSecond() const { return std::max(1, limits_.failures_per_minute) / 60.0; }

void FailedAuthLimiter::Refill(Bucket& b, std::chrono::steady_clock::time_point now) const {
  const double elapsed = std::chrono::duration<double>(now - b.updated).count();
  if (elapsed > 0) b.left = std::min<double>(std::max(1, limits_.failures_per_minute), b.left + elapsed * PerSecond());
  b.updated = std::max(b.updated, now);
}

std::string FailedAuthLimiter::AddressOf(std::string_view peer) {
  const std::size_t colon = peer.rfind(':');
  return std::string(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

int FailedAuthLimiter::RetryAfterSeconds(std::string_view address) {
  const auto now = Now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(address));
  if (it == buckets_.end()) return 0;
  Refill(it->second, now);
  if (it->second.left >= 1) return 0;
  return std::max(1, static_cast<int>(std::ceil((1 - it->second.left) / PerSecond())));
}

void FailedAuthLimiter::Failed(std::string_view address) {
  const auto now = Now();
  std::lock_guard lock(mu_);
  auto it = buckets_.find(std::string(address));
  if (it == buckets_.end()) {
    MakeRoom(now);
    it = buckets_.emplace(std::string(address), Bucket{double(std::max(1, limits_.failures_per_minute)), now, now}).first;
  }
  Refill(it->second, now);
  it->second.left = std::max(0.0, it->second.left - 1);
  it->second.last_failure = now;
}

void FailedAuthLimiter::MakeRoom(std::chrono::steady_clock::time_point now) {
  if (buckets_.size() < std::max<std::size_t>(1, limits_.max_addresses)) return;
  // A full bucket holds nothing worth keeping.
  const double full = std::max(1, limits_.failures_per_minute);
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    it = it->second.left >= full ? buckets_.erase(it) : std::next(it);
  }
  if (buckets_.size() < std::max<std::size_t>(1, limits_.max_addresses)) return;
  // Every address is failing: forget the one that failed longest ago.
  auto oldest = std::min_element(buckets_.begin(), buckets_.end(),
                                 [](const auto& a, const auto& b) { return a.second.last_failure < b.second.last_failure; });
  buckets_.erase(oldest);
}

std::size_t FailedAuthLimiter::addresses() const {
  std::lock_guard lock(mu_);
  return buckets_.size();
}

std::optional<Reply> FailedAuthLimiter::Refuse(const Request& request) {
  if (request.Header("authorization").empty()) return std::nullopt;
  const int wait = RetryAfterSeconds(AddressOf(request.peer));
  if (wait == 0) return std::nullopt;
  Reply r = ErrorReply(429, "too_many_failures",
                       "too many failed authentications from this address; try again in " + std::to_string(wait) + " s");
  r.headers.push_back({"Retry-After", std::to_string(wait)});
  return r;
}

void FailedAuthLimiter::Failed(const Request& request) {
  if (!request.Header("authorization").empty()) Failed(AddressOf(request.peer));
}

}  // namespace lm::http
