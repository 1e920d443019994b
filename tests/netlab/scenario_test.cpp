// LessonMesh over the network lab's county (tests/netlab/README.md, "Scenarios"): the catalog and
// origin as processes on the origin host (8 Mbit/s), a school box (lessonmesh-edge) on each of six
// edge hosts (4/1 Mbit/s, 80 ms, 0.5 % loss; two counties on 100 Mbit/s LANs). At CI size:
//  1. Distribution: a 21 MB pack of eight courseware documents reaches all six edges; every file
//     matches its XXH3; the time beside the Kumar–Ross bound and the origin's egress beside the
//     pack size are printed; the same run with peer_to_peer = false (the web seed alone).
//  2. Class hours: a schedule rule in force caps an edge's WAN download (measured on its link)
//     while a county neighbour delivers over the LAN at far more than the cap.
//  3. Needed-by dates: under a tight cap, lessons complete in the order of their dates.
//  4. Faults (the scenario 2): five random edges killed with SIGKILL over the distribution
//     and restarted, another's WAN down for 60 s, bytes of a held file damaged in one edge's cache;
//     then an edge whose cache is a small filesystem that fills (its pinned lesson kept, disk_full
//     reported); and a peer that sends garbage for every piece it claims, banned. Every other
//     edge ends complete and every file any edge serves matches its XXH3.
//  5. Behind NATs: no edge accepts an IPv4 connection from the WAN; every edge still completes.
//     Then with IPv6 routed to every school as well: schools share over the WAN again, over IPv6.
//  6. A week offline: an edge whose WAN is down while two new versions of its pack are published
//     catches up by itself when the link returns; its plays of that time reach the catalog once.
// Needs root (the lab); skips otherwise. bench/netlab runs scenario 1 at full size.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "tests/netlab/county.h"
#include "tests/netlab/garbage_peer.h"
#include "tests/netlab/lab.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::netlab {
namespace {

using json = nlohmann::json;
using testing::WaitFor;

constexpr std::int64_t kCiPackBytes = 21'000'000;  // ≥ 20 MB (20.0 MiB)
constexpr int kCiLessons = 8;

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::int64_t Bytes(const std::vector<PackLesson>& lessons) {
  return std::accumulate(lessons.begin(), lessons.end(), std::int64_t{0},
                         [](std::int64_t sum, const PackLesson& l) { return sum + l.bytes; });
}

class NetlabScenario : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = Lab::Unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
    lab_ = std::make_unique<Lab>(LabTopology());
    county_ = std::make_unique<County>(*lab_);
    county_->Start();
  }
  virtual Topology LabTopology() { return DefaultTopology(); }

  void TearDown() override {
    county_.reset();  // the programs first, then their namespaces
    lab_.reset();
  }

  void StartEdges(const EdgeOptions& options = {}) {
    for (const std::string& e : county_->Edges()) county_->StartEdge(e, options);
  }

  // What every edge still lacks, for a failure message.
  std::string Pending() {
    std::string out = county_->ServicesEnded();
    if (!out.empty()) out += "\n";
    for (const std::string& e : county_->Edges()) {
      out += e + (county_->EdgeRunning(e) ? "" : " (not running)") + ": " +
             county_->EdgeGet(e, "/v1/downloads").dump().substr(0, 1500) + "\n";
      // The edge's own account of a lesson that receives nothing (edge/transfer.cpp): the last two.
      const std::string log = county_->EdgeLog(e);
      std::vector<std::string> stalls;
      for (size_t at = log.find("lesson_stalled"); at != std::string::npos; at = log.find("lesson_stalled", at + 1)) {
        stalls.push_back(log.substr(at, log.find('\n', at) - at));
      }
      for (size_t i = stalls.size() > 2 ? stalls.size() - 2 : 0; i < stalls.size(); ++i) {
        out += "  " + stalls[i].substr(0, 3000) + "\n";
      }
    }
    return out;
  }

  void ExpectFilesMatch(const std::vector<PackLesson>& pack, const std::vector<std::string>& edges) {
    for (const std::string& e : edges) EXPECT_EQ(county_->CheckFiles(e, pack), "") << e;
  }

  // Every kept file of `pack` on disk and as each edge serves it over HTTP matches its XXH3.
  void ExpectFilesAndServedMatch(const std::vector<PackLesson>& pack, const std::vector<std::string>& edges) {
    for (const std::string& e : edges) {
      EXPECT_EQ(county_->CheckFiles(e, pack), "") << e;
      EXPECT_EQ(county_->CheckServed(e, pack), "") << e;
    }
  }

  // Scenario 5's distribution: the CI pack to every edge, each behind an IPv4 NAT; the figures
  // printed under `label` beside `bound` (set here). The caller asserts f.seconds >= 0.
  DistributionFigures DistributeBehindNats(const std::string& label, DistributionBound& bound, double& F) {
    const std::vector<PackLesson> pack = UploadPack(*county_, kCiLessons, kCiPackBytes);
    for (const std::string& e : county_->Edges()) PutBehindIpv4Nat(*lab_, e);
    StartEdges();
    F = static_cast<double>(Bytes(pack));
    bound = KumarRoss(lab_->topology(), F);
    const DistributionFigures f = Distribute(*county_, pack, std::max(360.0, 6 * bound.wan_s));
    std::printf("%s", Describe(label, f, bound).c_str());
    if (f.seconds >= 0) ExpectFilesMatch(pack, county_->Edges());
    return f;
  }
  long long RefusedByNats() {
    long long refused = 0;
    for (const std::string& e : county_->Edges()) refused += RefusedByIpv4Nat(*lab_, e);
    return refused;
  }

  // BitTorrent connections between schools over the WAN, summed over the edges (each the mean
  // of its samples): both ends count one.
  double SchoolsOverTheWan(const DistributionFigures& f) {
    double sum = 0;
    for (const std::string& e : county_->Edges())
      sum += f.connections.at(e).wan_other_county + f.connections.at(e).wan_same_county;
    return sum;
  }

  std::unique_ptr<Lab> lab_;
  std::unique_ptr<County> county_;
};

