#pragma once
// LessonMesh in the network lab: the county's catalog and origin run as processes
// (lessonmesh-catalog, lessonmesh-origin) on the lab's "origin" host, and each edge host runs a
// school box (lessonmesh-edge) of its own school, so every byte between them crosses the lab's
// links. The test talks to each service from inside its host over loopback (InNamespace), so its
// own requests never load a link it measures. A distribution run publishes a pack to every edge
// and measures how long until each holds it whole and what crossed every link meanwhile, beside
// the Kumar–Ross lower bound for the same links. Used by the scenario tests (scenario_test.cpp)
// and by bench/netlab (full size). Needs root, as the Lab does; throws std::runtime_error naming
// what failed.

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "tests/netlab/lab.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"

namespace lm::netlab {

// The ports every host uses: each host is its own namespace, so they never clash.
inline constexpr std::uint16_t kCatalogPort = 8090;
inline constexpr std::uint16_t kOriginPort = 8070;
inline constexpr std::uint16_t kEdgePort = 8080;
inline constexpr std::uint16_t kTorrentPort = 6881;

struct EdgeOptions {
  std::vector<std::string> schedule;      // bandwidth rules ("daily 00:00-24:00 1000/250")
  std::vector<std::string> lan_networks;  // empty: the edge's own LANs (each non-WAN network's /24)
  bool peer_to_peer = true;               // false: the origin's web seed only
  bool lsd = true;
  bool lan_group = true;  // the edge's county network's name as its lan_group
  int max_active_downloads = 2;
  std::string min_free = "1GB";    // free disk the edge never uses
  int scrub_kbps = 2000;           // background re-hash of held files (the edge's default)
  int scrub_interval_seconds = 300;
  // > 0: the edge's cache is a tmpfs of this many MiB, mounted in a mount namespace of the edge's
  // own, so it goes with the edge (a school box with a small disk); the test reaches it through
  // /proc/<pid>/root (CacheDir). Such an edge cannot be restarted with its cache.
  int cache_tmpfs_mib = 0;
};

// A lesson of a pack, as the edges will hold it.
struct PackLesson {
  std::string id;
  std::string title;
  std::int64_t bytes = 0;  // what an edge keeps: lesson.json and every kept file it lists
  std::string needed_by;   // YYYY-MM-DD
  std::string pinned_until;  // YYYY-MM-DD, or "" when not pinned
};

class County {
 public:
  explicit County(Lab& lab, std::string bin_dir = LM_NETLAB_BIN_DIR);  // where lessonmesh-* are
  ~County();  // stops every edge, the origin and the catalog
  County(const County&) = delete;
  County& operator=(const County&) = delete;

  // Issues the tokens, starts the catalog and the origin on "origin" and gives every edge host a
  // school ("school-edge1" ...).
  void Start();
  // The edge hosts: every host whose name starts with "edge", in topology order (a topology may
  // add other hosts, such as a hostile peer).
  const std::vector<std::string>& Edges() const { return edges_; }
  std::string OriginUrl() const;  // as the edges reach it

  // Uploads a courseware document of `bytes` (its content from `seed`) as a teacher would and
  // waits until the origin has bundled it and the catalog registered it.
  PackLesson UploadDocument(std::int64_t bytes, int seed, const std::string& title);
  // Publishes a pack of `lessons` (with their needed_by dates) to the schools of `hosts` (all
  // edges if empty); returns the pack's id.
  int Publish(const std::vector<PackLesson>& lessons, const std::string& title,
              const std::vector<std::string>& hosts = {});
  // Publishes a new version of pack `pack_id` with `lessons`, to the same schools as Publish.
  void PublishVersion(int pack_id, const std::vector<PackLesson>& lessons, const std::string& title,
                      const std::vector<std::string>& hosts = {});
  // GET on the catalog's API as its admin, from the origin host: the JSON body, null unless 200.
  nlohmann::json CatalogGet(const std::string& target);

  // Starts (or restarts) the school box on `host`; returns once it answers over HTTP.
  void StartEdge(const std::string& host, const EdgeOptions& options = {});
  void KillEdge(const std::string& host);  // SIGKILL, as a power cut would; waits until it is gone
  void StopEdge(const std::string& host);  // SIGTERM (saves resume data)
  bool EdgeRunning(const std::string& host) const;
  // "" while the catalog and the origin run, else which ended and how ("origin exited 141 (signal 13)").
  std::string ServicesEnded() const;
  // GET on the edge's HTTP port from inside its host: the JSON body, null unless 200.
  nlohmann::json EdgeGet(const std::string& host, const std::string& target) const;
  // POST of a JSON body to the edge's HTTP port from inside its host (a classroom's play event).
  testing::HttpResult EdgePost(const std::string& host, const std::string& target, const nlohmann::json& body) const;
  // The lessons the edge offers for playing (verified against lesson.json).
  std::set<std::string> Playable(const std::string& host) const;
  // Each kept file of `lessons` in the edge's cache against the XXH3 in the origin's lesson.json
  // (and lesson.json byte for byte): "" when all match, else the first difference.
  std::string CheckFiles(const std::string& host, const std::vector<PackLesson>& lessons) const;
  // The same for what the edge serves: every kept file of `lessons`, fetched from its HTTP port
  // (/lessons/ID/FILE, as a classroom's player does), against the XXH3 in the origin's lesson.json.
  std::string CheckServed(const std::string& host, const std::vector<PackLesson>& lessons) const;
  // The edge's cache directory as this process reaches it (through /proc/<pid>/root on a tmpfs).
  std::filesystem::path CacheDir(const std::string& host) const;
  // The origin's bundle of a lesson (lesson.json, lesson.torrent and the files).
  std::filesystem::path BundleDir(const std::string& lesson_id) const;
  std::string EdgeLogTail(const std::string& host, std::size_t bytes = 3000) const;
  // Everything the edge logged (stderr), over all of its starts.
  std::string EdgeLog(const std::string& host) const;
  // A counter of the edge's /metrics ("lessonmesh_edge_hash_failures_total"), -1 if absent.
  long long EdgeMetric(const std::string& host, const std::string& name) const;

