// LessonMesh over the network lab's county (tests/netlab/README.md, "Scenarios"): the catalog and
// origin as processes on the origin host (8 Mbit/s), a school box (lessonmesh-edge) on each of six
// edge hosts (4/1 Mbit/s, 80 ms, 0.5 % loss; two counties on 100 Mbit/s LANs). At CI size:
//  1. Distribution: a 21 MB pack of eight courseware documents reaches all six edges; every file
//     matches its XXH3; the time beside the Kumar–Ross bound and the origin's egress beside the
//     pack size are printed; the same run with peer_to_peer = false (the web seed alone).
//  2. Class hours: a schedule rule in force caps an edge's WAN download (measured on its link)
//     while a county neighbour delivers over the LAN at far more than the cap.
//  3. Needed-by dates: under a tight cap, lessons complete in the order of their dates.
//  4. Faults: an edge killed with SIGKILL mid-distribution and restarted, another's WAN down for
//     a while; every edge ends complete.
//  5. Behind NATs (IPv4): no edge accepts a connection from the WAN; every edge still completes.
//  6. A week offline: an edge whose WAN is down while two new versions of its pack are published
//     catches up by itself when the link returns; its plays of that time reach the catalog once.
// Needs root (the lab); skips otherwise. bench/netlab runs scenario 1 at full size.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "tests/netlab/county.h"
#include "tests/netlab/lab.h"
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
    lab_ = std::make_unique<Lab>();
    county_ = std::make_unique<County>(*lab_);
    county_->Start();
  }
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
    }
    return out;
  }

  void ExpectFilesMatch(const std::vector<PackLesson>& pack, const std::vector<std::string>& edges) {
    for (const std::string& e : edges) EXPECT_EQ(county_->CheckFiles(e, pack), "") << e;
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
  // The origin's seeder feeds the swarm and the web seeds stay unused while peers supply every
  // lesson (measured 2026-11-30: 3.96-4.25 x F, no web seed connection; with the web seeds beside
  // the swarm from the start the origin sent 6.3-6.9 x F, the pack once per school).
  EXPECT_LT(f.origin_egress_ratio(), 5.0);
  for (const std::string& e : county_->Edges()) {
    EXPECT_LT(f.connections.at(e).web_seed, 0.5) << e << " kept web seed connections open beside its peers";
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

// Scenario 4: mid-distribution edge3 is killed with SIGKILL (a power cut) and started again, and
// edge5's WAN goes down for 30 s (every packet dropped) and comes back; every edge ends complete
// with every file matching.
TEST_F(NetlabScenario, AfterAKillAndAWanOutageEveryEdgeCompletes) {
  const std::vector<PackLesson> pack = UploadPack(*county_, 6, 12'000'000, 4);
  StartEdges();
  const double F = static_cast<double>(Bytes(pack));
  const DistributionBound bound = KumarRoss(lab_->topology(), F);
  const LinkSpec wan5 = lab_->Link("edge5", "wan");
  const long long edge3_before = lab_->InterfaceCounters("edge3", "wan").rx_bytes +
                                 lab_->InterfaceCounters("edge3", "county1").rx_bytes;
  double killed_at = -1, down_at = -1, up_at = -1;
  auto faults = [&](double now, const std::set<std::string>& complete) {
    if (killed_at < 0 && !complete.count("edge3")) {
      const long long in = lab_->InterfaceCounters("edge3", "wan").rx_bytes +
                           lab_->InterfaceCounters("edge3", "county1").rx_bytes - edge3_before;
      if (static_cast<double>(in) >= 0.3 * F) {
        county_->KillEdge("edge3");
        killed_at = now;
        county_->StartEdge("edge3");
      }
    }
    if (down_at < 0 && !complete.count("edge5")) {
      const json d = county_->EdgeGet("edge5", "/v1/downloads");
      if (d.is_object() && !d["downloads"].empty()) {  // it has the pack: now its WAN goes
        LinkSpec down = wan5;
        down.loss = 1;
        lab_->SetLink("edge5", "wan", down);
        down_at = now;
      }
    }
    if (down_at >= 0 && up_at < 0 && now - down_at >= 30) {
      lab_->SetLink("edge5", "wan", wan5);
      up_at = now;
    }
  };
  const DistributionFigures f = Distribute(*county_, pack, std::max(300.0, 6 * bound.wan_s), faults);
  if (down_at >= 0 && up_at < 0) lab_->SetLink("edge5", "wan", wan5);
  std::printf("%s", Describe("distribution with faults", f, bound).c_str());
  std::printf("edge3 killed at %.1f s and restarted; edge5's WAN down from %.1f s to %.1f s\n", killed_at, down_at, up_at);
  ASSERT_GE(f.seconds, 0) << Pending();
  EXPECT_GE(killed_at, 0) << "edge3 was complete before it received 30 % of the pack";
  EXPECT_GE(down_at, 0) << "edge5 never had the pack to lose its WAN over";
  EXPECT_GE(up_at, 0) << "every edge completed before edge5's WAN came back";
  ExpectFilesMatch(pack, county_->Edges());
}

// Scenario 5, IPv4 part: every school behind a NAT, as rural broadband is. A NAT lets the box's
// own connections out and their replies back, and nothing else in: modelled in each edge's
// namespace by dropping every new inbound connection on its WAN link (its county LAN stays open,
// as a school network behind the same router would be). Edges then meet over the WAN only by
// connecting out to an edge that is not behind one, and none is: the origin's seeder and the LAN
// are what sharing has left. Every edge completes and every file matches; the figures say what
// the NAT costs beside scenario 1.
TEST_F(NetlabScenario, BehindNatsEveryEdgeStillCompletes) {
  const std::vector<PackLesson> pack = UploadPack(*county_, kCiLessons, kCiPackBytes);
  for (const std::string& e : county_->Edges()) {
    lab_->Run(e, {"iptables", "-A", "INPUT", "-i", "wan", "-p", "tcp", "-m", "conntrack", "--ctstate", "NEW",
                  "-j", "DROP"});
  }
  StartEdges();
  const double F = static_cast<double>(Bytes(pack));
  const DistributionBound bound = KumarRoss(lab_->topology(), F);
  const DistributionFigures f = Distribute(*county_, pack, std::max(360.0, 6 * bound.wan_s));
  std::printf("%s", Describe("distribution, every edge behind a NAT (IPv4)", f, bound).c_str());
  ASSERT_GE(f.seconds, 0) << Pending();
  ExpectFilesMatch(pack, county_->Edges());
  // The NATs were in the way: peers of the other county tried to connect in and were refused.
  long long refused = 0;
  for (const std::string& e : county_->Edges()) {
    const std::string out = lab_->Run(e, {"iptables", "-L", "INPUT", "-v", "-x", "-n"});
    const size_t at = out.find("DROP");
    if (at != std::string::npos) refused += std::stoll(out.substr(out.rfind('\n', at) + 1));
    EXPECT_EQ(f.connections.at(e).wan_other_county + f.connections.at(e).wan_same_county, 0)
        << e << " held a connection with another school over the WAN, through two NATs";
  }
  std::printf("new inbound WAN connections refused by the edges' NATs: %lld packets\n", refused);
  EXPECT_GT(refused, 0);
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
