// The whole origin on loopback, with a real catalog: a teacher's upload becomes a job, a bundle,
// a lesson in the catalog and a torrent that a BitTorrent client downloads from the origin's
// seeder through its tracker; a catalog that is down delays registration and loses nothing; the
// same bytes twice are one lesson; bad requests are refused and change nothing.

#include "origin/origin_service.h"

#include <gtest/gtest.h>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <thread>

#include "common/xxh3.h"
#include "tests/testing/catalog_fixture.h"
#include "tests/testing/http_client.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"
#include "tests/testing/tus_upload.h"

namespace lm::origin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;


class OriginServiceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    clip_dir_ = new lm::testing::TempDir();
    lm::testing::ClipSpec spec;
    spec.seconds = 4;
    spec.width = 320;
    spec.height = 240;
    ASSERT_TRUE(lm::testing::MakeClip(*clip_dir_ / "lesson.mp4", spec));
    clip_ = new std::string(ReadFile(*clip_dir_ / "lesson.mp4"));
  }
  static void TearDownTestSuite() {
    delete clip_;
    delete clip_dir_;
  }

  void SetUp() override {
    ASSERT_TRUE(catalog_.Start());
    origin_token_ = catalog_.Token(catalog::Role::kOrigin);
    teacher_ = catalog_.Token(catalog::Role::kTeacher, "tianhe-3");
    other_teacher_ = catalog_.Token(catalog::Role::kTeacher, "conghua-lx");
    edge_ = catalog_.Token(catalog::Role::kEdge, "conghua-lx");
    admin_ = catalog_.Token(catalog::Role::kAdmin);
    config_.port = 0;
    config_.torrent_port = 0;
    config_.lsd = false;
    config_.data_dir = (tmp_ / "origin").string();
    config_.catalog_url = catalog_.url();
    config_.catalog_token = origin_token_;
    auto origin = OriginService::Start(config_);
    ASSERT_TRUE(origin.ok()) << origin.status().ToString();
    origin_ = std::move(*origin);
  }

  lm::testing::HttpResult Get(const std::string& target, const std::string& token) {
    return HttpClient(origin_->http_port()).Request("GET", target, "", {{"Authorization", "Bearer " + token}});
  }

  // The job of an upload once `ready` holds for it, or null after the deadline.
  json WaitForJob(const std::string& upload_id, const std::function<bool(const json&)>& ready, double seconds = 120) {
    json job;
    WaitFor([&] {
      auto r = Get("/v1/jobs?upload=" + upload_id, teacher_);
      if (r.status != 200) return false;
      job = json::parse(r.body);
      return ready(job) || job["state"] == "failed";
    }, seconds);
    return job;
  }

  std::string Upload(const std::string& bytes, std::size_t chunk = 256 * 1024) {
    auto up = lm::testing::TusUpload(origin_->http_port(), teacher_, bytes,
                                     {{"title", "分数的初步认识"}, {"teacher", "王老师"}, {"subject", "数学"},
                                      {"grade", "三年级"}, {"filename", "fenshu.mp4"}},
                                     chunk);
    EXPECT_FALSE(up.upload_id.empty()) << up.failed_status << " " << up.error;
    return up.upload_id;
  }

  static bool DoneAndRegistered(const json& j) { return j["state"] == "done" && j.value("registered", false); }

  static inline lm::testing::TempDir* clip_dir_ = nullptr;
  static inline std::string* clip_ = nullptr;
  lm::testing::TempDir tmp_;
  lm::testing::CatalogFixture catalog_{tmp_ / "catalog"};
  OriginConfig config_;
  std::unique_ptr<OriginService> origin_;
  std::string origin_token_, teacher_, other_teacher_, edge_, admin_;
};

