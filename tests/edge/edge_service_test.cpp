// The school box against a real catalog and origin on loopback: a pack of two lessons arrives
// complete, verified against lesson.json, served with Range, with the renditions the school does
// not keep never on disk; the classroom finds a lesson by a Chinese word; play events reach the
// catalog's monthly report exactly once; a manifest that is tampered with, signed by another key
// or meant for another school is refused while the version accepted before stays in force.

#include "edge/edge_service.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <ctime>
#include <mutex>

#include "bundle/lesson_manifest.h"
#include "common/http/http_client.h"
#include "common/http/http_server.h"
#include "common/xxh3.h"
#include "tests/edge/edge_lab.h"
#include "tests/testing/http_client.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

class EdgeServiceTest : public lm::testing::EdgeLab {
 protected:
  static void SetUpTestSuite() {
    clips_ = new lm::testing::TempDir();
    lm::testing::ClipSpec spec;
    spec.seconds = 4;
    spec.width = 320;
    spec.height = 240;
    ASSERT_TRUE(lm::testing::MakeClip(*clips_ / "a.mp4", spec));
    spec.fps = "25";
    ASSERT_TRUE(lm::testing::MakeClip(*clips_ / "b.mp4", spec));
  }
  static void TearDownTestSuite() { delete clips_; }

  void TearDown() override {
    if (edge_) edge_->Stop();
    EdgeLab::TearDown();
  }

  std::string UploadLesson(const fs::path& clip, const std::string& title) { return Register(ReadFile(clip), title); }

  json Publish(const std::vector<std::pair<std::string, std::string>>& items, const json& targets,
               const std::string& method = "POST", const std::string& target = "/v1/packs") {
    std::vector<std::tuple<std::string, std::string, std::string>> full;
    for (const auto& [id, needed_by] : items) full.emplace_back(id, needed_by, "");
    return EdgeLab::Publish(full, targets, method, target);
  }

  void StartEdge(const EdgeConfig& c) {
    auto edge = EdgeService::Start(c);
    ASSERT_TRUE(edge.ok()) << edge.status().ToString();
    edge_ = std::move(*edge);
  }

  lm::testing::HttpResult Edge(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return HttpClient(edge_->http_port()).Request("GET", target, "", headers);
  }

  json PlayableIds(const std::string& query = "") { return lm::testing::PlayableIds(edge_->http_port(), query); }

  static inline lm::testing::TempDir* clips_ = nullptr;
  std::unique_ptr<EdgeService> edge_;
};

