// Several catalog processes behind one address, on one PostgreSQL database: two CatalogServices,
// each with its own data directory and port, one signing key file. What one publishes the other
// serves, signed alike, and an edge's long poll parked on one wakes at once when a pack is
// published through the other (the database's NOTIFY, not a timer).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>

#include "catalog/auth.h"
#include "catalog/catalog_service.h"
#include "catalog/postgres_catalog_store.h"
#include "common/base64.h"
#include "common/signing.h"
#include "common/unix_time.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"
#include "transcoder/bundle.h"

namespace lm::catalog {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::HttpResult;
using lm::testing::StoreBackend;

constexpr int kWaitSeconds = 60;  // the edges' long polls; a wake-up must come far sooner

class CatalogScaleOutTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    LM_SKIP_IF_NO_BACKEND(GetParam());
    auto uri = lm::testing::FreshPostgresDatabase();
    ASSERT_TRUE(uri.ok()) << uri.status().ToString();
    uri_ = *uri;
    a_ = StartCatalog("a");
    b_ = StartCatalog("b");
    ASSERT_TRUE(a_ && b_);
    // The first catalog on the empty database wrote the bootstrap admin token; the second found one.
    admin_ = lm::testing::ReadFile(tmp_ / "a" / "admin.token");
    while (!admin_.empty() && admin_.back() == '\n') admin_.pop_back();
    ASSERT_FALSE(admin_.empty());
    EXPECT_FALSE(fs::exists(tmp_ / "b" / "admin.token"));

    auto store = PostgresCatalogStore::Open(uri_, 1);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto origin = IssueToken(**store, {.role = Role::kOrigin, .label = "test"}, UnixNow());
    auto edge = IssueToken(**store, {.role = Role::kEdge, .school_id = "conghua-lx", .label = "test"}, UnixNow());
    ASSERT_TRUE(origin.ok() && edge.ok());
    origin_ = origin->token;
    edge_ = edge->token;

