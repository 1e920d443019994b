#include "common/postgres_pool.h"

#include <algorithm>

namespace lm::pg {

ConnectionPool::ConnectionPool(std::string conninfo, int max_connections)
    : conninfo_(std::move(conninfo)), max_connections_(std::max(1, max_connections)) {}

ConnectionPool::Lease::~Lease() {
  if (pool_) pool_->Release(std::move(conn_));
}

Result<ConnectionPool::Lease> ConnectionPool::Acquire() {
  {
    std::unique_lock lock(mu_);
    returned_.wait(lock, [&] { return !idle_.empty() || open_ < max_connections_; });
    if (!idle_.empty()) {
      ConnPtr conn = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(conn));
    }
    ++open_;  // a slot for the connection opened below, outside the lock
  }
  Result<ConnPtr> conn = Connect(conninfo_);
  if (!conn.ok()) {
    std::lock_guard lock(mu_);
    --open_;
    returned_.notify_one();
    return conn.status();
  }
  return Lease(this, std::move(*conn));
}

void ConnectionPool::Release(ConnPtr conn) {
  std::lock_guard lock(mu_);
  // A connection left inside a transaction or broken is closed rather than handed out again.
  if (conn && PQstatus(conn.get()) == CONNECTION_OK && PQtransactionStatus(conn.get()) == PQTRANS_IDLE) {
    idle_.push_back(std::move(conn));
  } else {
    --open_;
  }
  returned_.notify_one();
}

}  // namespace lm::pg