// Scenario 1, peer-to-peer as shipped: tracker, origin seeder and web seed, and the county
// neighbours found by local service discovery.
TEST_F(NetlabScenario, APackReachesEverySchoolAndEveryFileMatches) {
  const std::vector<PackLesson> pack = UploadPack(*county_, kCiLessons, kCiPackBytes);
  StartEdges();
  const DistributionBound bound = KumarRoss(lab_->topology(), static_cast<double>(Bytes(pack)));
  const DistributionFigures f = Distribute(*county_, pack, std::max(240.0, 4 * bound.wan_s));
  std::printf("%s", Describe("distribution, peer-to-peer", f, bound).c_str());
  ASSERT_GE(f.seconds, 0) << Pending();
  ExpectFilesMatch(pack, county_->Edges());
  // Within the target of 1.25 x the WAN bound (measured 2026-11-30: 0.87-0.89 x since a county's
  // boxes each take a date's lessons in their own order; 1.26-1.34 x before).
  EXPECT_LE(f.seconds, 1.25 * bound.wan_s);
  // The origin's seeder feeds the swarm and the web seeds stay unused while peers supply every
  // lesson (measured 2026-11-30: 2.2-2.7 x F; 3.96-4.25 x F while a county's boxes all fetched the
  // same lessons at once; 6.3-6.9 x F, the pack once per school, with the web seeds beside the
  // swarm from the start).
  EXPECT_LT(f.origin_egress_ratio(), 3.5);
  // A lesson that no peer sends anything for 15 s (the origin's seeder choking it a while) takes
  // its web seeds: 0.0-0.8 connections a box measured; 1.8-1.9 when they ran beside the swarm.
  for (const std::string& e : county_->Edges()) {
    EXPECT_LT(f.connections.at(e).web_seed, 1.0) << e << " kept web seed connections open beside its peers";
  }
  RecordProperty("seconds", std::to_string(f.seconds));
  RecordProperty("origin_egress_ratio", std::to_string(f.origin_egress_ratio()));
}

// Scenario 1 again with peer_to_peer = false: every edge fetches the whole pack from the origin's
// web seed, the baseline that sharing is measured against.
TEST_F(NetlabScenario, TheSamePackFromTheWebSeedAloneForComparison) {
  const std::vector<PackLesson> pack = UploadPack(*county_, kCiLessons, kCiPackBytes);
  EdgeOptions web_seed_only;
  web_seed_only.peer_to_peer = false;
  StartEdges(web_seed_only);
  const double F = static_cast<double>(Bytes(pack));
  const DistributionBound bound = KumarRoss(lab_->topology(), F);
  const DistributionFigures f = Distribute(*county_, pack, std::max(360.0, 6 * bound.wan_s));
  std::printf("%s", Describe("distribution, web seed only (peer_to_peer = false)", f, bound).c_str());
  ASSERT_GE(f.seconds, 0) << Pending();
  ExpectFilesMatch(pack, county_->Edges());
  // Nothing was shared: each edge sent only acknowledgements and requests, nothing crossed a LAN,
  // and the origin sent the pack once per edge.
  const double n = static_cast<double>(county_->Edges().size());
  for (const std::string& e : county_->Edges()) {
    EXPECT_LT(static_cast<double>(f.edge_wan.at(e).tx_bytes), 0.1 * F) << e << " uploaded over the WAN";
    EXPECT_LT(static_cast<double>(f.edge_lan.at(e).rx_bytes + f.edge_lan.at(e).tx_bytes), 0.01 * F)
        << e << " shared over its LAN";
  }
  EXPECT_GE(static_cast<double>(f.origin_wan.tx_bytes), n * F);
}

