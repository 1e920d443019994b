#pragma once
// Counts a server's open connections, in all and per client address, and admits a new one only
// while both are under their limits, so that one client (a slowloris opening many connections and
// sending nothing, or a header a byte at a time) cannot take every place. Admit() hands back a
// ticket that gives the place back when it is destroyed. Private to lm_http; thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace lm::http::detail {

class ConnectionLimits {
 public:
  // A place taken; move-only, released on destruction. Must not outlive its ConnectionLimits.
  class Ticket {
   public:
    Ticket(Ticket&& other) noexcept;
    Ticket& operator=(Ticket&&) = delete;
    ~Ticket();

   private:
    friend class ConnectionLimits;
    Ticket(ConnectionLimits* limits, std::string client) : limits_(limits), client_(std::move(client)) {}
    ConnectionLimits* limits_;
    std::string client_;
  };

  // A limit of 0 or less means none.
  ConnectionLimits(int max_total, int max_per_client) : max_total_(max_total), max_per_client_(max_per_client) {}

  // nullopt when the server or this client already holds as many connections as allowed.
  std::optional<Ticket> Admit(const std::string& client);

  int open() const;

 private:
  void Release(const std::string& client);

  const int max_total_;
  const int max_per_client_;
  mutable std::mutex mu_;
  int total_ = 0;                      // guarded by mu_
  std::map<std::string, int> by_client_;  // guarded by mu_; no zero entries
};

}  // namespace lm::http::detail
