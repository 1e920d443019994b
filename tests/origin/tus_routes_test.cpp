// The tus 1.0 protocol on a real HTTP server over loopback: create, upload in chunks, resume after
// a lost reply, checksums, termination, and the errors a client must get (412, 401, 403, 404,
// 409, 413, 415, 460), none of which changes the upload.

#include "origin/tus_routes.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <atomic>
#include <mutex>

#include "common/http/http_server.h"
#include "common/signing.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"

namespace lm::origin {
namespace {

using lm::testing::HttpClient;
using lm::testing::HttpResult;

class TusRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = UploadStore::Open(tmp_ / "uploads", 1000);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    routes_ = std::make_unique<TusRoutes>(
        *store_, TusOptions{},
        [](const std::string& token) -> Result<std::string> {
          if (token == "teacher-wang") return std::string("wang");
          if (token == "teacher-li") return std::string("li");
          if (token == "edge-1") return InvalidArgument("only teachers upload lessons");
          return Status(StatusCode::kNotFound, "unknown token");
        },
        [this](const UploadInfo& info) {
          std::lock_guard lock(mu_);
          completed_.push_back(info.id);
        },
        [] { return std::int64_t{1795000000}; });
    auto server = http::HttpServer::Start(
        http::ServerOptions{}, [this](http::Request r, http::Responder respond) { respond(routes_->Handle(r)); },
        [](const std::string&, const std::string&) -> std::size_t { return 2000; });
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
  }

  HttpResult Send(const std::string& method, const std::string& target, const std::string& body = {},
                  std::map<std::string, std::string> headers = {}, const std::string& token = "teacher-wang") {
    if (!headers.count("Tus-Resumable")) headers["Tus-Resumable"] = "1.0.0";
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return HttpClient(server_->port()).Request(method, target, body, headers);
  }

  std::string CreateUpload(std::int64_t length) {
    auto r = Send("POST", "/uploads", "",
                  {{"Upload-Length", std::to_string(length)},
                   {"Upload-Metadata", "title " + Base64Encode("分数的初步认识") + ",filename " + Base64Encode("a.mp4")}});
    EXPECT_EQ(r.status, 201) << r.body;
    return r.Header("location");
  }

  HttpResult Patch(const std::string& location, std::int64_t offset, const std::string& bytes,
                   std::map<std::string, std::string> extra = {}) {
    extra["Content-Type"] = "application/offset+octet-stream";
    extra["Upload-Offset"] = std::to_string(offset);
    return Send("PATCH", location, bytes, extra);
  }

  lm::testing::TempDir tmp_;
  std::unique_ptr<UploadStore> store_;
  std::unique_ptr<TusRoutes> routes_;
  std::unique_ptr<http::HttpServer> server_;
  std::mutex mu_;
  std::vector<std::string> completed_;
};

TEST_F(TusRoutesTest, DiscoveryCreateUploadInChunksAndResume) {
  auto options = Send("OPTIONS", "/uploads", "", {}, "");
  EXPECT_EQ(options.status, 204);
  EXPECT_EQ(options.Header("tus-version"), "1.0.0");
  EXPECT_EQ(options.Header("tus-extension"), "creation,checksum,termination,expiration");
  EXPECT_EQ(options.Header("tus-max-size"), "1000");

  const std::string lesson = "0123456789abcdefghijklmnopqrstuvwxyz";
  const std::string location = CreateUpload(static_cast<std::int64_t>(lesson.size()));
  ASSERT_EQ(location.rfind("/uploads/", 0), 0u);
  auto head = Send("HEAD", location);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("upload-offset"), "0");
  EXPECT_EQ(head.Header("upload-length"), "36");
  EXPECT_EQ(head.Header("cache-control"), "no-store");

  auto first = Patch(location, 0, lesson.substr(0, 10));
  EXPECT_EQ(first.status, 204);
  EXPECT_EQ(first.Header("upload-offset"), "10");
  // The reply to the next chunk is lost; the client asks where the bytes stop and goes on.
  EXPECT_EQ(Patch(location, 10, lesson.substr(10, 10)).status, 204);
  EXPECT_EQ(Send("HEAD", location).Header("upload-offset"), "20");
  EXPECT_EQ(Patch(location, 10, lesson.substr(10, 10)).status, 409);  // a blind retry is refused
  EXPECT_TRUE(completed_.empty());
  unsigned char sha[SHA_DIGEST_LENGTH];
  const std::string rest = lesson.substr(20);
  SHA1(reinterpret_cast<const unsigned char*>(rest.data()), rest.size(), sha);
  auto last = Patch(location, 20, rest,
                    {{"Upload-Checksum", "sha1 " + Base64Encode(std::string(reinterpret_cast<char*>(sha), 20))}});
  EXPECT_EQ(last.status, 204) << last.body;
  EXPECT_EQ(last.Header("upload-offset"), "36");
  const std::string id = location.substr(std::string("/uploads/").size());
  EXPECT_EQ(completed_, std::vector<std::string>{id});
  EXPECT_EQ(lm::testing::ReadFile(store_->DataPath(id)), lesson);
  EXPECT_EQ(store_->Get(id)->metadata.at("title"), "分数的初步认识");
}

TEST_F(TusRoutesTest, BadRequestsGetTheRightErrorAndChangeNothing) {
  const std::string location = CreateUpload(20);
  ASSERT_EQ(Patch(location, 0, "0123456789").status, 204);
  struct Case {
    std::string what;
    HttpResult result;
    int status;
  };
  const std::vector<Case> cases = {
      {"no Tus-Resumable", Send("HEAD", location, "", {{"Tus-Resumable", ""}}), 412},
      {"no token", Send("HEAD", location, "", {}, ""), 401},
      {"unknown token", Send("HEAD", location, "", {}, "stolen"), 401},
      {"wrong role", Send("POST", "/uploads", "", {{"Upload-Length", "5"}}, "edge-1"), 403},
      {"another teacher's upload", Send("HEAD", location, "", {}, "teacher-li"), 403},
      {"unknown upload", Send("HEAD", "/uploads/00000000000000000000000000000000"), 404},
      {"path trick", Send("HEAD", "/uploads/..%2F..%2Fetc%2Fpasswd"), 404},
      {"bad length", Send("POST", "/uploads", "", {{"Upload-Length", "-5"}}), 400},
      {"over the limit", Send("POST", "/uploads", "", {{"Upload-Length", "1001"}}), 413},
      {"bad metadata", Send("POST", "/uploads", "", {{"Upload-Length", "5"}, {"Upload-Metadata", "title ***"}}), 400},
      {"wrong offset", Patch(location, 3, "abc"), 409},
      {"past the length", Patch(location, 10, std::string(11, 'x')), 413},
      {"wrong content type", Send("PATCH", location, "abc", {{"Upload-Offset", "10"}, {"Content-Type", "text/plain"}}), 415},
      {"checksum mismatch", Patch(location, 10, "abc", {{"Upload-Checksum", "sha1 " + Base64Encode(std::string(20, 'x'))}}), 460},
      {"unsupported checksum", Patch(location, 10, "abc", {{"Upload-Checksum", "md5 AAAA"}}), 400},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(c.result.status, c.status) << c.what << ": " << c.result.body;
  }
  EXPECT_EQ(Send("HEAD", location).Header("upload-offset"), "10");  // nothing changed
  EXPECT_TRUE(completed_.empty());
  EXPECT_EQ(Send("DELETE", location).status, 204);
  EXPECT_EQ(Send("HEAD", location).status, 404);
}

}  // namespace
}  // namespace lm::origin