TEST_F(EdgeServiceTest, PackArrivesVerifiedServedAndPlaysAreReportedOnce) {
  const std::string fractions = UploadLesson(*clips_ / "a.mp4", "分数的初步认识");
  const std::string addition = UploadLesson(*clips_ / "b.mp4", "10以内的加法");
  ASSERT_FALSE(fractions.empty());
  ASSERT_FALSE(addition.empty());
  Publish({{fractions, "2026-12-07"}, {addition, "2026-12-14"}}, {{"communities", {"th-ch-1"}}});
  StartEdge(EdgeSettings());

  ASSERT_TRUE(WaitFor([&] { return PlayableIds().size() == 2; }, kDeadlineSeconds))
      << Edge("/v1/downloads").body << Edge("/v1/lessons").body;

  for (const std::string& id : {fractions, addition}) {
    const fs::path held = tmp_ / "edge" / "lessons" / id;
    const fs::path source = tmp_ / "origin" / "bundles" / id;
    auto manifest = bundle::ReadLessonManifest(held);
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    // Every kept file matches lesson.json; the renditions not kept were never written.
    for (const auto& f : manifest->files) {
      const bool kept = f.path.rfind("audio.", 0) != 0;
      EXPECT_EQ(fs::exists(held / f.path), kept) << f.path;
      if (kept) {
        EXPECT_EQ(Xxh3Of(ReadFile(held / f.path)).Hex(), f.xxh3_128) << f.path;
      }
    }
    // Served with Range, the bytes the origin holds.
    const std::string mp4 = ReadFile(source / "240p.mp4");
    auto part = Edge("/lessons/" + id + "/240p.mp4", {{"Range", "bytes=100-1099"}});
    ASSERT_EQ(part.status, 206) << part.body;
    EXPECT_EQ(part.body, mp4.substr(100, 1000));
    EXPECT_EQ(part.Header("content-type"), "video/mp4");
    EXPECT_EQ(Edge("/lessons/" + id + "/audio.mp4").status, 404);
    const std::string master = Edge("/lessons/" + id + "/master.m3u8").body;
    EXPECT_NE(master.find("240p.m3u8"), std::string::npos) << master;
    EXPECT_EQ(master.find("audio.m3u8"), std::string::npos) << master;
  }
  EXPECT_EQ(Edge("/lessons/" + fractions + "/../../state.db").status, 404);

  // The classroom's search, in Chinese, over what is held.
  EXPECT_EQ(PlayableIds("?q=%E5%88%86%E6%95%B0"), json::array({fractions}));  // 分数
  const json one = json::parse(Edge("/v1/lessons/" + fractions).body);
  EXPECT_EQ(one["teacher"], "王老师");
  EXPECT_EQ(one["needed_by"], "2026-12-07");
  EXPECT_EQ(one["renditions"], json::array({"240p"}));

  // One viewing, as the classroom page reports it: a start, progress every 30 s, an end; the
  // progress event posted twice by a page that retried is stored once, reported once.
  const std::int64_t started = std::time(nullptr);
  auto event = [&](int seq, const char* kind, double seconds) {
    return json{{"event_id", "viewing-1-" + std::to_string(seq)}, {"lesson_id", fractions}, {"rendition", "240p"},
                {"seconds", seconds}, {"started_at", started}, {"kind", kind}};
  };
  EXPECT_EQ(HttpClient(edge_->http_port()).Request("POST", "/v1/plays", event(0, "start", 0).dump()).status, 201);
  EXPECT_EQ(HttpClient(edge_->http_port()).Request("POST", "/v1/plays", event(1, "progress", 30).dump()).status, 201);
  EXPECT_EQ(HttpClient(edge_->http_port()).Request("POST", "/v1/plays", event(1, "progress", 30).dump()).status, 200);
  EXPECT_EQ(HttpClient(edge_->http_port()).Request("POST", "/v1/plays", event(2, "end", 90).dump()).status, 201);
  EXPECT_EQ(HttpClient(edge_->http_port()).Request("POST", "/v1/plays", event(3, "rewind", 1).dump()).status, 400);
  char month[8];
  const std::time_t t = started;
  std::strftime(month, sizeof(month), "%Y-%m", std::gmtime(&t));
  json report;
  ASSERT_TRUE(WaitFor([&] {
    auto r = Catalog("GET", std::string("/v1/reports/monthly?month=") + month);
    if (r.status != 200) return false;
    report = json::parse(r.body);
    return !report["rows"].empty() && json::parse(Edge("/v1/status").body)["plays_pending"] == 0;
  }, kDeadlineSeconds)) << report.dump();
  ASSERT_EQ(report["rows"].size(), 1u);
  EXPECT_EQ(report["rows"][0]["plays"], 1);
  EXPECT_DOUBLE_EQ(report["rows"][0]["minutes"].get<double>(), 2.0);
  // The coverage report sees the school complete.
  json coverage;
  ASSERT_TRUE(WaitFor([&] {
    coverage = json::parse(Catalog("GET", "/v1/reports/coverage?community=th-ch-1").body);
    for (const auto& s : coverage["schools"]) {
      if (s["school_id"] == "conghua-lx" && !s["packs"].empty() && s["packs"][0]["share_complete"] == 1.0) return true;
    }
    return false;
  }, kDeadlineSeconds)) << coverage.dump();
}

// A stand-in for the catalog's packs feed that serves what the test tells it to, and passes every
// other request (lesson torrents) to the real catalog.
class FeedProxy {
 public:
  explicit FeedProxy(std::string catalog_url) : catalog_url_(std::move(catalog_url)) {
    auto server = http::HttpServer::Start(
        http::ServerOptions{}, [this](http::Request r, http::Responder respond) { respond(Handle(r)); },
        [](const std::string&, const std::string&) -> std::size_t { return 1 << 20; });
    EXPECT_TRUE(server.ok());
    server_ = std::move(*server);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }
  void Serve(json feed) {
    std::lock_guard lock(mu_);
    feed_ = std::move(feed);
    ++generation_;
  }