// Scenario 2: a rule in force caps edge1's WAN (its link's counters stay under the cap while it
// downloads from the origin alone), and a county neighbour holding the lessons still delivers at
// LAN speed (lan_networks = the county's subnet, so the WAN address is capped, the LAN one not).
TEST_F(NetlabScenario, ClassHoursCapTheWanButNotTheCountyLan) {
  const std::string rule = "daily 00:00-24:00 800/200";  // stands in for "Mon-Fri 07:30-17:30": the
                                                          // program's clock is the machine's
  const double cap_bytes_per_s = 800 * 1000 / 8.0;
  EdgeOptions capped;
  capped.schedule = {rule};
  capped.lan_networks = {lab_->Address("edge1", "county1").substr(0, lab_->Address("edge1", "county1").rfind('.')) + ".0/24"};
  county_->StartEdge("edge1", capped);
  const json status = county_->EdgeGet("edge1", "/v1/status");
  ASSERT_EQ(status["schedule"]["rule"], rule) << status.dump();
  EXPECT_EQ(status["schedule"]["down_kbps"], 800);

  // Phase 1: a pack for edge1 alone; only the origin has it, over the capped WAN.
  const std::vector<PackLesson> wan_pack = UploadPack(*county_, 3, 5'000'000, 2);
  auto wan0 = lab_->InterfaceCounters("edge1", "wan");
  auto lan0 = lab_->InterfaceCounters("edge1", "county1");
  std::vector<std::pair<double, long long>> samples;  // seconds, WAN bytes in
  const auto t0 = std::chrono::steady_clock::now();
  county_->Publish(wan_pack, "课时限速 WAN", {"edge1"});
  std::map<std::string, long long> payload;  // lesson → payload libtorrent received for it, verified or not
  const bool wan_done = WaitFor([&] {
    samples.emplace_back(Since(t0), lab_->InterfaceCounters("edge1", "wan").rx_bytes - wan0.rx_bytes);
    const json d = county_->EdgeGet("edge1", "/v1/downloads");
    if (d.is_object()) {
      for (const auto& j : d["downloads"]) {
        auto& p = payload[j["id"].get<std::string>()];
        p = std::max(p, j.value("bytes_received", 0LL));
      }
    }
    const auto held = county_->Playable("edge1");
    return std::all_of(wan_pack.begin(), wan_pack.end(), [&](const PackLesson& l) { return held.count(l.id) > 0; });
  }, 300, 500);
  ASSERT_TRUE(wan_done) << Pending();
  const double wan_seconds = Since(t0);
  const long long wan_in = lab_->InterfaceCounters("edge1", "wan").rx_bytes - wan0.rx_bytes;
  const long long lan_in_1 = lab_->InterfaceCounters("edge1", "county1").rx_bytes - lan0.rx_bytes;
  // The steadiest 10 s windows once it runs: the highest rate over any of them.
  double max_window = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    for (size_t j = i + 1; j < samples.size(); ++j) {
      if (samples[j].first - samples[i].first < 10) continue;
      max_window = std::max(max_window, double(samples[j].second - samples[i].second) / (samples[j].first - samples[i].first));
      break;
    }
  }
  const double mean_rate = double(wan_in) / wan_seconds;
  std::printf("class hours, WAN phase: %.2f MB in %.1f s over the WAN (frames): mean %.1f KB/s, highest 10 s window "
              "%.1f KB/s, cap %.1f KB/s; LAN in %.3f MB\n",
              Bytes(wan_pack) / 1e6, wan_seconds, mean_rate / 1e3, max_window / 1e3, cap_bytes_per_s / 1e3,
              lan_in_1 / 1e6);
  long long received = 0;
  for (const auto& [id, bytes] : payload) received += bytes;
  std::printf("class hours, WAN phase: payload libtorrent received (last seen before each lesson completed) %.2f MB "
              "for %.2f MB of lessons\n", received / 1e6, Bytes(wan_pack) / 1e6);
  // Over the whole download the link carries the cap (frames: payload plus 4.6 % of headers).
  // Shorter windows do not hold it: libtorrent caps what it reads from its sockets, and each new
  // connection (web seed requests, the origin's peer) first fills its TCP receive buffer at the
  // link's rate; 10 s windows measured 1.24-1.47 times the cap (tests/netlab/README.md), and 2.34
  // times once on a machine busy with builds beside the lab (the delay line, a user-space program,
  // then releases what it held in bursts). The guard below catches a cap that is not applied at all
  // (the link's 4 Mbit/s is 5 times it); the mean above is what holds the cap.
  EXPECT_LE(mean_rate, cap_bytes_per_s * 1.10) << "the WAN download exceeded the class-hours cap";
  EXPECT_GE(mean_rate, cap_bytes_per_s * 0.5) << "the capped download crawled far below its cap";
  EXPECT_LE(max_window, cap_bytes_per_s * 3.0) << "a 10 s window ran at three times the cap";

  // Phase 2: edge2 (no rule) fetches a pack at its full WAN rate; then the same lessons come to
  // edge1 in a pack of its own, and edge2 delivers them over the county LAN.
  const std::vector<PackLesson> lan_pack = UploadPack(*county_, 3, 8'000'000, 3);
  county_->StartEdge("edge2");
  county_->Publish(lan_pack, "课时限速 LAN 邻校", {"edge2"});
  ASSERT_TRUE(WaitFor([&] {
    const auto held = county_->Playable("edge2");
    return std::all_of(lan_pack.begin(), lan_pack.end(), [&](const PackLesson& l) { return held.count(l.id) > 0; });
  }, 300)) << Pending();
  wan0 = lab_->InterfaceCounters("edge1", "wan");
  lan0 = lab_->InterfaceCounters("edge1", "county1");
  const auto t1 = std::chrono::steady_clock::now();
  county_->Publish(lan_pack, "课时限速 LAN", {"edge1"});
  ASSERT_TRUE(WaitFor([&] {
    const auto held = county_->Playable("edge1");
    return std::all_of(lan_pack.begin(), lan_pack.end(), [&](const PackLesson& l) { return held.count(l.id) > 0; });
  }, 300, 100)) << Pending();
  const double lan_seconds = Since(t1);
  const long long wan_in_2 = lab_->InterfaceCounters("edge1", "wan").rx_bytes - wan0.rx_bytes;
  const long long lan_in_2 = lab_->InterfaceCounters("edge1", "county1").rx_bytes - lan0.rx_bytes;
  const double F2 = static_cast<double>(Bytes(lan_pack));
  std::printf("class hours, LAN phase: %.2f MB in %.1f s (under the cap alone it would take %.0f s): LAN in %.2f MB "
              "(%.1f KB/s), WAN in %.2f MB (%.1f KB/s)\n",
              F2 / 1e6, lan_seconds, F2 / cap_bytes_per_s, lan_in_2 / 1e6, lan_in_2 / lan_seconds / 1e3,
              wan_in_2 / 1e6, wan_in_2 / lan_seconds / 1e3);
  EXPECT_GE(static_cast<double>(lan_in_2), 0.8 * F2) << "most of the pack should come from the LAN neighbour";
  EXPECT_GE(lan_in_2 / lan_seconds, 5 * cap_bytes_per_s) << "the LAN transfer was held near the WAN cap";
  // Meanwhile the new connections to the origin fill their receive buffers over the WAN too (see
  // above): measured 0.12-1.19 MB of the 8 MB; the pack came over the LAN.
  EXPECT_LE(static_cast<double>(wan_in_2), 0.3 * F2) << "the WAN, not the LAN neighbour, carried the pack";
  ExpectFilesMatch(wan_pack, {"edge1"});
  ExpectFilesMatch(lan_pack, {"edge1", "edge2"});
}

