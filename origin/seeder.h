#pragma once
// Seeds every finished bundle with libtorrent: one session, TCP and uTP, local service discovery
// for edges on the same LAN, DHT off unless asked. Resume data is kept beside the bundles so a
// restart does not hash every file again; a bundle the transcoder has just written (and hashed
// while writing) is added in seed mode. Thread-safe.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace lm::origin {

// How the seeder hands out pieces (libtorrent's super-seeding). kOn: a school is offered a piece
// or two the swarm lacks, the next once it holds them. kStrict: the next only once another peer
// holds one of them too, that is once the school has passed it on; a school that reaches no other
// peer waits for the web seed.
enum class SuperSeeding { kOff, kOn, kStrict };

// "off", "on" or "strict"; nullopt for anything else. Inline: the configuration reads it without
// the seeder (the TOML fuzzer compiles origin_config.cpp alone).
inline std::optional<SuperSeeding> ParseSuperSeeding(const std::string& text) {
  if (text == "off") return SuperSeeding::kOff;
  if (text == "on") return SuperSeeding::kOn;
  if (text == "strict") return SuperSeeding::kStrict;
  return std::nullopt;
}

struct SeederOptions {
  std::string listen_interfaces = "0.0.0.0:6881";  // libtorrent syntax, "IP:PORT,..."
  std::filesystem::path resume_dir;                // one <info hash>.resume per torrent
  int upload_rate_limit_bytes = 0;                 // 0 = unlimited
  int max_connections = 200;
  SuperSeeding super_seeding = SuperSeeding::kOff;
  bool dht = false;
  bool lsd = true;
};

struct SeededTorrent {
  std::string lesson_id;
  std::string info_hash_v1;  // hex
  std::string state;         // "seeding", "checking", "error: ..."
  std::int64_t uploaded_bytes = 0;
  int peers = 0;
  bool from_resume_data = false;  // added from saved resume data, without reading the files
};

// libtorrent's listen_interfaces for an origin listening on `address` at `port`. "::" means every
// address of both families, as it does for the HTTP listener (libtorrent's IPv6 sockets are
// IPv6-only, so it gets "0.0.0.0:PORT,[::]:PORT"); any other address is that address alone.
std::string ListenInterfacesFor(const std::string& address, std::uint16_t port);

class Seeder {
 public:
  static Result<std::unique_ptr<Seeder>> Start(const SeederOptions& options);
  ~Seeder();  // saves resume data (a few seconds at most), then closes the session
  Seeder(const Seeder&) = delete;
  Seeder& operator=(const Seeder&) = delete;

  // Seeds the bundle in `bundle_dir` with its torrent `torrent_file` (files under the torrent's
  // name, the lesson id, in the parent directory). Adding a torrent already seeded is a no-op.
  Status Add(const std::filesystem::path& bundle_dir, const std::string& torrent_file = "lesson.torrent");
  // The TCP port peers connect to.
  std::uint16_t listen_port() const;
  std::vector<SeededTorrent> Torrents() const;

 private:
  struct Impl;
  explicit Seeder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::origin
