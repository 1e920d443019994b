#pragma once
// Connections to one PostgreSQL database shared by a service's threads: a thread leases one for
// a call and hands it back when the lease ends. Connections open on demand up to a limit (then a
// caller waits for one to come back); a connection found broken is dropped, not handed out again.
// Thread-safe; leases must end before the pool does.

#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "common/postgres_db.h"
#include "common/status.h"

namespace lm::pg {

class ConnectionPool {
 public:
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)), conn_(std::move(other.conn_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PGconn* get() const { return conn_.get(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, ConnPtr conn) : pool_(pool), conn_(std::move(conn)) {}
    ConnectionPool* pool_;
    ConnPtr conn_;
  };

  ConnectionPool(std::string conninfo, int max_connections);
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, a new one, or (at the limit) the next one handed back.
  Result<Lease> Acquire();

 private:
  void Release(ConnPtr conn);

  const std::string conninfo_;
  const int max_connections_;
  std::mutex mu_;
  std::condition_variable returned_;
  std::vector<ConnPtr> idle_;
  int open_ = 0;  // leased and idle
};

}  // namespace lm::pg