// Scenario 3: county2's three edges under a tight class-hours cap (the LAN between them free),
// downloading one lesson at a time: the lessons complete in the order of their needed-by dates,
// whatever order they were uploaded and listed in.
TEST_F(NetlabScenario, UnderATightCapLessonsCompleteInTheOrderOfTheirDates) {
  const int days[] = {4, 1, 6, 2, 5, 3};
  std::vector<PackLesson> pack;
  for (int i = 0; i < 6; ++i) {
    PackLesson l = county_->UploadDocument(1'000'000, 500 + i, "第" + std::to_string(i + 1) + "课 " +
                                                                   std::to_string(days[i]) + "天后用");
    l.needed_by = DaysFromToday(days[i]);
    pack.push_back(std::move(l));
  }
  const std::vector<std::string> county2 = {"edge4", "edge5", "edge6"};
  EdgeOptions tight;
  tight.schedule = {"daily 00:00-24:00 600/150"};
  tight.max_active_downloads = 1;
  for (const std::string& e : county2) county_->StartEdge(e, tight);
  const auto t0 = std::chrono::steady_clock::now();
  county_->Publish(pack, "按需用日期", county2);
  std::map<std::string, std::map<std::string, double>> done;  // edge → lesson → seconds after publishing
  std::map<std::string, std::string> done_date;                // lesson → the date its last edge had it
  const bool all = WaitFor([&] {
    size_t n = 0;
    for (const std::string& e : county2) {
      const auto held = county_->Playable(e);
      for (const PackLesson& l : pack) {
        if (held.count(l.id) && !done[e].count(l.id)) {
          done[e][l.id] = Since(t0);
          done_date[l.id] = DaysFromToday(0);
        }
      }
      n += done[e].size();
    }
    return n == county2.size() * pack.size();
  }, 400, 250);
  std::vector<PackLesson> by_date = pack;
  std::stable_sort(by_date.begin(), by_date.end(), [](const PackLesson& a, const PackLesson& b) { return a.needed_by < b.needed_by; });
  std::printf("needed-by order under a 600 kbit/s cap, one lesson at a time (seconds after publishing):\n%-12s %-14s",
              "needed_by", "lesson");
  for (const std::string& e : county2) std::printf(" %8s", e.c_str());
  std::printf("\n");
  int before_date = 0;
  for (const PackLesson& l : by_date) {
    std::printf("%-12s %-14s", l.needed_by.c_str(), l.id.substr(0, 12).c_str());
    for (const std::string& e : county2) std::printf(" %8.1f", done[e].count(l.id) ? done[e][l.id] : -1.0);
    std::printf("\n");
    if (done_date.count(l.id) && done_date[l.id] <= l.needed_by) ++before_date;
  }
  std::printf("complete before their date at every edge: %d of %zu (%.0f %%)\n", before_date, pack.size(),
              100.0 * before_date / static_cast<double>(pack.size()));
  ASSERT_TRUE(all) << Pending();
  for (const std::string& e : county2) {
    for (size_t k = 0; k + 1 < by_date.size(); ++k) {
      EXPECT_LE(done[e][by_date[k].id], done[e][by_date[k + 1].id])
          << e << ": the lesson needed " << by_date[k + 1].needed_by << " came before the one needed "
          << by_date[k].needed_by;
    }
  }
  ExpectFilesMatch(pack, county2);
}