TEST_F(OriginServiceTest, UploadBecomesARegisteredLessonThatPeersDownload) {
  const std::string upload_id = Upload(*clip_);
  const json job = WaitForJob(upload_id, DoneAndRegistered);
  ASSERT_TRUE(DoneAndRegistered(job)) << job.dump();
  EXPECT_EQ(job["progress"], 1.0);
  const std::string lesson_id = job["lesson_id"];

  // The catalog has the lesson, with the metadata the teacher gave and the teacher's school.
  auto in_catalog = HttpClient(catalog_.port()).Request("GET", "/v1/lessons/" + lesson_id, "",
                                                        {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(in_catalog.status, 200) << in_catalog.body;
  const json lesson = json::parse(in_catalog.body);
  EXPECT_EQ(lesson["title"], "分数的初步认识");
  EXPECT_EQ(lesson["subject"], "数学");
  EXPECT_EQ(lesson["school_id"], "tianhe-3");

  // The bundle is served for playback and as web seed.
  const fs::path bundle = fs::path(config_.data_dir) / "bundles" / lesson_id;
  auto master = HttpClient(origin_->http_port()).Request("GET", "/bundles/" + lesson_id + "/master.m3u8");
  ASSERT_EQ(master.status, 200);
  EXPECT_EQ(master.body, ReadFile(bundle / "master.m3u8"));

  // A BitTorrent client with no web seed finds the origin through the tracker and downloads
  // every file; the bytes hash to what lesson.json says.
  lt::settings_pack pack;
  pack.set_str(lt::settings_pack::listen_interfaces, "127.0.0.1:0");
  pack.set_bool(lt::settings_pack::enable_dht, false);
  pack.set_bool(lt::settings_pack::enable_lsd, false);
  pack.set_bool(lt::settings_pack::enable_upnp, false);
  pack.set_bool(lt::settings_pack::enable_natpmp, false);
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  lt::session client(pack);
  lt::add_torrent_params atp;
  lt::error_code ec;
  atp.ti = std::make_shared<lt::torrent_info>((bundle / "lesson.torrent").string(), ec);
  ASSERT_FALSE(ec) << ec.message();
  atp.ti->clear_web_seeds();
  atp.save_path = (tmp_ / "client").string();
  lt::torrent_handle h = client.add_torrent(atp, ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(WaitFor([&] { return h.status().is_seeding; }, 90))
      << "state " << h.status().state << " peers " << h.status().num_peers;
  const json manifest = json::parse(ReadFile(bundle / "lesson.json"));
  ASSERT_FALSE(manifest["files"].empty());
  for (const auto& f : manifest["files"]) {
    const std::string bytes = ReadFile(tmp_ / "client" / lesson_id / f["path"].get<std::string>());
    EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), f["size"].get<std::int64_t>()) << f["path"];
    EXPECT_EQ(Xxh3Of(bytes).Hex(), f["xxh3_128"]) << f["path"];
  }

  // The same bytes again: the same lesson, one bundle on disk.
  const std::string again = Upload(*clip_);
  const json second = WaitForJob(again, DoneAndRegistered);
  ASSERT_TRUE(DoneAndRegistered(second)) << second.dump();
  EXPECT_EQ(second["lesson_id"], lesson_id);
  int bundles = 0;
  for (const auto& e : fs::directory_iterator(fs::path(config_.data_dir) / "bundles")) bundles += e.is_directory();
  EXPECT_EQ(bundles, 1);
}

TEST_F(OriginServiceTest, CatalogDownDelaysRegistrationAndLosesNothing) {
  // The token is checked while the catalog is up; then it goes away before the bundle is done.
  const std::string upload_id = Upload(*clip_);
  catalog_.Stop();
  const json done = WaitForJob(upload_id, [](const json& j) { return j["state"] == "done"; });
  ASSERT_EQ(done["state"], "done") << done.dump();
  EXPECT_FALSE(done["registered"].get<bool>());
  ASSERT_TRUE(catalog_.Start());
  const json registered = WaitForJob(upload_id, DoneAndRegistered, 90);
  ASSERT_TRUE(DoneAndRegistered(registered)) << registered.dump();
  auto in_catalog = HttpClient(catalog_.port()).Request(
      "GET", "/v1/lessons/" + registered["lesson_id"].get<std::string>(), "", {{"Authorization", "Bearer " + admin_}});
  EXPECT_EQ(in_catalog.status, 200) << in_catalog.body;
}

TEST_F(OriginServiceTest, NotMediaFailsTheJobWithAClearReason) {
  const std::string upload_id = Upload(std::string(100000, 'x'));
  const json job = WaitForJob(upload_id, [](const json& j) { return j["state"] == "failed"; }, 60);
  ASSERT_EQ(job["state"], "failed") << job.dump();
  EXPECT_NE(job["error"].get<std::string>().find("neither media nor a known document"), std::string::npos)
      << job.dump();
  EXPECT_EQ(job["attempts"], 1);
}

TEST_F(OriginServiceTest, BadRequestsAreRefusedAndChangeNothing) {
  // Uploading needs a teacher's token.
  auto none = lm::testing::TusUpload(origin_->http_port(), "", "abc", {}, 10);
  EXPECT_EQ(none.failed_status, 401);
  auto unknown = lm::testing::TusUpload(origin_->http_port(), "not-a-token", "abc", {}, 10);
  EXPECT_EQ(unknown.failed_status, 401);
  auto edge = lm::testing::TusUpload(origin_->http_port(), edge_, "abc", {}, 10);
  EXPECT_EQ(edge.failed_status, 403);

  // Jobs: only the uploader sees one; ids are checked.
  const std::string upload_id = Upload(std::string(1000, 'x'));
  const json job = WaitForJob(upload_id, [](const json& j) { return j["state"] == "failed"; }, 60);
  const std::string job_path = "/v1/jobs/" + std::to_string(job["id"].get<std::int64_t>());
  EXPECT_EQ(Get(job_path, teacher_).status, 200);
  EXPECT_EQ(Get(job_path, other_teacher_).status, 403);
  EXPECT_EQ(Get(job_path, edge_).status, 403);
  EXPECT_EQ(Get(job_path, "").status, 401);
  EXPECT_EQ(Get("/v1/jobs/999999", teacher_).status, 404);
  EXPECT_EQ(Get("/v1/jobs/-1", teacher_).status, 404);
  auto bad_upload = Get("/v1/jobs?upload=../../etc", teacher_);
  EXPECT_EQ(bad_upload.status, 400);
  EXPECT_EQ(json::parse(bad_upload.body)["field"], "upload");

  // Nothing outside a bundle is served.
  HttpClient web(origin_->http_port());
  EXPECT_EQ(web.Request("GET", "/bundles/../jobs.db").status, 404);
  EXPECT_EQ(web.Request("GET", "/bundles/%2e%2e/jobs.db").status, 404);
  EXPECT_EQ(web.Request("GET", "/nothing-here").status, 404);
  // The tracker knows no torrent it does not seed.
  auto announce = web.Request("GET", "/announce?info_hash=%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13"
                                     "&peer_id=-LM0001-abcdefghijkl&port=6881&left=0");
  EXPECT_EQ(announce.status, 200);
  EXPECT_NE(announce.body.find("failure reason"), std::string::npos) << announce.body;
}

}  // namespace
}  // namespace lm::origin
