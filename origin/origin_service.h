#pragma once
// The whole origin in one object: tus uploads, the transcode queue and its workers, catalog
// registration, bundle files over HTTP (direct playback and the torrents' web seed), the tracker
// and the libtorrent seeder, behind one HTTP server. lessonmesh-origin's main() and the
// integration tests both run it.
//
// Routes: origin_routes.h.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"
#include "origin/origin_config.h"

namespace lm::origin {

struct OriginServiceHooks {
  // The clock of the token cache and of the failed-authentication limiter (tests move it).
  std::function<std::chrono::steady_clock::time_point()> clock = nullptr;
};

class OriginService {
 public:
  // Opens the data directory (requeueing jobs a crash left running), seeds every bundle already
  // there, starts the workers and the HTTP server.
  static Result<std::unique_ptr<OriginService>> Start(const OriginConfig& config, OriginServiceHooks hooks = {});
  ~OriginService();  // Stop()
  OriginService(const OriginService&) = delete;
  OriginService& operator=(const OriginService&) = delete;

  std::uint16_t http_port() const;
  // The HTTPS port; 0 without a certificate configured.
  std::uint16_t https_port() const;
  // Loads the TLS certificate and key again (SIGHUP): new connections get them, those up keep
  // theirs; on failure the old ones stay (logged).
  Status ReloadTls();
  std::uint16_t torrent_port() const;
  const std::string& public_url() const;

  // Stops taking requests, cancels transcodes in flight (they run again at the next start),
  // saves torrent resume data.
  void Stop();

  struct Parts;  // opaque: the .cpp wires them

 private:
  explicit OriginService(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace lm::origin
