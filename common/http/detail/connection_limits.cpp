#include "common/http/detail/connection_limits.h"

namespace lm::http::detail {

ConnectionLimits::Ticket::Ticket(Ticket&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)), client_(std::move(other.client_)) {}

ConnectionLimits::Ticket::~Ticket() {
  if (limits_ != nullptr) limits_->Release(client_);
}

std::optional<ConnectionLimits::Ticket> ConnectionLimits::Admit(const std::string& client) {
  std::lock_guard lock(mu_);
  if (max_total_ > 0 && total_ >= max_total_) return std::nullopt;
  auto it = by_client_.find(client);
  const int held = it == by_client_.end() ? 0 : it->second;
  if (max_per_client_ > 0 && held >= max_per_client_) return std::nullopt;
  ++total_;
  ++by_client_[client];
  return Ticket(this, client);
}

int ConnectionLimits::open() const {
  std::lock_guard lock(mu_);
  return total_;
}

void ConnectionLimits::Release(const std::string& client) {
  std::lock_guard lock(mu_);
  --total_;
  auto it = by_client_.find(client);
  if (it != by_client_.end() && --it->second <= 0) by_client_.erase(it);
}

}  // namespace lm::http::detail