 private:
  http::Reply Handle(const http::Request& r) {
    if (r.path.find("/packs") != std::string::npos) {
      std::lock_guard lock(mu_);
      const std::string etag = "\"feed-" + std::to_string(generation_) + "\"";
      http::Reply reply = http::JsonReply(200, feed_.dump());
      if (r.Header("if-none-match") == etag) {
        reply.status = 304;
        reply.body.clear();
      }
      reply.headers.push_back({"ETag", etag});
      return reply;
    }
    http::ClientRequest forward;
    forward.url = catalog_url_ + r.target;
    forward.headers["Authorization"] = r.Header("authorization");
    auto reply = http::Fetch(forward);
    if (!reply.ok()) return http::ErrorReply(502, "bad_gateway", reply.status().message());
    http::Reply out;
    out.status = reply->status;
    out.content_type = reply->Header("content-type");
    out.body = reply->body;
    return out;
  }

  std::string catalog_url_;
  std::mutex mu_;
  json feed_ = {{"packs", json::array()}};
  int generation_ = 0;
  std::unique_ptr<http::HttpServer> server_;
};

// A teacher edits a lesson's chapters after the schools have it: the new version (a new
// lesson.json, so a new lesson id and info hash) takes the old one's place in the pack, and the
// school box starts it from the video, audio and poster files it already holds. What crosses the
// link is lesson.json's piece, not the media; the new version is verified and served.
TEST_F(EdgeServiceTest, ARevisedLessonDownloadsOnlyWhatChanged) {
  const std::string lesson = UploadLesson(*clips_ / "a.mp4", "分数的初步认识");
  ASSERT_FALSE(lesson.empty());
  Publish({{lesson, "2026-12-07"}}, {{"communities", {"th-ch-1"}}});
  StartEdge(EdgeSettings());
  ASSERT_TRUE(WaitFor([&] { return PlayableIds().size() == 1; }, kDeadlineSeconds)) << Edge("/v1/downloads").body;
  auto received = [&] {  // payload received by the lessons in the edge's session
    const std::string m = Edge("/metrics").body;
    const std::string name = "\nlessonmesh_edge_downloaded_bytes ";
    const size_t at = m.find(name);
    return at == std::string::npos ? std::int64_t{-1} : std::stoll(m.substr(at + name.size()));
  };
  const std::int64_t before = received();
  ASSERT_GT(before, 0);

  const json chapters = {{"chapters", {{{"start_s", 0}, {"end_s", 2}, {"title", "导入"}}, {{"start_s", 2}, {"end_s", 4}, {"title", "新课"}}}}};
  const auto set = Origin().Request("PUT", "/v1/lessons/" + lesson + "/chapters", chapters.dump(),
                                    {{"Authorization", "Bearer " + teacher_}, {"Content-Type", "application/json"}});
  ASSERT_EQ(set.status, 201) << set.body;
  const std::string revised = json::parse(set.body)["lesson_id"];
  ASSERT_NE(revised, lesson);
  ASSERT_TRUE(WaitFor([&] {
    const json ids = PlayableIds();
    return std::find(ids.begin(), ids.end(), revised) != ids.end();
  }, kDeadlineSeconds)) << Edge("/v1/downloads").body;

  // Every kept file of the new version matches its lesson.json and is served; the chapters came.
  const fs::path held = tmp_ / "edge" / "lessons" / revised;
  auto manifest = bundle::ReadLessonManifest(held);
  ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
  ASSERT_EQ(manifest->chapters.size(), 2u);
  EXPECT_EQ(manifest->chapters[1].title, "新课");
  std::int64_t media_bytes = 0;
  for (const auto& f : manifest->files) {
    if (!fs::exists(held / f.path)) continue;  // a rendition this school does not keep
    const std::string bytes = ReadFile(held / f.path);
    EXPECT_EQ(Xxh3Of(bytes).Hex(), f.xxh3_128) << f.path;
    media_bytes += f.size_bytes;
  }
  const std::string lesson_json = ReadFile(held / bundle::kLessonManifestFile);
  // The old version is still held (nothing needed its room), so the payload counter went up by
  // what the new one received alone.
  EXPECT_TRUE(fs::exists(tmp_ / "edge" / "lessons" / lesson / bundle::kLessonManifestFile));
  const std::int64_t fetched = received() - before;
  std::cout << "[          ] revised lesson: " << fetched << " bytes received of " << media_bytes
            << " held (lesson.json " << lesson_json.size() << " bytes)\n";
  EXPECT_GE(fetched, static_cast<std::int64_t>(lesson_json.size()));
  EXPECT_LT(fetched, media_bytes / 4) << "the media crossed the link again";
  const auto served = Edge("/lessons/" + revised + "/" + bundle::kLessonManifestFile);
  EXPECT_EQ(served.status, 200);
  EXPECT_TRUE(served.body == lesson_json);
}

