// Bundle files over HTTP as players and BitTorrent web seeds read them: byte ranges, ETags from
// lesson.json, content types, and no way out of the bundle.

#include "bundle/bundle_files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/http/http_server.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "transcoder/bundle.h"

namespace lm::bundle {
namespace {

using lm::testing::HttpClient;
using lm::testing::ReadFile;

class BundleFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pdf = "%PDF-1.4\n";
    for (int i = 0; pdf.size() < 600000; ++i) pdf += "第" + std::to_string(i) + "页 分数的初步认识\n";
    lm::testing::WriteFile(tmp_ / "slides.pdf", pdf);
    auto bundle = transcoder::MakeBundle(tmp_ / "slides.pdf", tmp_ / "bundles" / "staging-name", {});
    ASSERT_TRUE(bundle.ok()) << bundle.status().ToString();
    id_ = bundle->id;
    std::filesystem::rename(tmp_ / "bundles" / "staging-name", tmp_ / "bundles" / id_);  // content-addressed
    files_ = std::make_unique<BundleFiles>(tmp_ / "bundles");
    auto server = http::HttpServer::Start(
        http::ServerOptions{}, [this](http::Request r, http::Responder respond) { respond(files_->Handle(r)); },
        [](const std::string&, const std::string&) -> std::size_t { return 0; });
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    doc_ = ReadFile(tmp_ / "bundles" / id_ / "document.pdf");
    auto manifest = nlohmann::json::parse(ReadFile(tmp_ / "bundles" / id_ / "lesson.json"));
    for (const auto& f : manifest["files"])
      if (f["path"] == "document.pdf") etag_ = "\"" + f["xxh3_128"].get<std::string>() + "\"";
  }

  lm::testing::HttpResult Get(const std::string& target, std::map<std::string, std::string> headers = {},
                              const std::string& method = "GET") {
    return HttpClient(server_->port()).Request(method, target, "", headers);
  }

  lm::testing::TempDir tmp_;
  std::string id_, doc_, etag_;
  std::unique_ptr<BundleFiles> files_;
  std::unique_ptr<http::HttpServer> server_;
};

TEST_F(BundleFilesTest, WholeFilesRangesAndEtags) {
  const std::string url = "/bundles/" + id_ + "/document.pdf";
  auto whole = Get(url);
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(whole.body, doc_);
  EXPECT_EQ(whole.Header("content-type"), "application/pdf");
  EXPECT_EQ(whole.Header("etag"), etag_);
  EXPECT_EQ(whole.Header("accept-ranges"), "bytes");

  // A web seed asks for one piece at a time.
  auto piece = Get(url, {{"Range", "bytes=262144-524287"}});
  EXPECT_EQ(piece.status, 206);
  EXPECT_EQ(piece.body, doc_.substr(262144, 262144));
  EXPECT_EQ(piece.Header("content-range"), "bytes 262144-524287/" + std::to_string(doc_.size()));
  auto tail = Get(url, {{"Range", "bytes=-100"}});
  EXPECT_EQ(tail.body, doc_.substr(doc_.size() - 100));
  auto open_end = Get(url, {{"Range", "bytes=599990-"}});
  EXPECT_EQ(open_end.body, doc_.substr(599990));
  auto beyond = Get(url, {{"Range", "bytes=" + std::to_string(doc_.size()) + "-"}});
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(beyond.Header("content-range"), "bytes */" + std::to_string(doc_.size()));

  EXPECT_EQ(Get(url, {{"If-None-Match", etag_}}).status, 304);
  auto head = Get(url, {}, "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("content-length"), std::to_string(doc_.size()));
  EXPECT_TRUE(head.body.empty());

  auto torrent = Get("/bundles/" + id_ + "/lesson.torrent");
  EXPECT_EQ(torrent.status, 200);
  EXPECT_EQ(torrent.Header("content-type"), "application/x-bittorrent");
  EXPECT_TRUE(torrent.body == ReadFile(tmp_ / "bundles" / id_ / "lesson.torrent")) << "lesson.torrent's bytes differ";
  auto manifest = Get("/bundles/" + id_ + "/lesson.json");
  EXPECT_EQ(manifest.status, 200);
  EXPECT_EQ(manifest.Header("content-type"), "application/json");
  EXPECT_TRUE(manifest.body == ReadFile(tmp_ / "bundles" / id_ / "lesson.json")) << "lesson.json's bytes differ";
}

TEST_F(BundleFilesTest, PadFilesAreZerosForClientsThatAskForThem) {
  auto pad = Get("/bundles/" + id_ + "/.pad/110942");
  ASSERT_EQ(pad.status, 200);
  EXPECT_EQ(pad.body, std::string(110942, '\0'));
  auto part = Get("/bundles/" + id_ + "/.pad/1000", {{"Range", "bytes=990-"}});
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, std::string(10, '\0'));
  for (const char* bad : {"/.pad/0", "/.pad/017", "/.pad/16777217", "/.pad/-5", "/.pad/", "/.pad/1/2"}) {
    EXPECT_EQ(Get("/bundles/" + id_ + bad).status, 404) << bad;
  }
  EXPECT_EQ(Get("/bundles/00000000000000000000000000000000/.pad/100").status, 404);  // no such bundle
}

TEST_F(BundleFilesTest, NothingOutsideTheBundle) {
  lm::testing::WriteFile(tmp_ / "bundles" / id_ / "stray.txt", "not in the manifest");
  for (const std::string& target : std::vector<std::string>{"/bundles/" + id_ + "/stray.txt", "/bundles/" + id_ + "/..%2F..%2Fslides.pdf", "/bundles/" + id_ + "/../x",
        "/bundles/" + id_, "/bundles/00000000000000000000000000000000/document.pdf", "/bundles/..%2Fetc/passwd"}) {
    EXPECT_EQ(Get(target).status, 404) << target;
  }
  EXPECT_EQ(Get("/bundles/" + id_ + "/document.pdf", {}, "DELETE").status, 405);
}

TEST(BundleFilesContentTypeTest, PlayersGetTheTypesTheyExpect) {
  EXPECT_EQ(BundleFiles::ContentTypeFor("master.m3u8"), "application/vnd.apple.mpegurl");
  EXPECT_EQ(BundleFiles::ContentTypeFor("720p.mp4"), "video/mp4");
  EXPECT_EQ(BundleFiles::ContentTypeFor("poster.jpg"), "image/jpeg");
  EXPECT_EQ(BundleFiles::ContentTypeFor("lesson.json"), "application/json");
}

}  // namespace
}  // namespace lm::bundle