  Lab& lab() { return lab_; }

 private:
  struct Edge;
  testing::HttpResult Catalog(const std::string& method, const std::string& target, const nlohmann::json& body);
  testing::HttpResult OriginRequest(const std::string& method, const std::string& target);
  std::string CreateToken(const std::string& role, const std::string& school);

  Lab& lab_;
  std::string bin_dir_;
  testing::TempDir dir_;
  std::vector<std::string> edges_;
  std::string admin_token_, origin_token_, teacher_token_, catalog_key_;
  std::unique_ptr<testing::ChildProcess> catalog_, origin_;
  std::map<std::string, std::unique_ptr<Edge>> running_;
  std::map<std::string, std::string> edge_tokens_;
};

// What a distribution run measured. Byte counts are Ethernet frames on a host's end of its link
// (/proc/net/dev in its namespace), both ways, over the run.
struct DistributionFigures {
  int lessons = 0;
  std::int64_t pack_bytes = 0;          // F: the bytes one edge keeps
  double seconds = -1;                  // publish until every edge offers every lesson; -1: deadline passed
  std::map<std::string, double> edge_seconds;  // per edge, when it offered the last one (-1: never)
  Lab::Counters origin_wan;
  std::map<std::string, Lab::Counters> edge_wan, edge_lan;
  // BitTorrent and HTTP connections each edge held, averaged over samples every 5 s (`ss` in its
  // host): to the origin's seeder, to its web seed (HTTP), to county neighbours over the LAN, to
  // county neighbours over the WAN (their tracker address) and to the other county's edges.
  struct Connections {
    double origin_peer = 0, web_seed = 0, lan = 0, wan_same_county = 0, wan_other_county = 0;
    double ipv6 = 0;  // of the connections with other schools (LAN and WAN), those over IPv6
  };
  std::map<std::string, Connections> connections;
  std::map<std::string, long long> hash_failures, peers_banned;  // each edge's /metrics at the end
  double origin_egress_ratio() const { return pack_bytes > 0 ? double(origin_wan.tx_bytes) / double(pack_bytes) : 0; }
};

// The Kumar–Ross lower bound on the time to give every edge a file of F bits:
//   T ≥ max(F/u_s, F/d_min, N·F/(u_s + Σu_i))
// with the WAN links' rates (u_s the origin's uplink, d_i, u_i the edges'). Counting the county
// LANs (edges of one county share at LAN speed), every county must still receive each bit over
// its WAN links once:
//   T ≥ max(F/u_s, C·F/(u_s + Σu_i), max_c F/min(Σ_{i∈c} d_i, u_s + Σ_{i∉c} u_i))
// for C counties. Rates are the links' (Ethernet frames); TCP goodput is 95.6 % of them.
struct DistributionBound {
  double origin_s = 0, edge_down_s = 0, swarm_s = 0, wan_s = 0;  // the three terms and their max
  double counties_s = 0, county_in_s = 0, lan_s = 0;             // with the LANs counted
};
DistributionBound KumarRoss(const Topology& topology, double pack_bytes, const std::string& origin = "origin");

// Publishes `lessons` to every edge (already running) and polls each edge every 250 ms until all
// offer every lesson or `deadline_seconds` pass. `during` (optional) runs at each poll with the
// seconds since publishing and the set of edges complete so far (a fault scenario acts there).
// `not_awaited` edges get the pack too but are not waited for (one whose disk cannot hold it).
DistributionFigures Distribute(County& county, const std::vector<PackLesson>& lessons, double deadline_seconds,
                               const std::function<void(double, const std::set<std::string>&)>& during = nullptr,
                               const std::set<std::string>& not_awaited = {});

// A table of the figures beside the bound and the targets (1.25× the bound, origin egress at most
// 1.5× the pack), for a test's output and bench/netlab.
std::string Describe(const std::string& label, const DistributionFigures& figures, const DistributionBound& bound);

// A courseware pack of `count` documents of `total_bytes` together (sizes vary ±30 % around the
// mean, so pieces of several lessons are in flight at once), uploaded through the origin; dated
// `needed_by_days` days from today.
std::vector<PackLesson> UploadPack(County& county, int count, std::int64_t total_bytes, int seed = 1,
                                   int needed_by_days = 7);

// Puts `host` behind an IPv4 NAT (scenario 5), as rural broadband is: a new inbound TCP
// connection on its WAN link is dropped; its own connections out and their replies pass, its
// LANs stay open, IPv6 is not touched. (Edges run no uTP, so TCP is all there is to stop.)
void PutBehindIpv4Nat(Lab& lab, const std::string& host);
// Packets of new inbound connections that host's NAT dropped so far.
long long RefusedByIpv4Nat(Lab& lab, const std::string& host);

// YYYY-MM-DD `days` from today (local time).
std::string DaysFromToday(int days);

}  // namespace lm::netlab
