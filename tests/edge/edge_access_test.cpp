// The school box's routes, from its own table (EdgeRoutes::RouteTable), on an edge whose catalog
// is out of reach: the one management route (POST /v1/sync) needs the local admin token (401
// without it or with any other, the catalog's edge token included); path traversal in every path
// parameter is 400 or 404 and never shows the file planted beside the lessons and the pages; a
// body over 64 KiB is 413; a play event that is not JSON or has a field of the wrong type is 400
// naming the field. Wrong admin tokens from one address are limited like the catalog's (429).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>

#include "common/signing.h"
#include "edge/edge_routes.h"
#include "edge/edge_service.h"
#include "tests/testing/http_client.h"
#include "tests/testing/port_hold.h"
#include "tests/testing/route_access.h"
#include "tests/testing/temp_dir.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;

constexpr char kPlantedSecret[] = "planted-beside-the-edge-cache-0d4e";

class EdgeAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = SigningKey::LoadOrCreate(tmp_ / "catalog.key");
    ASSERT_TRUE(key.ok());
    fs::create_directories(tmp_ / "web");
    lm::testing::WriteFile(tmp_ / "web" / "classroom.html", "<!doctype html><title>classroom</title>");
    lm::testing::WriteFile(tmp_ / "web" / "print.html", "<!doctype html><title>print</title>");
    lm::testing::WriteFile(tmp_ / "web" / "classroom.js", "console.log('page');");
    lm::testing::WriteFile(tmp_ / "secret.txt", kPlantedSecret);
    lm::testing::WriteFile(tmp_ / "edge.token", "the-catalogs-edge-token\n");
    EdgeConfig c;
    c.school_id = "conghua-lx";
    c.catalog_url = "http://127.0.0.1:" + std::to_string(no_catalog_.port());  // held, never answered
    c.token_file = (tmp_ / "edge.token").string();
    c.catalog_key = key->public_key_base64();
    c.cache_dir = (tmp_ / "edge").string();
    c.web_dir = (tmp_ / "web").string();
    c.listen_address = "127.0.0.1";
    c.port = 0;
    c.torrent_port = 0;
    c.lsd = false;
    c.scrub_kbps = 0;
    auto edge = EdgeService::Start(c);
    ASSERT_TRUE(edge.ok()) << edge.status().ToString();
    edge_ = std::move(*edge);
    lm::testing::WriteFile(tmp_ / "edge" / "secret.txt", kPlantedSecret);
  }
  void TearDown() override {
    if (edge_) edge_->Stop();
  }

  lm::testing::TempDir tmp_;
  lm::testing::PortHold no_catalog_;
  std::unique_ptr<EdgeService> edge_;
};

TEST_F(EdgeAccessTest, EveryRouteChecksWhoCallsAndWhatComesIn) {
  lm::testing::RouteAccessSpec spec;
  spec.port = edge_->http_port();
  spec.routes = EdgeRoutes::RouteTable();
  spec.all_roles = {"admin"};
  spec.token_of = [&](const std::string&) { return edge_->admin_token(); };
  spec.allowed_token = [&](const http::RouteInfo&) { return edge_->admin_token(); };
  spec.params = {{"lesson", std::string(32, '0')}, {"file", "master.m3u8"}, {"pack", "1"}};
  spec.sample_bodies = {{"POST /v1/plays",
                         {{"event_id", "e-1"},
                          {"lesson_id", std::string(32, '0')},
                          {"rendition", "240p"},
                          {"seconds", 30},
                          {"started_at", 1795000000},
                          {"kind", "start"}}}};
  spec.planted_secrets = {kPlantedSecret};
  lm::testing::CheckEveryRoute(spec);

  // The management route with the admin token works; the catalog's edge token is not it.
  HttpClient client(edge_->http_port());
  EXPECT_EQ(client.Request("POST", "/v1/sync", "", {{"Authorization", "Bearer " + edge_->admin_token()}}).status, 202);
  EXPECT_EQ(client.Request("POST", "/v1/sync", "", {{"Authorization", "Bearer the-catalogs-edge-token"}}).status, 401);
}

TEST_F(EdgeAccessTest, WrongAdminTokensAreLimitedPerAddress) {
  HttpClient client(edge_->http_port());
  const auto sync = [&](const std::string& token) {
    return client.Request("POST", "/v1/sync", "", {{"Authorization", "Bearer " + token}});
  };
  for (int i = 0; i < 30; ++i) ASSERT_EQ(sync("guess-" + std::to_string(i)).status, 401) << i;
  const auto blocked = sync("guess-30");
  EXPECT_EQ(blocked.status, 429);
  EXPECT_EQ(blocked.Header("retry-after"), "2");
  EXPECT_EQ(sync(edge_->admin_token()).status, 429) << "the right token waits too";
  EXPECT_EQ(client.Request("GET", "/v1/status").status, 200) << "classrooms need no token and are not held";
}

}  // namespace
}  // namespace lm::edge
