// The edge takes BitTorrent peers on IPv6 as well as IPv4 (it listens on [::] beside 0.0.0.0): a
// school whose only neighbour with the lesson is reachable over IPv6 still gets it. The origin, and
// with it the web seed and the tracker, is stopped; the one peer is a libtorrent session bound to
// [::1] alone, which connects to the edge's port on [::1]. The lesson arrives and verifies, and the
// peer's own counters say it uploaded the lesson's bytes to ::1 and to no IPv4 address.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "edge/edge_service.h"
#include "tests/edge/edge_lab.h"
#include "tests/edge/test_seeder.h"
#include "tests/testing/port_hold.h"
#include "tests/testing/wait_for.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using lm::testing::EdgeJson;
using lm::testing::PlayableIds;
using lm::testing::ReadFile;
using lm::testing::TestSeeder;
using lm::testing::WaitFor;

class EdgeIpv6Test : public lm::testing::EdgeLab {
 protected:
  void TearDown() override {
    if (edge_) edge_->Stop();
    EdgeLab::TearDown();
  }
  std::unique_ptr<EdgeService> edge_;
};

TEST_F(EdgeIpv6Test, ALessonArrivesFromAPeerReachableOnlyOverIpv6) {
  const std::string doc = UploadDocument(2000000, 71, "课件 IPv6");
  Publish({{doc, DaysFromToday(2), ""}}, {{"communities", {"th-ch-1"}}});
  const fs::path bundle = BundleDir(doc);
  fs::create_directories(tmp_ / "v6peer");
  fs::copy(bundle, tmp_ / "v6peer" / doc, fs::copy_options::recursive);
  origin_->Stop();  // no web seed, no tracker: the IPv6 peer is the only source
  origin_.reset();

  // One port for both families: with port 0, libtorrent would give IPv6 a port of its own that the
  // edge does not report.
  lm::testing::PortHold port;
  ASSERT_NE(port.port(), 0);
  EdgeConfig c = EdgeSettings();
  c.torrent_port = port.port();
  auto edge = EdgeService::Start(c);
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  edge_ = std::move(*edge);
  const std::uint16_t http = edge_->http_port();
  ASSERT_EQ(edge_->torrent_port(), port.port());
  ASSERT_TRUE(WaitFor([&] {
    const auto d = EdgeJson(http, "/v1/downloads");
    return d.is_object() && d["downloads"].size() == 1 && d["downloads"][0].value("transfer", "") == "downloading";
  }, kDeadlineSeconds)) << EdgeJson(http, "/v1/downloads").dump();

  TestSeeder v6peer(bundle / "lesson.torrent", tmp_ / "v6peer", "::1");
  ASSERT_TRUE(WaitFor([&] { return v6peer.Seeding(); }, 60));
  v6peer.ConnectTo(port.port(), "::1");
  ASSERT_TRUE(WaitFor([&] { return !v6peer.UploadedTo().empty(); }, 60)) << "the edge took no connection on [::1]";
  ASSERT_TRUE(WaitFor([&] { return PlayableIds(http).size() == 1; }, kDeadlineSeconds))
      << EdgeJson(http, "/v1/downloads").dump();
  EXPECT_EQ(ReadFile(tmp_ / "edge" / "lessons" / doc / "document.pdf"), ReadFile(bundle / "document.pdf"));

  // Every byte the edge holds came from the IPv6 peer, over IPv6.
  const std::int64_t uploaded = v6peer.UploadedBytes();
  EXPECT_GE(uploaded, 2000000) << "the edge got the document from somewhere else";
  const std::set<std::string> uploaded_to = v6peer.UploadedTo();
  const std::set<std::string> edge_v6 = {"[::1]:" + std::to_string(port.port())};
  EXPECT_EQ(uploaded_to, edge_v6);
  ASSERT_FALSE(uploaded_to.empty());
  std::cout << "[          ] the IPv6 peer uploaded " << uploaded << " bytes to " << *uploaded_to.begin() << "\n";
}

}  // namespace
}  // namespace lm::edge
