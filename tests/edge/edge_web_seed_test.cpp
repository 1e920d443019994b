// When the school box takes a lesson from the origin's web seed (HTTP) beside its peers: only once
// peers have left a downloading lesson without bytes for web_seed_wait_seconds. While a peer
// supplies the lesson the web seed is never asked, so the origin's uplink feeds the swarm once
// instead of every school; with no peer at all the lesson still arrives, from the web seed. The
// origin is replaced by a web seed of our own on its port, which counts what it is asked for.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

#include "bundle/bundle_files.h"
#include "common/http/http_server.h"
#include "edge/edge_service.h"
#include "tests/edge/edge_lab.h"
#include "tests/edge/test_seeder.h"
#include "tests/testing/wait_for.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using lm::testing::PlayableIds;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

// The origin's web seed (its /bundles route) on the origin's own port, counting requests per lesson.
class CountingWebSeed {
 public:
  CountingWebSeed(const fs::path& bundles, std::uint16_t port) : files_(bundles) {
    http::ServerOptions o;
    o.port = port;
    auto server = http::HttpServer::Start(
        o,
        [this](http::Request req, http::Responder respond) {
          if (files_.Owns(req.path)) {
            const std::string rest = req.path.substr(std::string("/bundles/").size());
            std::lock_guard lock(mu_);
            ++requests_[rest.substr(0, rest.find('/'))];
          }
          respond(files_.Handle(req));
        },
        [](const std::string&, const std::string&) { return std::size_t{0}; });
    EXPECT_TRUE(server.ok()) << server.status().ToString();
    if (server.ok()) server_ = std::move(*server);
  }
  ~CountingWebSeed() {
    if (server_) server_->Stop();
  }
  int Requests(const std::string& lesson) {
    std::lock_guard lock(mu_);
    return requests_[lesson];
  }

 private:
  bundle::BundleFiles files_;
  std::mutex mu_;
  std::map<std::string, int> requests_;
  std::unique_ptr<http::HttpServer> server_;
};

class EdgeWebSeedTest : public lm::testing::EdgeLab {
 protected:
  void TearDown() override {
    if (edge_) edge_->Stop();
    EdgeLab::TearDown();
  }
  // Two documents published; then the origin (its seeder and tracker) goes, and a counting web
  // seed takes its port.
  void PublishAndReplaceTheOrigin() {
    held_ = UploadDocument(1'200'000, 41, "课件 有节点时");
    fallback_ = UploadDocument(900'000, 42, "课件 无节点时");
    Publish({{held_, DaysFromToday(1), ""}, {fallback_, DaysFromToday(2), ""}}, {{"communities", {"th-ch-1"}}});
    const std::uint16_t port = origin_port();
    origin_->Stop();
    origin_.reset();
    web_seed_ = std::make_unique<CountingWebSeed>(tmp_ / "origin" / "bundles", port);
  }

  std::string held_, fallback_;
  std::unique_ptr<CountingWebSeed> web_seed_;
  std::unique_ptr<EdgeService> edge_;
};

TEST_F(EdgeWebSeedTest, WhileAPeerSuppliesTheLessonTheWebSeedIsNotAsked) {
  PublishAndReplaceTheOrigin();
  const fs::path bundles = tmp_ / "origin" / "bundles";
  EdgeConfig c = EdgeSettings();
  c.max_active_downloads = 1;  // the held lesson first (its date is nearer), alone
  c.web_seed_wait_seconds = 120;
  auto edge = EdgeService::Start(c);
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  edge_ = std::move(*edge);
  fs::create_directories(tmp_ / "peer");
  fs::copy(bundles / held_, tmp_ / "peer" / held_, fs::copy_options::recursive);
  lm::testing::TestSeeder peer(bundles / held_ / "lesson.torrent", tmp_ / "peer");
  ASSERT_TRUE(WaitFor([&] { return peer.Seeding(); }, 60));
  peer.ConnectTo(edge_->torrent_port());
  ASSERT_TRUE(WaitFor([&] { return PlayableIds(edge_->http_port()).size() == 1; }, kDeadlineSeconds))
      << lm::testing::EdgeJson(edge_->http_port(), "/v1/downloads").dump();
  EXPECT_EQ(PlayableIds(edge_->http_port()).front(), held_);
  EXPECT_EQ(ReadFile(tmp_ / "edge" / "lessons" / held_ / "document.pdf"), ReadFile(bundles / held_ / "document.pdf"));
  EXPECT_GT(peer.UploadedBytes(), 1'000'000);
  EXPECT_EQ(web_seed_->Requests(held_), 0) << "the web seed was asked for a lesson a peer was supplying";
}

TEST_F(EdgeWebSeedTest, WithNoPeerTheLessonComesFromTheWebSeedAfterTheWait) {
  PublishAndReplaceTheOrigin();
  EdgeConfig c = EdgeSettings();
  c.web_seed_wait_seconds = 2;
  const auto start = std::chrono::steady_clock::now();
  auto edge = EdgeService::Start(c);
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  edge_ = std::move(*edge);
  ASSERT_TRUE(WaitFor([&] { return PlayableIds(edge_->http_port()).size() == 2; }, kDeadlineSeconds))
      << lm::testing::EdgeJson(edge_->http_port(), "/v1/downloads").dump();
  const fs::path bundles = tmp_ / "origin" / "bundles";
  for (const std::string& id : {held_, fallback_}) {
    EXPECT_EQ(ReadFile(tmp_ / "edge" / "lessons" / id / "document.pdf"), ReadFile(bundles / id / "document.pdf"));
    EXPECT_GT(web_seed_->Requests(id), 0) << id;
  }
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
}

}  // namespace
}  // namespace lm::edge