// Scenario 4 (the scenario 2, CI size): over the distribution of a 12 MB pack, five
// edges drawn by a seeded generator (printed; LM_NETLAB_SEED overrides it) are killed with SIGKILL,
// a power cut, at 5, 10, 15, 20 and 25 s and started again at once (the pack reaches the others
// in 35-45 s, edge5 by its LAN, so every kill falls within the distribution); edge5's WAN goes down for 60 s
// (every packet dropped) from when it has the pack; and once edge2 holds a lesson, a byte of that
// lesson's file in its cache is flipped in place, as a failing disk would. edge2's background
// scrub (every 2 s here, 300 s as shipped) must find the damage, withdraw the lesson and fetch the
// damaged piece again. Every edge ends complete, and every file on every edge's disk and as it
// serves it over HTTP matches its XXH3.
TEST_F(NetlabScenario, AfterFiveKillsAWanOutageAndADamagedFileEveryEdgeCompletes) {
  const std::vector<PackLesson> pack = UploadPack(*county_, 6, 12'000'000, 4);
  const char* seed_env = std::getenv("LM_NETLAB_SEED");
  const unsigned seed = seed_env != nullptr ? static_cast<unsigned>(std::stoul(seed_env)) : 20261130u;
  std::mt19937 rng(seed);
  const std::vector<std::string>& edges = county_->Edges();
  const std::vector<double> kill_at = {5, 10, 15, 20, 25};
  std::vector<std::string> victims;
  for (size_t i = 0; i < kill_at.size(); ++i) victims.push_back(edges[rng() % edges.size()]);
  const std::string damaged_edge = "edge2", outage_edge = "edge5";
  std::printf("faults: seed %u (LM_NETLAB_SEED); SIGKILL at", seed);
  for (size_t i = 0; i < kill_at.size(); ++i) std::printf(" %.0f s %s,", kill_at[i], victims[i].c_str());
  std::printf(" %s's WAN down 60 s, a byte of a held file of %s flipped\n", outage_edge.c_str(), damaged_edge.c_str());

  std::map<std::string, EdgeOptions> options;
  for (const std::string& e : edges) options[e] = EdgeOptions{};
  options[damaged_edge].scrub_interval_seconds = 2;  // it finds the damage within seconds
  options[damaged_edge].scrub_kbps = 40000;
  for (const std::string& e : edges) county_->StartEdge(e, options[e]);
  const double F = static_cast<double>(Bytes(pack));
  const DistributionBound bound = KumarRoss(lab_->topology(), F);
  const LinkSpec wan = lab_->Link(outage_edge, "wan");
  std::vector<double> killed_at;
  double down_at = -1, up_at = -1, damaged_at = -1, found_at = -1, repaired_at = -1;
  PackLesson damaged;
  auto restore_wan = [&](double now) {
    lab_->SetLink(outage_edge, "wan", wan);
    up_at = now;
  };
  auto faults = [&](double now, const std::set<std::string>&) {
    if (killed_at.size() < kill_at.size() && now >= kill_at[killed_at.size()]) {
      const std::string& victim = victims[killed_at.size()];
      county_->KillEdge(victim);
      killed_at.push_back(now);
      county_->StartEdge(victim, options[victim]);
    }
    if (down_at < 0) {
      const json d = county_->EdgeGet(outage_edge, "/v1/downloads");
      if (d.is_object() && !d["downloads"].empty()) {  // it has the pack: now its WAN goes
        LinkSpec down = wan;
        down.loss = 1;
        lab_->SetLink(outage_edge, "wan", down);
        down_at = now;
      }
    }
    if (down_at >= 0 && up_at < 0 && now - down_at >= 60) restore_wan(now);
    if (damaged_at >= 0 && found_at < 0 &&
        county_->EdgeLog(damaged_edge).find("scrub_mismatch lesson=" + damaged.id) != std::string::npos) {
      found_at = now;
    }
    if (found_at >= 0 && repaired_at < 0 && county_->Playable(damaged_edge).count(damaged.id) &&
        county_->CheckServed(damaged_edge, {damaged}).empty()) {
      repaired_at = now;
    }
    if (damaged_at < 0) {
      const std::set<std::string> held = county_->Playable(damaged_edge);
      for (const PackLesson& l : pack) {
        if (!held.count(l.id)) continue;
        const std::filesystem::path file = county_->CacheDir(damaged_edge) / "lessons" / l.id / "document.pdf";
        std::FILE* f = std::fopen(file.c_str(), "r+b");
        if (f == nullptr) continue;
        const long at = static_cast<long>(l.bytes / 2);
        std::fseek(f, at, SEEK_SET);
        const int c = std::fgetc(f);
        std::fseek(f, at, SEEK_SET);
        std::fputc(c ^ 0x20, f);  // in place: same inode, same size
        std::fclose(f);
        damaged = l;
        damaged_at = now;
        break;
      }
    }
  };
  const auto t0 = std::chrono::steady_clock::now();
  const DistributionFigures f = Distribute(*county_, pack, std::max(300.0, 6 * bound.wan_s), faults);
  std::printf("%s", Describe("distribution with faults", f, bound).c_str());
  std::printf("SIGKILLs at");
  for (size_t i = 0; i < killed_at.size(); ++i) std::printf(" %.1f s (%s)", killed_at[i], victims[i].c_str());
  std::printf("; %s's WAN down from %.1f s; a byte of %s's %s flipped at %.1f s\n", outage_edge.c_str(), down_at,
              damaged_edge.c_str(), damaged.id.substr(0, 12).c_str(), damaged_at);
  ASSERT_GE(f.seconds, 0) << Pending();
  EXPECT_EQ(killed_at.size(), kill_at.size()) << "the distribution ended before every kill";
  ASSERT_GE(down_at, 0) << outage_edge << " never had the pack to lose its WAN over";
  ASSERT_GE(damaged_at, 0) << damaged_edge << " completed no lesson before the end";
  // The outage lasts its 60 s even when the pack arrived meanwhile (over the county LAN).
  if (up_at < 0) {
    WaitFor([&] { return Since(t0) - down_at >= 60; }, 70, 200);
    restore_wan(Since(t0));
  }
  std::printf("%s's WAN up again at %.1f s\n", outage_edge.c_str(), up_at);

  // edge2's scrub found the damage and the lesson was fetched again: it is offered, and what it
  // serves matches.
  const std::string mismatch = "scrub_mismatch lesson=" + damaged.id;
  const bool repaired = WaitFor([&] {
    if (found_at < 0 && county_->EdgeLog(damaged_edge).find(mismatch) != std::string::npos) found_at = Since(t0);
    if (found_at >= 0 && repaired_at < 0 && county_->Playable(damaged_edge).count(damaged.id) > 0 &&
        county_->CheckServed(damaged_edge, {damaged}).empty()) {
      repaired_at = Since(t0);
    }
    return repaired_at >= 0;
  }, 120, 250);
  std::printf("%s: the damage found by its scrub at %.1f s; the lesson offered and served whole again at %.1f s\n",
              damaged_edge.c_str(), found_at, repaired_at);
  EXPECT_TRUE(repaired) << damaged_edge << " did not find and repair its damaged file: "
                        << county_->EdgeLogTail(damaged_edge);
  ExpectFilesAndServedMatch(pack, edges);
}

// The county with one more host on the WAN, "rogue" (8 Mbit/s each way, 20 ms, no loss), for a
// peer that is no school.
class NetlabHostileScenario : public NetlabScenario {
 protected:
  Topology LabTopology() override {
    Topology t = DefaultTopology();
    t.hosts.push_back({"rogue", {{"wan", LinkSpec{8, 8, 20, 0}}}});
    return t;
  }
};

