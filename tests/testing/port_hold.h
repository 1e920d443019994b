#pragma once
// Keeps a loopback TCP port for one test while no server listens on it, so a server can be stopped
// and started again on the same port without another test taking it in between. The port is bound
// (SO_REUSEADDR) but never listened on: connecting to it is refused, as to a service that is down;
// the kernel gives it to no other bind to port 0 nor to an outgoing connection; a server that sets
// SO_REUSEADDR itself (ours do) may still listen on it. Owned by one test; not thread-safe.

#include <cstdint>

namespace lm::testing {

class PortHold {
 public:
  PortHold();  // binds 127.0.0.1:0; port() is 0 if that failed
  ~PortHold();
  PortHold(const PortHold&) = delete;
  PortHold& operator=(const PortHold&) = delete;
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace lm::testing
