// The static files router for the web pages: page paths and assets are served with their types,
// ETag and HEAD; nothing outside the root, no dot file and no directory is.

#include "common/http/static_files.h"

#include "common/http/file_reply.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/testing/temp_dir.h"

namespace lm::http {
namespace {

namespace fs = std::filesystem;
using lm::testing::WriteFile;

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_);
    fs::create_directories(root_ / "fonts");
    WriteFile(root_ / "admin.html", "<!doctype html><title>管理</title>");
    WriteFile(root_ / "admin.js", "console.log(1)");
    WriteFile(root_ / "style.css", "body{}");
    WriteFile(root_ / "fonts" / "a.woff2", "font");
    WriteFile(root_ / ".secret", "hidden");
    WriteFile(tmp_ / "outside.txt", "outside");
    fs::create_symlink(tmp_ / "outside.txt", root_ / "escape.txt");
  }

  Reply Get(const std::string& path, const std::string& method = "GET", std::map<std::string, std::string> headers = {}) {
    Request r;
    r.method = method;
    r.path = path;
    r.target = path;
    r.headers = std::move(headers);
    EXPECT_TRUE(files_.Owns(path)) << path;
    Reply reply = files_.Handle(r);
    if (reply.file) {  // what the server would send from the file
      auto bytes = ReplyBytes(reply);
      EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
      reply.body = bytes.ok() ? *bytes : "";
      reply.file.reset();
    }
    return reply;
  }

  lm::testing::TempDir tmp_;
  fs::path root_ = tmp_ / "dist";
  StaticFiles files_{root_, {{"/admin", "admin.html"}, {"/", "admin.html"}}};
};

TEST_F(StaticFilesTest, ServesPagesAndAssetsWithTheirTypes) {
  const Reply page = Get("/admin");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(page.body, "<!doctype html><title>管理</title>");
  EXPECT_EQ(Get("/").body, page.body);
  const Reply js = Get("/web/admin.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(js.body, "console.log(1)");
  EXPECT_EQ(Get("/web/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_EQ(Get("/web/fonts/a.woff2").body, "font");
}

TEST_F(StaticFilesTest, OwnsOnlyItsPagesAndPrefix) {
  EXPECT_FALSE(files_.Owns("/v1/lessons"));
  EXPECT_FALSE(files_.Owns("/admin/x"));
  EXPECT_FALSE(files_.Owns("/webx"));
  EXPECT_TRUE(files_.Owns("/web/anything"));
}

// A path that is neither a page nor under the prefix ("", from a target "?x") is 404: it was cut
// past its end, an exception that ended the origin (origin_routes_fuzz).
TEST_F(StaticFilesTest, APathNeitherPageNorAssetIsNotFound) {
  for (const char* path : {"", "/w", "/webx"}) {
    Request r;
    r.method = "GET";
    r.path = path;
    EXPECT_EQ(files_.Handle(r).status, 404) << path;
  }
}

TEST_F(StaticFilesTest, HeadAndETag) {
  const Reply get = Get("/web/admin.js");
  std::string etag;
  for (const auto& [k, v] : get.headers) {
    if (k == "ETag") etag = v;
  }
  ASSERT_FALSE(etag.empty());
  const Reply head = Get("/web/admin.js", "HEAD");
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_NE(std::find(head.headers.begin(), head.headers.end(), std::pair<std::string, std::string>{"Content-Length", "14"}),
            head.headers.end());
  EXPECT_EQ(Get("/web/admin.js", "GET", {{"if-none-match", etag}}).status, 304);
  EXPECT_EQ(Get("/web/admin.js", "POST").status, 405);
}

TEST_F(StaticFilesTest, NothingOutsideTheRootNoDotFilesNoDirectories) {
  for (const std::string path : {"/web/../outside.txt", "/web/fonts/../../outside.txt", "/web/.secret", "/web/fonts",
                                 "/web/fonts/", "/web/", "/web//admin.js", "/web/escape.txt", "/web/missing.js",
                                 "/web/a\\b", "/web/./admin.js"}) {
    const Reply r = Get(path);
    EXPECT_EQ(r.status, 404) << path << " " << r.body;
    EXPECT_EQ(r.body.find("outside"), std::string::npos) << path;
  }
}

TEST_F(StaticFilesTest, MissingRootIsUnavailableNotACrash) {
  StaticFiles none(tmp_ / "not-built", {{"/admin", "admin.html"}});
  Request r;
  r.method = "GET";
  r.path = "/admin";
  EXPECT_EQ(none.Handle(r).status, 503);
}

}  // namespace
}  // namespace lm::http