// Scenario 4 continued, a small disk: edge6's cache is a 7 MiB tmpfs (min_free 0). Before the
// pack it holds a lesson pinned for 60 days and one unpinned, of a pack whose next version names
// neither (a small third lesson). Then a 12 MB pack goes to every edge: it cannot fit on edge6,
// which evicts the unpinned lesson, fills its disk with what fits (free bytes below the smallest
// lesson it lacks) and reports disk_full for the rest, keeping the pinned lesson. Every other edge
// ends complete; every file any edge serves matches its XXH3.
TEST_F(NetlabScenario, ASmallDiskFillsKeepsItsPinnedLessonAndReportsDiskFull) {
  const std::string small = "edge6";
  auto upload = [&](std::int64_t bytes, int seed, const std::string& title) {
    PackLesson l = county_->UploadDocument(bytes, seed, title);
    l.needed_by = DaysFromToday(3);
    return l;
  };
  PackLesson pinned = upload(1'000'000, 71, "期末复习 置顶");
  pinned.pinned_until = DaysFromToday(60);
  const PackLesson unpinned = upload(1'000'000, 72, "旧课件");
  const PackLesson third = upload(200'000, 73, "新课件 小");
  const std::vector<PackLesson> pack = UploadPack(*county_, 6, 12'000'000, 7);

  EdgeOptions tiny;
  tiny.cache_tmpfs_mib = 7;
  tiny.min_free = "0";
  for (const std::string& e : county_->Edges()) county_->StartEdge(e, e == small ? tiny : EdgeOptions{});
  const int old_pack = county_->Publish({pinned, unpinned}, "置顶 与 旧课件", {small});
  ASSERT_TRUE(WaitFor([&] {
    const auto held = county_->Playable(small);
    return held.count(pinned.id) && held.count(unpinned.id);
  }, 120)) << Pending();
  county_->PublishVersion(old_pack, {third}, "置顶 与 旧课件", {small});
  ASSERT_TRUE(WaitFor([&] { return county_->Playable(small).count(third.id) > 0; }, 120)) << Pending();
  ASSERT_TRUE(county_->Playable(small).count(unpinned.id)) << "evicted before the disk needed the room";

  const double F = static_cast<double>(Bytes(pack));
  const DistributionBound bound = KumarRoss(lab_->topology(), F);
  const DistributionFigures f = Distribute(*county_, pack, std::max(300.0, 6 * bound.wan_s), nullptr, {small});
  std::printf("%s", Describe("distribution, edge6 on a 7 MiB disk", f, bound).c_str());
  ASSERT_GE(f.seconds, 0) << Pending();

  // edge6: the disk full, disk_full reported for what does not fit, the pinned lesson kept.
  json status;
  const bool full = WaitFor([&] {
    status = county_->EdgeGet(small, "/v1/status");
    if (!status.is_object()) return false;
    for (const json& e : status["errors"])
      if (e.get<std::string>().rfind("disk_full", 0) == 0) return true;
    return false;
  }, 120, 500);
  const std::set<std::string> held = county_->Playable(small);
  std::vector<PackLesson> held_of_pack;
  std::int64_t smallest_missing = -1;
  for (const PackLesson& l : pack) {
    if (held.count(l.id)) held_of_pack.push_back(l);
    else if (smallest_missing < 0 || l.bytes < smallest_missing) smallest_missing = l.bytes;
  }
  std::printf("%s: holds %zu of %zu lessons of the pack, pinned %s, unpinned %s; free %lld bytes, the smallest "
              "lesson it lacks %lld bytes; errors %s\n",
              small.c_str(), held_of_pack.size(), pack.size(), held.count(pinned.id) ? "kept" : "GONE",
              held.count(unpinned.id) ? "kept" : "evicted",
              status.is_object() ? status["disk"].value("free_bytes", -1LL) : -1LL,
              static_cast<long long>(smallest_missing), status.is_object() ? status["errors"].dump().c_str() : "-");
  EXPECT_TRUE(full) << small << " reported no disk_full: " << status.dump();
  EXPECT_TRUE(held.count(pinned.id)) << "the pinned lesson was evicted";
  EXPECT_FALSE(held.count(unpinned.id)) << "the unpinned lesson no pack names stayed while the pack lacked room";
  EXPECT_LT(held_of_pack.size(), pack.size());
  EXPECT_GE(held_of_pack.size(), 1u) << "nothing of the pack reached the small disk";
  ASSERT_TRUE(status.is_object());
  EXPECT_LT(status["disk"].value("free_bytes", std::int64_t{0}), smallest_missing)
      << "the disk had room for a lesson it reported no room for";
  ExpectFilesAndServedMatch({pinned, third}, {small});
  ExpectFilesAndServedMatch(held_of_pack, {small});
  std::vector<std::string> complete_edges;
  for (const std::string& e : county_->Edges())
    if (e != small) complete_edges.push_back(e);
  ExpectFilesAndServedMatch(pack, complete_edges);

}

// Scenario 4 continued, a garbage peer: on "rogue" (GarbagePeer), announcing every lesson of a 12
// MB pack to the origin's tracker before it is published and claiming every piece, but every byte
// it sends is wrong. Every edge that took a bad piece bans it; every edge ends complete and every
// file it serves matches its XXH3. It found that an edge could stall for good on a lesson whose
// lesson.json piece had failed (libtorrent's disk threads handing back the piece's clear before its
// last write; tests/netlab/README.md, "A garbage peer"): the edge now runs one disk thread, and no
// edge needed its stuck-piece recheck.
TEST_F(NetlabHostileScenario, AGarbagePeerIsBannedAndEveryEdgeStillCompletes) {
  const std::vector<PackLesson> pack = UploadPack(*county_, 6, 12'000'000, 7);
  StartEdges();
  std::vector<std::filesystem::path> bundles;
  for (const PackLesson& l : pack) bundles.push_back(county_->BundleDir(l.id));
  testing::TempDir rogue_dir;
  GarbagePeer garbage(*lab_, "rogue", bundles, rogue_dir / "bundles", kTorrentPort);

  const double F = static_cast<double>(Bytes(pack));
  const DistributionBound bound = KumarRoss(DefaultTopology(), F);
  const DistributionFigures f = Distribute(*county_, pack, std::max(300.0, 6 * bound.wan_s));
  std::printf("%s", Describe("distribution with a garbage peer", f, bound).c_str());
  ASSERT_GE(f.seconds, 0) << Pending();

  ExpectFilesAndServedMatch(pack, county_->Edges());

  // The garbage peer sent bytes, they failed their hashes, and every edge that got a bad piece
  // banned it. An innocent peer may be banned beside it: libtorrent lowers the trust of every peer
  // that sent blocks of a failed piece and bans one at -7 (measured: one edge of six banned the
  // origin's seeder once, tests/netlab/README.md); printed, not asserted.
  const std::string rogue_address = lab_->Address("rogue");
  const std::regex banned_re("peer_banned lesson=\\S+ peer=([0-9a-f.:]+)");
  int banned_by = 0;
  long long hash_failures = 0;
  for (const std::string& e : county_->Edges()) {
    const std::string log = county_->EdgeLog(e);
    int rogue_bans = 0;
    std::map<std::string, int> others;
    for (auto it = std::sregex_iterator(log.begin(), log.end(), banned_re); it != std::sregex_iterator(); ++it) {
      const std::string who = (*it)[1];
      if (who == rogue_address) ++rogue_bans;
      else ++others[who];
    }
    banned_by += rogue_bans > 0 ? 1 : 0;
    const long long failures = f.hash_failures.at(e);
    hash_failures += std::max(0LL, failures);
    std::string other_text;
    for (const auto& [who, n] : others) other_text += " " + who + " x" + std::to_string(n);
    const long long rechecks = county_->EdgeMetric(e, "lessonmesh_edge_stuck_piece_rechecks_total");
    std::printf("%s: %lld hash failures; banned the garbage peer in %d swarms; banned others:%s; stuck-piece rechecks %lld\n",
                e.c_str(), failures, rogue_bans, other_text.empty() ? " none" : other_text.c_str(), rechecks);
    EXPECT_EQ(rechecks, 0) << e << " had a piece finished but never hashed (edge/transfer.cpp, aio_threads)";
    if (failures > 0) {
      EXPECT_GT(rogue_bans, 0) << e << " took bad pieces but did not ban the garbage peer";
    }
  }
  std::printf("garbage peer: %.2f MB of garbage sent; banned by %d of %zu edges; %d peers connected to it now\n",
              garbage.UploadedBytes() / 1e6, banned_by, county_->Edges().size(), garbage.ConnectedPeers());
  EXPECT_GT(garbage.UploadedBytes(), 0) << "no edge took anything from the garbage peer";
  EXPECT_GT(hash_failures, 0);
  EXPECT_GE(banned_by, 1) << "no edge banned the garbage peer";
}


// Scenario 5, IPv4 part: every school behind a NAT, as rural broadband is. A NAT lets the box's
// own connections out and their replies back, and nothing else in: modelled in each edge's
// namespace by dropping every new inbound connection on its WAN link (its county LAN stays open,
// as a school network behind the same router would be). Edges then meet over the WAN only by
// connecting out to an edge that is not behind one, and none is, or through a hole punched for
// them: libtorrent's hole-punch extension has a peer both are connected to (the origin's seeder)
// ask them to connect to each other at once, and a TCP simultaneous open passes such NATs, as it
// passes many real ones. So the origin's seeder, the LAN and the odd punched connection are what
// sharing has left. Every edge completes and every file matches; the figures say what the NAT
// costs beside scenario 1.
TEST_F(NetlabScenario, BehindNatsEveryEdgeStillCompletes) {
  DistributionBound bound;
  double F = 0;
  const DistributionFigures f = DistributeBehindNats("distribution, every edge behind a NAT (IPv4)", bound, F);
  ASSERT_GE(f.seconds, 0) << Pending();
  // The NATs were in the way: peers of the other county tried to connect in and were refused.
  const long long refused = RefusedByNats();
  std::printf("new inbound WAN connections refused by the edges' NATs: %lld packets; connections with other "
              "schools over the WAN (punched through both NATs), summed over edges: %.2f on average\n",
              refused, SchoolsOverTheWan(f));
  EXPECT_GT(refused, 0);
  RecordProperty("seconds", std::to_string(f.seconds));
  RecordProperty("origin_egress_ratio", std::to_string(f.origin_egress_ratio()));
}

// Scenario 5, IPv6 part: the same NATs for IPv4, and IPv6 routed between the schools and the
// origin as a provider that gives each line a prefix does (no NAT, inbound connections reach the
// box). The origin listens on both families and names its IPv6 address in its torrents, so every
// edge announces and is found at its IPv6 address: schools connect to each other over the WAN
// again, which the IPv4 NATs had stopped. Every edge completes and every file matches; the
// figures beside the IPv4 half say what IPv6 gives back.
class NetlabScenarioIpv6 : public NetlabScenario {
 protected:
  Topology LabTopology() override {
    Topology t = DefaultTopology();
    t.networks.at(0).subnet6 = "fd00:200:0:0";  // the WAN
    return t;
  }
};

TEST_F(NetlabScenarioIpv6, BehindIpv4NatsWithIpv6RoutedSchoolsShareOverTheWanAgain) {
  ASSERT_NE(county_->OriginUrl().find('['), std::string::npos) << county_->OriginUrl();
  DistributionBound bound;
  double F = 0;
  const DistributionFigures f = DistributeBehindNats("distribution, every edge behind an IPv4 NAT, IPv6 routed", bound, F);
  ASSERT_GE(f.seconds, 0) << Pending();
  double over_ipv6 = 0;
  std::int64_t edges_wan_out = 0;
  for (const std::string& e : county_->Edges()) {
    over_ipv6 += f.connections.at(e).ipv6;
    edges_wan_out += f.edge_wan.at(e).tx_bytes;
  }
  std::printf("connections with other schools over the WAN, summed over edges: %.2f on average (%.2f over IPv6); "
              "the edges' WAN uploads together %.2f MB = %.2f x F; IPv4 packets refused by the NATs: %lld\n",
              SchoolsOverTheWan(f), over_ipv6, edges_wan_out / 1e6, edges_wan_out / F, RefusedByNats());
  // What IPv6 gives back: schools trade over the WAN, at their IPv6 addresses. Behind the IPv4
  // NATs alone they held 0-0.09 such connections and sent about 0.14 x F over their WANs
  // (acknowledgements), measured 2026-11-30.
  EXPECT_GE(SchoolsOverTheWan(f), 1.0) << "schools did not meet over the WAN";
  EXPECT_GE(over_ipv6, SchoolsOverTheWan(f) * 0.99) << "school-to-school connections not over IPv6";
  EXPECT_GT(edges_wan_out, F / 2) << "schools sent each other little over the WAN";
  RecordProperty("seconds", std::to_string(f.seconds));
  RecordProperty("origin_egress_ratio", std::to_string(f.origin_egress_ratio()));
}

// Scenario 6: a week offline, compressed. edge1 holds version 1 of its pack; then its WAN goes down
// (every packet dropped) while its classrooms play lessons and two new versions of the pack are
// published. When the link returns the edge catches up by itself (the latest version, every lesson
// verified), and the plays of its time offline reach the catalog once.
TEST_F(NetlabScenario, AfterAWeekOfflineAnEdgeCatchesUpAndItsPlaysArriveOnce) {
  auto upload = [&](int n) {
    PackLesson l = county_->UploadDocument(1'000'000, 60 + n, "离线一周 第" + std::to_string(n) + "课");
    l.needed_by = DaysFromToday(7);
    return l;
  };
  std::vector<PackLesson> lessons = {upload(1)};
  county_->StartEdge("edge1");
  const int pack = county_->Publish(lessons, "离线一周", {"edge1"});
  ASSERT_TRUE(WaitFor([&] { return county_->Playable("edge1").count(lessons[0].id) > 0; }, 120)) << Pending();

  const LinkSpec wan = lab_->Link("edge1", "wan");
  LinkSpec down = wan;
  down.loss = 1;
  lab_->SetLink("edge1", "wan", down);
  const auto t_down = std::chrono::steady_clock::now();
  const long long now = static_cast<long long>(std::time(nullptr));
  constexpr int kPlays = 3;
  for (int i = 0; i < kPlays; ++i) {
    const json play = {{"event_id", "offline-week-" + std::to_string(i)}, {"lesson_id", lessons[0].id},
                       {"rendition", "240p"}, {"kind", "start"}, {"seconds", 40 * 60}, {"started_at", now}};
    const testing::HttpResult r = county_->EdgePost("edge1", "/v1/plays", play);
    ASSERT_EQ(r.status, 201) << r.body;
  }
  lessons.push_back(upload(2));
  county_->PublishVersion(pack, lessons, "离线一周", {"edge1"});
  lessons.push_back(upload(3));
  county_->PublishVersion(pack, lessons, "离线一周", {"edge1"});
  // Offline as the edge sees it: the catalog unreachable, the plays kept.
  ASSERT_TRUE(WaitFor(
      [&] {
        const json st = county_->EdgeGet("edge1", "/v1/status");
        return st.is_object() && !st.value("catalog_reachable", true) && st.value("plays_pending", 0) == kPlays;
      },
      120))
      << county_->EdgeGet("edge1", "/v1/status").dump();
  const double offline_s = Since(t_down);
  lab_->SetLink("edge1", "wan", wan);
  const auto t_up = std::chrono::steady_clock::now();

  auto latest_version_whole = [&] {
    const json l = county_->EdgeGet("edge1", "/v1/lessons");
    if (!l.is_object()) return false;
    bool v3 = false;
    for (const json& p : l["packs"]) v3 = v3 || (p.value("pack_id", 0) == pack && p.value("version", 0) == 3);
    const std::set<std::string> playable = county_->Playable("edge1");
    return v3 && std::all_of(lessons.begin(), lessons.end(), [&](const PackLesson& x) { return playable.count(x.id) > 0; });
  };
  ASSERT_TRUE(WaitFor(latest_version_whole, 420)) << Pending() << county_->EdgeLogTail("edge1");
  const double caught_up_s = Since(t_up);
  ASSERT_TRUE(WaitFor([&] { return county_->EdgeGet("edge1", "/v1/status").value("plays_pending", -1) == 0; }, 120))
      << county_->EdgeGet("edge1", "/v1/status").dump();
  ExpectFilesMatch(lessons, {"edge1"});

  char month[8];
  const std::time_t t = static_cast<std::time_t>(now);
  std::strftime(month, sizeof(month), "%Y-%m", std::gmtime(&t));
  const json report = county_->CatalogGet(std::string("/v1/reports/monthly?month=") + month);
  ASSERT_TRUE(report.is_object()) << "the catalog's monthly report";
  long long plays = 0;
  for (const json& row : report["rows"]) plays += row.value("plays", 0LL);
  EXPECT_EQ(plays, kPlays) << report.dump();
  std::printf("edge1 offline %.1f s (catalog unreachable, %d plays kept, versions 2 and 3 published); caught up "
              "with version 3 (%zu lessons) %.1f s after the link returned; the catalog counts %lld plays\n",
              offline_s, kPlays, lessons.size(), caught_up_s, plays);
}

}  // namespace
}  // namespace lm::netlab