    for (auto [id, name, kind] : {std::tuple{"tianhe-3", "天河第三小学", "urban"},
                                  std::tuple{"conghua-lx", "从化区良口镇中心小学", "rural"}}) {
      auto r = Call(*a_, "POST", "/v1/schools", admin_,
                    {{"id", id}, {"name", name}, {"county", "从化区"}, {"kind", kind}, {"pupils", 100}});
      ASSERT_EQ(r.status, 201) << r.body;
    }
    auto c = Call(*a_, "POST", "/v1/communities", admin_,
                  {{"id", "th-ch-1"}, {"name", "天河—从化城乡教共体"}, {"model", "fusion"}, {"level", "cross_county"},
                   {"core_school", "tianhe-3"}, {"members", {"conghua-lx"}}});
    ASSERT_EQ(c.status, 201) << c.body;
    lesson_ = RegisterBundle("光的折射");
  }

  std::unique_ptr<CatalogService> StartCatalog(const std::string& name) {
    CatalogConfig config;
    config.port = 0;
    config.data_dir = (tmp_ / name).string();
    config.store = uri_;
    config.signing_key_file = (tmp_ / "pack-signing.key").string();
    config.worker_threads = 2;
    config.max_wait_seconds = kWaitSeconds;
    auto service = CatalogService::Start(config);
    EXPECT_TRUE(service.ok()) << service.status().ToString();
    return service.ok() ? std::move(*service) : nullptr;
  }

  HttpResult Call(CatalogService& catalog, const std::string& method, const std::string& target,
                  const std::string& token, const json& body = nullptr, std::map<std::string, std::string> headers = {}) {
    headers["Authorization"] = "Bearer " + token;
    return HttpClient(catalog.port()).Request(method, target, body.is_null() ? "" : body.dump(), headers);
  }

  // A real document bundle, registered through catalog A the way the origin does.
  std::string RegisterBundle(const std::string& title) {
    const fs::path src = tmp_ / (title + ".pdf");
    lm::testing::WriteFile(src, "%PDF-1.4\n% " + title + "\n%%EOF\n");
    transcoder::BundleOptions o;
    o.metadata = {title, "王老师", "物理", "八年级"};
    auto bundle = transcoder::MakeBundle(src, tmp_ / "bundles" / title, o);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    if (!bundle.ok()) return "";
    json body = {{"manifest", json::parse(lm::testing::ReadFile(bundle->dir / "lesson.json"))},
                 {"torrent_base64", Base64Encode(lm::testing::ReadFile(bundle->dir / "lesson.torrent"))},
                 {"info_hash_v1", bundle->info_hash_v1},
                 {"info_hash_v2", bundle->info_hash_v2},
                 {"school_id", "tianhe-3"}};
    auto r = Call(*a_, "POST", "/v1/lessons", origin_, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return bundle->id;
  }

  // Publishes (POST) or republishes (PUT /v1/packs/ID) the pack through `catalog`.
  json Publish(CatalogService& catalog, const std::string& method, const std::string& target) {
    auto r = Call(catalog, method, target, admin_,
                  {{"title", "八年级物理 光学资源包"},
                   {"items", {{{"lesson_id", lesson_}, {"needed_by", "2026-12-01"}}}},
                   {"targets", {{"communities", {"th-ch-1"}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  // The polls parked on `catalog`, as its /metrics says.
  int PollsWaiting(CatalogService& catalog) {
    auto m = HttpClient(catalog.port()).Request("GET", "/metrics");
    const std::string name = "lessonmesh_edge_polls_waiting ";
    const size_t at = m.body.find("\n" + name);
    return at == std::string::npos ? -1 : std::stoi(m.body.substr(at + 1 + name.size()));
  }

  lm::testing::TempDir tmp_;
  std::string uri_;
  std::unique_ptr<CatalogService> a_, b_;
  std::string admin_, origin_, edge_, lesson_;
};

INSTANTIATE_TEST_SUITE_P(SharedDatabase, CatalogScaleOutTest, ::testing::Values(StoreBackend::kPostgresql),
                         lm::testing::BackendName);

TEST_P(CatalogScaleOutTest, APackPublishedThroughOneCatalogIsServedSignedAlikeByTheOther) {
  EXPECT_EQ(a_->public_key_base64(), b_->public_key_base64()) << "both read the one signing key file";
  const json published = Publish(*a_, "POST", "/v1/packs");
  ASSERT_TRUE(published.contains("pack_id")) << published.dump();

  auto through_b = Call(*b_, "GET", "/v1/edges/conghua-lx/packs", edge_);
  ASSERT_EQ(through_b.status, 200) << through_b.body;
  const json list = json::parse(through_b.body);
  ASSERT_EQ(list["packs"].size(), 1u) << list.dump();
  const json& pack = list["packs"][0];
  EXPECT_EQ(pack["pack_id"], published["pack_id"]);
  EXPECT_EQ(pack["version"], 1);
  EXPECT_EQ(pack["manifest"], published["manifest"]);
  // B's public key verifies what A signed.
  auto keys = HttpClient(b_->port()).Request("GET", "/v1/keys");
  const std::string b_key = json::parse(keys.body)["public_key"];
  EXPECT_TRUE(VerifySignature(b_key, pack["manifest"].get<std::string>(), pack["signature"].get<std::string>()).ok());
  // Both answer with one ETag for one list.
  auto through_a = Call(*a_, "GET", "/v1/edges/conghua-lx/packs", edge_);
  EXPECT_EQ(through_a.Header("etag"), through_b.Header("etag"));
}

TEST_P(CatalogScaleOutTest, ALongPollOnOneCatalogWakesWhenAPackIsPublishedThroughTheOther) {
  auto first = Call(*b_, "GET", "/v1/edges/conghua-lx/packs", edge_);
  ASSERT_EQ(first.status, 200) << first.body;
  std::string etag = first.Header("etag");
  std::int64_t pack_id = 0;

  for (int version = 1; version <= 2; ++version) {
    SCOPED_TRACE("pack version " + std::to_string(version));
    auto poll = std::async(std::launch::async, [&, etag] {
      return Call(*b_, "GET", "/v1/edges/conghua-lx/packs?wait=" + std::to_string(kWaitSeconds), edge_, nullptr,
                  {{"If-None-Match", etag}});
    });
    // Publish only once the poll is parked on B, so that only a wake-up can answer it.
    ASSERT_TRUE(lm::testing::WaitFor([&] { return PollsWaiting(*b_) == 1; }, 20, 10)) << "the poll never parked";
    ASSERT_NE(poll.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);

    const auto published_at = std::chrono::steady_clock::now();
    const json published = version == 1 ? Publish(*a_, "POST", "/v1/packs")
                                        : Publish(*a_, "PUT", "/v1/packs/" + std::to_string(pack_id));
    ASSERT_EQ(published.value("version", 0), version) << published.dump();
    pack_id = published["pack_id"];
    ASSERT_EQ(poll.wait_for(lm::testing::ScaledDuration(10)), std::future_status::ready)
        << "a publish through A did not wake the poll parked on B";
    const auto waited = std::chrono::steady_clock::now() - published_at;
    EXPECT_LT(waited, lm::testing::ScaledDuration(5)) << "woken far sooner than the " << kWaitSeconds << " s wait";

    const HttpResult woke = poll.get();
    ASSERT_EQ(woke.status, 200) << woke.body;
    const json list = json::parse(woke.body);
    ASSERT_EQ(list["packs"].size(), 1u) << list.dump();
    EXPECT_EQ(list["packs"][0]["pack_id"], pack_id);
    EXPECT_EQ(list["packs"][0]["version"], version);
    EXPECT_NE(woke.Header("etag"), etag);
    etag = woke.Header("etag");
    EXPECT_EQ(PollsWaiting(*b_), 0);
  }
}

// A's own polls wake through the same announcement: a publish wakes each catalog's polls once.
TEST_P(CatalogScaleOutTest, ALongPollOnThePublishingCatalogWakesToo) {
  auto first = Call(*a_, "GET", "/v1/edges/conghua-lx/packs", edge_);
  const std::string etag = first.Header("etag");
  auto poll = std::async(std::launch::async, [&] {
    return Call(*a_, "GET", "/v1/edges/conghua-lx/packs?wait=" + std::to_string(kWaitSeconds), edge_, nullptr,
                {{"If-None-Match", etag}});
  });
  ASSERT_TRUE(lm::testing::WaitFor([&] { return PollsWaiting(*a_) == 1; }, 20, 10)) << "the poll never parked";
  Publish(*a_, "POST", "/v1/packs");
  ASSERT_EQ(poll.wait_for(lm::testing::ScaledDuration(10)), std::future_status::ready);
  const HttpResult woke = poll.get();
  ASSERT_EQ(woke.status, 200) << woke.body;
  EXPECT_EQ(json::parse(woke.body)["packs"][0]["version"], 1);
}

}  // namespace
}  // namespace lm::catalog
