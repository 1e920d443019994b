#pragma once
// lessonmesh-edge's settings: the school box's identity and trust anchor (school, catalog, token,
// the catalog's pinned public key), its cache (directory, quota, free-disk guard, renditions kept),
// its bandwidth schedule and its ports. A TOML file, then flags on top (common/config_keys.h),
// then checks that name the bad key.

#include <cstdint>
#include <string>
#include <vector>

#include "common/config_keys.h"
#include "common/lesson_link.h"
#include "common/status.h"

namespace lm::edge {

struct EdgeConfig {
  std::string school_id;                          // the catalog's id of this school
  std::string catalog_url = "http://127.0.0.1:8090";
  std::string ca_file;                            // PEM CAs to trust for an https catalog_url instead of
                                                  // the system's (a bureau's own CA)
  std::string token_file = "edge.token";          // holds this school's edge token (mode 0600)
  std::string catalog_key;                        // the catalog's Ed25519 public key (base64): the trust anchor
  std::string cache_dir = "edge-data";            // lessons/, state.db, resume/
  std::string quota = "200GB";                    // the most lesson bytes kept
  std::string min_free = "2GB";                   // free disk the edge never uses
  std::vector<std::string> renditions = {"480p", "240p", "audio"};  // what this school keeps
  std::vector<std::string> schedule;              // bandwidth rules (bandwidth_schedule.h)
  // Networks whose peers the schedule does not cap: the school LAN and the county network.
  std::vector<std::string> lan_networks = {"10.0.0.0/8",     "172.16.0.0/12", "192.168.0.0/16",
                                           "169.254.0.0/16", "fc00::/7",      "fe80::/10"};
  std::string listen_address = "0.0.0.0";         // classrooms on the school LAN
  std::uint16_t port = 8080;
  std::uint16_t torrent_port = 6881;              // TCP and uTP, IPv4 and IPv6; 0 = any
  int max_active_downloads = 2;                   // lessons downloading at once
  int poll_wait_seconds = 60;                     // long poll at the catalog
  int report_interval_seconds = 300;              // inventory and plays to the catalog
  int scrub_kbps = 2000;                          // background re-hash rate of held files; 0 = off
  int scrub_interval_seconds = 300;               // pause between two lessons' scrubs
  bool lsd = true;                                // find schools on the same network
  // false: fetch from the origin's web seed (HTTP) only: no tracker, no local discovery, no peer
  // connections either way, for networks that forbid BitTorrent (and to measure what sharing saves).
  bool peer_to_peer = true;
  int web_seed_wait_seconds = 15;
  std::string lan_group;  // the county or school network's name: its boxes meet on the LAN  // with peer_to_peer: nothing from peers this long, then the web seed too
  int http_threads = 4;
  std::string web_dir = DefaultWebDir();          // built pages: the classroom page at /, QR codes at /print
  // The community's name for "the edge of this school" in printed QR codes (http://<lan_name>/l/ID):
  // the same on every edge and the catalog; the school's LAN must resolve it to this box.
  std::string lan_name = kDefaultLanName;
};

// Declares every key (TOML and flag) with `config`'s field behind it.
void DeclareEdgeKeys(EdgeConfig* config, ConfigKeys* keys);
Status ValidateEdgeConfig(const EdgeConfig& config);

// "200GB", "1.5 TB", "512MB", "2048" (bytes): powers of 1000 for GB/MB/TB, of 1024 for GiB/MiB/TiB.
Result<std::int64_t> ParseByteSize(const std::string& text);

}  // namespace lm::edge
