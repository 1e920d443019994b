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
// Needs root (the lab); skips otherwise. bench/netlab runs scenario 1 at full size.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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
    std::string out;
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

}  // namespace
}  // namespace lm::netlab
