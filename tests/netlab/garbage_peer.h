#pragma once
// A hostile BitTorrent peer for the lab's fault scenarios: a libtorrent session of its own, made in
// one lab host's namespace (its sockets live there, so its traffic crosses that host's link), that
// seeds copies of lesson bundles, announces them to the torrents' tracker (the origin's) like any
// school, and claims every piece, but whose copies are damaged on disk once it seeds: every byte it
// sends is wrong. The edges must find the bad pieces by their hashes and ban it. Owned by one test
// thread; not thread-safe. Throws std::runtime_error naming what failed.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/netlab/lab.h"

namespace lm::netlab {

class GarbagePeer {
 public:
  // Copies each bundle directory (<lessons>/<lesson id>, with its lesson.torrent) under `work_dir`
  // and seeds it from `host`, listening on `port` there. Returns once every torrent seeds and its
  // files have been damaged (each byte XORed with 0x5a, sizes unchanged), or throws after
  // `timeout_seconds`.
  GarbagePeer(const Lab& lab, const std::string& host, const std::vector<std::filesystem::path>& bundles,
              const std::filesystem::path& work_dir, std::uint16_t port, double timeout_seconds = 60);
  ~GarbagePeer();
  GarbagePeer(const GarbagePeer&) = delete;
  GarbagePeer& operator=(const GarbagePeer&) = delete;

  // Payload bytes sent (all of them garbage) since it started.
  std::int64_t UploadedBytes() const;
  // Peers connected to it now, over every torrent.
  int ConnectedPeers() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::netlab
