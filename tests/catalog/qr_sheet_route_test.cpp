// The catalog's QR sheet of a pack (GET /v1/packs/ID/qr.pdf) read back as a school would: a pack of
// a video lesson (its poster served by a stand-in origin's web seed) and two courseware documents,
// all with Chinese titles. The PDF is rasterised by pdftoppm at 150 dpi and every code decoded by
// zbarimg to http://<lan_name>/l/<lesson id>, each item's exactly once; pdftotext finds the titles,
// the teacher and the community's name; the poster is embedded when the origin serves the bytes
// lesson.json names, and is an empty frame when it serves others. Supervisors may print it too.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "bundle/bundle_files.h"
#include "common/base64.h"
#include "common/lesson_link.h"
#include "tests/catalog/catalog_api_fixture.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/pdf_reading.h"
#include "transcoder/bundle.h"

namespace lm::catalog {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::string NoSpace(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

class QrSheetRouteTest : public CatalogApiFixture {
 protected:
  void TearDown() override {
    if (origin_files_) origin_files_->Stop();
    CatalogApiFixture::TearDown();
  }
  std::unique_ptr<http::HttpServer> origin_files_;
};

// The sheet is about PDF and codes, not storage: the SQLite store is enough.
INSTANTIATE_TEST_SUITE_P(Sqlite, QrSheetRouteTest, ::testing::Values(testing::StoreBackend::kSqlite),
                         testing::BackendName);

TEST_P(QrSheetRouteTest, EveryCodeDecodesToItsLessonsLinkAndTheChineseTitlesAreInThePdf) {
  MakeSchools();
  // The origin's web seed, serving the bundles under tmp_/bundles.
  const bundle::BundleFiles files(tmp_ / "bundles", "/bundles");
  auto server = http::HttpServer::Start(
      http::ServerOptions{}, [&files](http::Request r, http::Responder respond) { respond(files.Handle(r)); },
      [](const std::string&, const std::string&) -> std::size_t { return 1024; });
  ASSERT_TRUE(server.ok());
  origin_files_ = std::move(*server);

  testing::ClipSpec spec;
  spec.seconds = 2;
  spec.width = 320;
  spec.height = 180;
  ASSERT_TRUE(testing::MakeClip(tmp_ / "lesson.mp4", spec));
  transcoder::BundleOptions o;
  o.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
  o.web_seeds = {"http://127.0.0.1:" + std::to_string(origin_files_->port()) + "/bundles/"};
  auto lesson = transcoder::MakeBundleUnder(tmp_ / "lesson.mp4", tmp_ / "bundles", o);
  ASSERT_TRUE(lesson.ok()) << lesson.status().ToString();
  const json body = {{"manifest", json::parse(testing::ReadFile(lesson->dir / "lesson.json"))},
                     {"torrent_base64", Base64Encode(testing::ReadFile(lesson->dir / "lesson.torrent"))},
                     {"info_hash_v1", lesson->info_hash_v1},
                     {"info_hash_v2", lesson->info_hash_v2},
                     {"school_id", "tianhe-3"},
                     {"description", "微课"},
                     {"tags", {"分数"}}};
  ASSERT_EQ(Call("POST", "/v1/lessons", origin_, body).status, 201);
  const std::vector<std::string> ids = {lesson->id, RegisterDocument("古诗两首课件"), RegisterDocument("认识钟表练习")};

  json items = json::array();
  for (const auto& id : ids) items.push_back({{"lesson_id", id}, {"needed_by", "2026-12-07"}});
  auto pack = Call("POST", "/v1/packs", admin_,
                   {{"title", "三年级数学微课包"}, {"items", items}, {"targets", {{"communities", {"th-ch-1"}}}}});
  ASSERT_EQ(pack.status, 201) << pack.body;
  const std::string target = "/v1/packs/" + std::to_string(json::parse(pack.body)["pack_id"].get<int>()) + "/qr.pdf";

  auto sheet = Call("GET", target, admin_);
  ASSERT_EQ(sheet.status, 200) << sheet.body;
  EXPECT_EQ(sheet.Header("content-type"), "application/pdf");
  EXPECT_NE(sheet.body.find("/DCTDecode"), std::string::npos) << "the lesson's poster, from the web seed";
  const testing::PdfPages read = testing::DecodePdfQrCodes(sheet.body, tmp_.path());
  ASSERT_EQ(read.error, "");
  EXPECT_EQ(read.pages, 1);
  EXPECT_EQ(read.page_size, "595.276 x 841.89 pts (A4)");
  std::vector<std::string> decoded = read.qr_codes, expected;
  for (const auto& id : ids) expected.push_back(LessonLinkUrl(kDefaultLanName, id));
  std::sort(decoded.begin(), decoded.end());
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(decoded, expected) << "each item's link exactly once";
  const std::string text = NoSpace(testing::PdfText(sheet.body, tmp_.path()));
  for (const char* want : {"三年级数学微课包", "分数的初步认识", "古诗两首课件", "认识钟表练习", "天河—从化城乡教共体",
                           "主讲：王老师", "时长：0:02"}) {
    EXPECT_NE(text.find(want), std::string::npos) << want << " in " << text;
  }

  // A supervisor prints it too. A poster whose bytes are not lesson.json's is left out.
  std::string poster = testing::ReadFile(lesson->dir / "poster.jpg");
  poster[poster.size() / 2] ^= 0x55;  // same size, still a JPEG: only its XXH3 tells
  testing::WriteFile(lesson->dir / "poster.jpg", poster);
  auto again = Call("GET", target, Issue(Role::kSupervisor).token);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.body.find("/DCTDecode"), std::string::npos);
  EXPECT_NE(NoSpace(testing::PdfText(again.body, tmp_.path())).find("无封面"), std::string::npos);

  EXPECT_EQ(Call("GET", "/v1/packs/999/qr.pdf", admin_).status, 404);
}

}  // namespace
}  // namespace lm::catalog
