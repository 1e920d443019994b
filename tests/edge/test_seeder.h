#pragma once
// A BitTorrent peer for the edge's tests: a libtorrent session of its own that seeds a lesson from
// a copy of its bundle (checked first), bound to one address (127.0.0.2 for a school LAN, ::1 for
// an IPv6-only neighbour), with no tracker, web seed, DHT or discovery, so it reaches the edge only
// when told to. Its files can be damaged on disk under it, as a broken or hostile peer would serve.
// What it uploaded, and to which addresses, tells a test where the edge's bytes came from.

#include <libtorrent/session.hpp>
#include <libtorrent/torrent_handle.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>

namespace lm::testing {

class TestSeeder {
 public:
  // Seeds `torrent` from `save_path` (which holds <lesson id>/...), listening and connecting from
  // `address` only (IPv4 or IPv6).
  TestSeeder(const std::filesystem::path& torrent, const std::filesystem::path& save_path,
             const std::string& address = "127.0.0.1");
  bool Seeding() const;
  // Connects to a peer (the edge) at `address`:`port`.
  void ConnectTo(std::uint16_t port, const std::string& address = "127.0.0.1");
  // Payload bytes uploaded since the start.
  std::int64_t UploadedBytes() const;
  // Every peer it has sent a block to since the start, "[::1]:6881" or "127.0.0.1:6881" (from its
  // upload alerts: the connection itself ends as soon as the download is done).
  std::set<std::string> UploadedTo();

 private:
  std::unique_ptr<lt::session> session_;
  lt::torrent_handle handle_;
  std::set<std::string> uploaded_to_;
};

}  // namespace lm::testing
