// The catalog with a crowd of edges long-polling at once (bench/catalog_long_poll at a tenth of its
// size): every poll is parked (the /metrics gauge counts them), a publish wakes every one within
// the deadline, and each gets the new version, signed for its school, as the edge checks it.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <fstream>
#include <string>
#include <vector>

#include "catalog/sqlite_catalog_store.h"
#include "common/base64.h"
#include "tests/testing/catalog_fixture.h"
#include "tests/testing/http_client.h"
#include "tests/testing/long_poll_crowd.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"
#include "transcoder/bundle.h"

namespace lm::catalog {
namespace {

using nlohmann::json;
using testing::HttpClient;

constexpr int kEdges = 200;

int Waiting(HttpClient& client) {
  auto m = client.Request("GET", "/metrics");
  const auto at = m.body.find("\nlessonmesh_edge_polls_waiting ");
  return at == std::string::npos ? -1 : std::stoi(m.body.substr(at + 31));
}

TEST(CatalogLongPollLoadTest, EveryParkedEdgeIsWokenWithTheNewVersion) {
  ASSERT_GE(testing::RaiseOpenFileLimit(kEdges + 256), static_cast<std::uint64_t>(kEdges + 256));
  testing::TempDir tmp;
  testing::CatalogFixture catalog(tmp / "catalog");
  std::vector<testing::CrowdEdge> crowd;
  {
    auto store = SqliteCatalogStore::Open((tmp / "catalog" / "catalog.db").string());
    ASSERT_TRUE(store.ok()) << store.status().message();
    std::string error;
    crowd = testing::AddCrowdSchools(**store, kEdges, "crowd", &error);
    ASSERT_EQ(crowd.size(), static_cast<std::size_t>(kEdges)) << error;
  }
  ASSERT_TRUE(catalog.Start());
  const std::string admin = catalog.Token(Role::kAdmin);
  HttpClient client(catalog.port());
  auto call = [&](const std::string& method, const std::string& target, const json& body) {
    auto r = client.Request(method, target, body.dump(),
                            {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
    EXPECT_EQ(r.status / 100, 2) << method << " " << target << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  };
  // A courseware document registered as the origin registers it, in a pack for the community.
  testing::WriteFile(tmp / "courseware.pdf", "%PDF-1.4\n% crowd courseware\n" + std::string(2048, 'x'));
  transcoder::BundleOptions options;
  options.metadata = {"分数的初步认识 课件", "王老师", "数学", "三年级"};
  auto made = transcoder::MakeBundleUnder(tmp / "courseware.pdf", tmp / "bundles", options);
  ASSERT_TRUE(made.ok()) << made.status().message();
  call("POST", "/v1/lessons",
       {{"manifest", json::parse(testing::ReadFile(made->dir / "lesson.json"))},
        {"torrent_base64", Base64Encode(testing::ReadFile(made->dir / "lesson.torrent"))},
        {"info_hash_v1", made->info_hash_v1},
        {"info_hash_v2", made->info_hash_v2}});
  const json pack = {{"title", "三年级数学 第三单元资源包"},
                     {"items", {{{"lesson_id", made->id}, {"needed_by", "2026-12-20"}}}},
                     {"targets", {{"communities", {"crowd"}}}}};
  const std::int64_t pack_id = call("POST", "/v1/packs", pack).value("pack_id", std::int64_t{0});
  ASSERT_GT(pack_id, 0);
  const std::string public_key = call("GET", "/v1/keys", json::object()).value("public_key", "");

  testing::LongPollCrowd polls(catalog.port(), 100);
  ASSERT_EQ(polls.Park(crowd), "");
  for (std::size_t i = 0; i < crowd.size(); ++i) {  // each saw version 1 before it parked
    std::int64_t version = 0;
    ASSERT_EQ(testing::VerifyPackInFeed(polls.first_replies()[i], crowd[i].school, pack_id, public_key, &version), "");
    ASSERT_EQ(version, 1);
  }
  ASSERT_TRUE(testing::WaitFor([&] { return Waiting(client) == kEdges; }, 30)) << Waiting(client);
  // The catalog still answers other routes at once while they wait.
  EXPECT_EQ(client.Request("GET", "/v1/packs", "", {{"Authorization", "Bearer " + admin}}).status, 200);

  const auto publish = std::chrono::steady_clock::now();
  EXPECT_EQ(call("PUT", "/v1/packs/" + std::to_string(pack_id), pack).value("version", 0), 2);
  EXPECT_EQ(polls.WaitForReplies(20), kEdges);
  double last_s = 0;
  for (std::size_t i = 0; i < crowd.size(); ++i) {
    const auto& reply = polls.replies()[i];
    std::int64_t version = 0;
    EXPECT_EQ(testing::VerifyPackInFeed(reply, crowd[i].school, pack_id, public_key, &version), "") << crowd[i].school;
    EXPECT_EQ(version, 2) << crowd[i].school;
    if (reply.status != 0) last_s = std::max(last_s, std::chrono::duration<double>(reply.at - publish).count());
  }
  EXPECT_LT(last_s, testing::Scaled(5));  // the deadline for 2,000 edges
  EXPECT_EQ(Waiting(client), 0);
}

}  // namespace
}  // namespace lm::catalog