TEST_F(EdgeServiceTest, TamperedForeignOrWronglySignedPacksAreRefusedAndTheEarlierVersionStays) {
  const std::string fractions = UploadLesson(*clips_ / "a.mp4", "分数的初步认识");
  ASSERT_FALSE(fractions.empty());
  const json v1 = Publish({{fractions, "2026-12-07"}}, {{"communities", {"th-ch-1"}}});
  const std::int64_t pack_id = v1["pack_id"];
  auto signed_v1 = json::parse(Catalog("GET", "/v1/packs/" + std::to_string(pack_id)).body);
  FeedProxy feed(catalog_.url());
  feed.Serve({{"school", "conghua-lx"}, {"communities", {"th-ch-1"}}, {"packs", {signed_v1}}});
  StartEdge(EdgeSettings(feed.url()));
  ASSERT_TRUE(WaitFor([&] { return PlayableIds().size() == 1; }, kDeadlineSeconds)) << Edge("/v1/downloads").body;

  auto refused = [&] { return json::parse(Edge("/v1/status").body)["packs_refused"].get<int>(); };
  // Version 2, changed by one byte on the way.
  json v2 = Publish({{fractions, "2026-12-21"}}, {{"communities", {"th-ch-1"}}}, "PUT",
                    "/v1/packs/" + std::to_string(pack_id));
  auto signed_v2 = json::parse(Catalog("GET", "/v1/packs/" + std::to_string(pack_id)).body);
  json tampered = signed_v2;
  std::string bytes = tampered["manifest"];
  bytes.replace(bytes.find("2026-12-21"), 10, "2026-12-22");
  tampered["manifest"] = bytes;
  feed.Serve({{"school", "conghua-lx"}, {"communities", {"th-ch-1"}}, {"packs", {tampered}}});
  ASSERT_TRUE(WaitFor([&] { return refused() >= 1; }, kDeadlineSeconds));
  // Signed by the catalog, but for another school only.
  const json foreign = Publish({{fractions, "2026-12-09"}}, {{"schools", {"other"}}});
  auto signed_foreign = json::parse(Catalog("GET", "/v1/packs/" + std::to_string(foreign["pack_id"].get<int>())).body);
  feed.Serve({{"school", "conghua-lx"}, {"communities", {"th-ch-1"}}, {"packs", {signed_v1, signed_foreign}}});
  ASSERT_TRUE(WaitFor([&] { return refused() >= 2; }, kDeadlineSeconds));
  // Signed by another key.
  json forged = signed_v2;
  forged["signature"] = signed_foreign["signature"];
  feed.Serve({{"school", "conghua-lx"}, {"communities", {"th-ch-1"}}, {"packs", {forged}}});
  ASSERT_TRUE(WaitFor([&] { return refused() >= 3; }, kDeadlineSeconds));

  // Version 1 is still in force: the lesson is still offered, needed by its first date.
  const json one = json::parse(Edge("/v1/lessons/" + fractions).body);
  EXPECT_EQ(one["playable"], true);
  EXPECT_EQ(one["needed_by"], "2026-12-07");
  EXPECT_EQ(one["packs"], json::array({pack_id}));
  const std::string metrics = Edge("/metrics").body;
  EXPECT_NE(metrics.find("lessonmesh_edge_packs_refused_total 3"), std::string::npos) << metrics;

  // The genuine version 2 is accepted.
  feed.Serve({{"school", "conghua-lx"}, {"communities", {"th-ch-1"}}, {"packs", {signed_v2}}});
  ASSERT_TRUE(WaitFor([&] { return json::parse(Edge("/v1/lessons/" + fractions).body)["needed_by"] == "2026-12-21"; },
                      kDeadlineSeconds));
  (void)v2;
}

}  // namespace
}  // namespace lm::edge
