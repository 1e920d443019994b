// The printed QR codes (微课二维码) at a school's edge, against a real catalog and origin: a pack of
// two lessons the edge holds and a courseware document it cannot fetch (no web seed, no tracker,
// no peer has it). Its QR sheet (GET /v1/packs/ID/qr.pdf) is rasterised by pdftoppm and every
// code decoded by zbarimg: each pack item's http://<lan_name>/l/ID exactly once, each answered by
// the edge for the right lesson (302 to its classroom page when held; for the document, "not
// here yet" with its needed-by date, in Chinese HTML and in JSON); the Chinese titles are in the
// text pdftotext extracts; a lesson no pack names and a pack the edge does not hold are 404.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/base64.h"
#include "common/lesson_link.h"
#include "edge/edge_service.h"
#include "tests/edge/edge_lab.h"
#include "tests/testing/http_client.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/pdf_reading.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"
#include "transcoder/bundle.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

constexpr char kLanName[] = "ke.th-ch.local:8080";

std::string NoSpace(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

class EdgeQrSheetTest : public lm::testing::EdgeLab {
 protected:
  void TearDown() override {
    if (edge_) edge_->Stop();
    EdgeLab::TearDown();
  }

  // A document bundle registered in the catalog whose torrent names no web seed and no tracker:
  // no edge can ever fetch it.
  std::string RegisterUnreachableDocument(const std::string& title) {
    const fs::path src = tmp_ / "unreachable.pdf";
    lm::testing::WriteFile(src, "%PDF-1.4\n% " + title + "\n%%EOF\n");
    transcoder::BundleOptions o;
    o.metadata = {title, "李老师", "语文", "三年级"};
    auto bundle = transcoder::MakeBundle(src, tmp_ / "unreachable", o);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    if (!bundle.ok()) return "";
    const json body = {{"manifest", json::parse(ReadFile(bundle->dir / "lesson.json"))},
                       {"torrent_base64", Base64Encode(ReadFile(bundle->dir / "lesson.torrent"))},
                       {"info_hash_v1", bundle->info_hash_v1},
                       {"info_hash_v2", bundle->info_hash_v2},
                       {"school_id", "tianhe-3"},
                       {"description", "课件"},
                       {"tags", {"课件"}}};
    auto r = Catalog("POST", "/v1/lessons", body);
    EXPECT_EQ(r.status, 201) << r.body;
    return bundle->id;
  }

  lm::testing::HttpResult Edge(const std::string& target, std::map<std::string, std::string> headers = {}) {
    return HttpClient(edge_->http_port()).Request("GET", target, "", headers);
  }

  std::unique_ptr<EdgeService> edge_;
};

TEST_F(EdgeQrSheetTest, EveryPrintedCodeIsAnsweredByTheEdgeForItsLesson) {
  lm::testing::ClipSpec spec;
  spec.seconds = 3;
  spec.width = 320;
  spec.height = 240;
  ASSERT_TRUE(lm::testing::MakeClip(tmp_ / "a.mp4", spec));
  spec.fps = "25";
  ASSERT_TRUE(lm::testing::MakeClip(tmp_ / "b.mp4", spec));
  const std::string fractions = Register(ReadFile(tmp_ / "a.mp4"), "分数的初步认识");
  const std::string clocks = Register(ReadFile(tmp_ / "b.mp4"), "认识钟表");
  const std::string poems = RegisterUnreachableDocument("古诗两首课件");
  ASSERT_FALSE(fractions.empty());
  ASSERT_FALSE(clocks.empty());
  ASSERT_FALSE(poems.empty());
  const json pack = Publish({{fractions, "2026-12-07", ""}, {clocks, "2026-12-14", ""}, {poems, "2027-01-15", ""}},
                            {{"communities", {"th-ch-1"}}});
  const std::string pack_id = std::to_string(pack.value("pack_id", 0));

  EdgeConfig c = EdgeSettings();
  c.lan_name = kLanName;
  auto started = EdgeService::Start(c);
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  edge_ = std::move(*started);
  ASSERT_TRUE(WaitFor([&] { return lm::testing::PlayableIds(edge_->http_port()).size() == 2; }, kDeadlineSeconds))
      << Edge("/v1/downloads").body;
  ASSERT_EQ(Edge("/v1/lessons/" + poems).status, 200);  // named by the pack, not held

  auto sheet = Edge("/v1/packs/" + pack_id + "/qr.pdf");
  ASSERT_EQ(sheet.status, 200) << sheet.body;
  EXPECT_EQ(sheet.Header("content-type"), "application/pdf");
  EXPECT_NE(sheet.body.find("/DCTDecode"), std::string::npos) << "the held lessons' posters";
  const lm::testing::PdfPages read = lm::testing::DecodePdfQrCodes(sheet.body, tmp_.path());
  ASSERT_EQ(read.error, "");
  EXPECT_EQ(read.pages, 1);
  std::vector<std::string> decoded = read.qr_codes, expected;
  for (const auto& id : {fractions, clocks, poems}) expected.push_back(LessonLinkUrl(kLanName, id));
  std::sort(decoded.begin(), decoded.end());
  std::sort(expected.begin(), expected.end());
  ASSERT_EQ(decoded, expected) << "each item's code exactly once";
  const std::string text = NoSpace(lm::testing::PdfText(sheet.body, tmp_.path()));
  for (const char* title : {"分数的初步认识", "认识钟表", "古诗两首课件", "三年级资源包"}) {
    EXPECT_NE(text.find(title), std::string::npos) << title << " in " << text;
  }

  // Each decoded URL, asked of this edge (the LAN name resolves to it).
  const std::string prefix = std::string("http://") + kLanName;
  for (const std::string& url : decoded) {
    ASSERT_EQ(url.rfind(prefix, 0), 0u) << url;
    const std::string path = url.substr(prefix.size());
    const std::string id = path.substr(path.rfind('/') + 1);
    auto r = Edge(path);
    if (id == poems) {
      EXPECT_EQ(r.status, 404) << r.body;
      EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
      EXPECT_NE(r.body.find("古诗两首课件"), std::string::npos) << r.body;
      EXPECT_NE(r.body.find("还没有下载到本校"), std::string::npos) << r.body;
      EXPECT_NE(r.body.find("预计在 2027-01-15 之前到达"), std::string::npos) << r.body;
      auto j = Edge(path, {{"Accept", "application/json"}});
      EXPECT_EQ(j.status, 404);
      const json body = json::parse(j.body, nullptr, false);
      EXPECT_EQ(body.value("code", ""), "not_held") << j.body;
      EXPECT_EQ(body.value("lesson_id", ""), poems);
      EXPECT_EQ(body.value("needed_by", ""), "2027-01-15");
      EXPECT_EQ(body.value("title", ""), "古诗两首课件");
    } else {
      EXPECT_EQ(r.status, 302) << path << " " << r.body;
      EXPECT_EQ(r.Header("location"), "/#lesson=" + id);
    }
  }

  // A lesson no pack of this edge names; a pack it does not hold; not a lesson id.
  const std::string stranger(32, 'e');
  auto unknown = Edge("/l/" + stranger);
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("本校的资源包里还没有这节课"), std::string::npos) << unknown.body;
  EXPECT_EQ(Edge("/v1/packs/" + std::to_string(pack.value("pack_id", 0) + 1) + "/qr.pdf").status, 404);
  EXPECT_EQ(Edge("/l/..%2Fstate.db").status, 404);
}

}  // namespace
}  // namespace lm::edge
