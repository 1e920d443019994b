#pragma once
// lessonmesh-edge assembled: the state store, the BitTorrent transfer, the pack follower, the
// verifier, the cache keeper, the reporter and the HTTP server for classrooms. Start() brings
// them up in order and Stop() takes them down in reverse; between them the service keeps the
// lessons of its packs downloading in needed-by order, verified before they are offered, within
// the quota and the free-disk guard. Start/Stop from one thread; the rest is thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "edge/edge_config.h"

namespace lm::edge {

struct EdgeServiceHooks {
  // The wall clock for the bandwidth schedule (tests move it).
  std::function<std::chrono::system_clock::time_point()> clock;
};

class EdgeService {
 public:
  static Result<std::unique_ptr<EdgeService>> Start(const EdgeConfig& config, EdgeServiceHooks hooks = {});
  ~EdgeService();
  EdgeService(const EdgeService&) = delete;
  EdgeService& operator=(const EdgeService&) = delete;

  std::uint16_t http_port() const;
  std::uint16_t torrent_port() const;
  const std::string& admin_token() const;
  void Stop();

  struct Impl;

 private:
  explicit EdgeService(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads the edge token from `path`: its first line, trimmed. kInvalidArgument if empty.
Result<std::string> ReadTokenFile(const std::string& path);

}  // namespace lm::edge
