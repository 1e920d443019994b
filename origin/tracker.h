#pragma once
// The origin's in-memory BitTorrent HTTP tracker, so schools find each other (and the origin's
// seeder) for the lesson bundles the origin publishes: GET /announce (BEP 3, compact BEP 23,
// peers6 BEP 7) and GET /scrape (BEP 48), with bencoded replies. Only torrents registered with
// AddTorrent are tracked; anything else gets a bencoded "failure reason" with HTTP 200, as
// BitTorrent clients expect. Knows no sockets: the origin's router passes requests to Handle().
// A peer is identified by the address of the connection and its announced port; the `ip`
// parameter is honoured only from loopback (the origin's own seeder, libtorrent's announce_ip),
// and loopback peers are never handed to remote peers. An edge may name its LAN group
// (`lan_group=` in its tracker URL, e.g. its county network): peers of the same group are left out
// of its replies, as they find each other on the LAN (local service discovery). Nothing is persisted: after a restart
// clients re-announce within one interval. Thread-safe; one instance per origin.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>

#include "common/http/http_types.h"
#include "common/status.h"

namespace lm::origin {

struct TrackerOptions {
  std::int64_t interval_seconds = 120;       // "interval": how often clients re-announce
  std::int64_t min_interval_seconds = 60;    // "min interval": no sooner than this
  std::int64_t peer_expiry_seconds = 300;    // a peer not heard from for this long is dropped
  int max_peers_returned = 50;               // cap on peers per reply; numwant may ask for fewer
  std::size_t max_peers_per_torrent = 5000;  // beyond this the least recently seen is evicted
  std::function<std::int64_t()> now;         // monotonic seconds; empty = std::chrono::steady_clock
};

class Tracker {
 public:
  explicit Tracker(TrackerOptions options = {});
  ~Tracker();
  Tracker(const Tracker&) = delete;
  Tracker& operator=(const Tracker&) = delete;

  // "/announce" and "/scrape".
  bool Owns(const std::string& path) const;
  // Bencoded reply, content type text/plain; 405 for methods other than GET.
  http::Reply Handle(const http::Request& request);

  // `info_hash` is 20 raw bytes: a v1 info hash, or a v2 (SHA-256) one truncated to 20 bytes as
  // clients announce it. Register both for a hybrid torrent. Adding a known hash keeps its swarm.
  Status AddTorrent(std::string_view info_hash);
  // Forgets the torrent and its swarm; unknown hashes are ignored.
  void RemoveTorrent(std::string_view info_hash);
  // Drops expired peers of every torrent (announce and scrape also do it for theirs). Call
  // periodically, e.g. every interval.
  void Sweep();

 private:
  struct Swarm;

  http::Reply Announce(const http::Request& request);
  http::Reply Scrape(const http::Request& request);
  std::int64_t Now() const;

  const TrackerOptions options_;
  std::mutex mutex_;
  std::map<std::string, std::unique_ptr<Swarm>, std::less<>> swarms_;  // by 20-byte info hash; guarded
  std::mt19937_64 random_;                                             // guarded
};

}  // namespace lm::origin
