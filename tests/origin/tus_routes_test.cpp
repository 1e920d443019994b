// The tus 1.0 protocol on a real HTTP server over loopback: create, upload in chunks, resume after
// a lost reply, checksums, termination, and the errors a client must get (412, 401, 403, 404,
// 409, 413, 415, 423, 460), none of which changes the upload. PATCH bodies are streamed to disk:
// a PATCH cut mid-body keeps every byte received (none with a checksum), and two PATCHes to one
// upload never interleave.

#include "origin/tus_routes.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/sha.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "common/http/http_server.h"
#include "common/base64.h"
#include "catalog/model.h"
#include "origin/catalog_client.h"
#include "origin/upload_metadata.h"
#include "origin/uploader_auth.h"
#include "tests/testing/catalog_fixture.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

using lm::testing::HttpClient;
using lm::testing::HttpResult;
using lm::testing::WaitFor;

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

std::string Sha1Header(std::string_view bytes) {
  unsigned char sha[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), sha);
  return "sha1 " + Base64Encode(std::string(reinterpret_cast<char*>(sha), sizeof(sha)));
}

std::string Pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 13 + i / 509) % 256);
  return s;
}

// A PATCH written by hand, so that a test can pause it or cut it mid-body. Every step runs as an
// asynchronous operation so that its deadline holds (tcp_stream's expires_after does not apply to
// synchronous ones).
class RawPatch {
 public:
  RawPatch(std::uint16_t port, const std::string& location, std::int64_t offset, std::size_t content_length,
           const std::string& extra_headers = {}) {
    const net::ip::tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"), port);
    Run([&](auto done) { stream_.async_connect(endpoint, done); });
    Send("PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n" +
         "Authorization: Bearer teacher-wang\r\nContent-Type: application/offset+octet-stream\r\n" +
         "Upload-Offset: " + std::to_string(offset) + "\r\nContent-Length: " + std::to_string(content_length) +
         "\r\n" + extra_headers + "\r\n");
  }
  void Send(std::string_view bytes) {
    Run([&](auto done) { net::async_write(stream_, net::buffer(bytes.data(), bytes.size()), done); });
  }
  // The connection drops: no more bytes, no reply read.
  void Cut() {
    boost::system::error_code ec;
    stream_.socket().shutdown(net::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }
  // The reply's status and Upload-Offset, or 0 if none came within the deadline.
  std::pair<int, std::string> Reply() {
    boost::beast::flat_buffer buffer;
    bhttp::response<bhttp::string_body> res;
    const auto ec = Run([&](auto done) { bhttp::async_read(stream_, buffer, res, done); });
    if (ec) return {0, ec.message()};
    return {static_cast<int>(res.result_int()), std::string(res["Upload-Offset"])};
  }

 private:
  // Runs one operation to its end, within 30 s (scaled).
  template <typename Op>
  boost::system::error_code Run(Op&& op) {
    boost::system::error_code result = net::error::would_block;
    stream_.expires_after(lm::testing::ScaledDuration(30));
    op([&result](boost::system::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  net::io_context ioc_;
  boost::beast::tcp_stream stream_{ioc_};
};

class TusRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = UploadStore::Open(tmp_ / "uploads", max_bytes_);
    ASSERT_TRUE(store.ok());
    store_ = std::move(*store);
    TusOptions options;  // as the origin wires it: metadata the transcode job could not use is refused
    options.check_metadata = [](const std::map<std::string, std::string>& metadata) {
      return LessonFromUploadMetadata(metadata).status();
    };
    routes_ = std::make_unique<TusRoutes>(
        *store_, options,
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
        [this] { return now_.load(); });
    // Wired as the origin wires it: PATCH bodies streamed, everything else whole.
    auto server = http::HttpServer::Start(
        http::ServerOptions{}, [this](http::Request r, http::Responder respond) { respond(routes_->Handle(r)); },
        [this](const std::string&, const std::string&) -> std::size_t { return max_bytes_ + 1000; },
        [this](const http::Request& head) { return routes_->Stream(head); });
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

  std::int64_t Offset(const std::string& location) {
    const std::string h = Send("HEAD", location).Header("upload-offset");
    return h.empty() ? -1 : std::stoll(h);
  }

  // A PATCH retried while another one holds the upload (423), as tus clients do.
  HttpResult PatchWhenUnlocked(const std::string& location, std::int64_t offset, const std::string& bytes,
                               std::map<std::string, std::string> extra = {}) {
    HttpResult r;
    WaitFor([&] { return (r = Patch(location, offset, bytes, extra)).status != 423; }, 10, 5);
    return r;
  }

  std::string IdOf(const std::string& location) { return location.substr(std::string("/uploads/").size()); }

  std::vector<std::string> Completed() {
    std::lock_guard lock(mu_);
    return completed_;
  }

  std::int64_t max_bytes_ = 1000;
  std::atomic<std::int64_t> now_{1795000000};  // the routes' clock: 2026-11-18 11:06:40 UTC
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

// tus expiration: every answer about an unfinished upload says when it expires (Upload-Expires:
// its last byte's time plus a week, as an HTTP date); once that has passed, the next request
// sweeps it away, record and bytes. An upload that received bytes since, and a finished one
// (waiting for its job), stay.
TEST_F(TusRoutesTest, UnfinishedUploadsSayWhenTheyExpireAndThenAreGone) {
  const std::int64_t t0 = now_.load();
  auto created = Send("POST", "/uploads", "", {{"Upload-Length", "10"}});
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.Header("upload-expires"), "Wed, 25 Nov 2026 11:06:40 GMT");  // t0 + 7 days
  const std::string idle = created.Header("location");
  EXPECT_EQ(Send("HEAD", idle).Header("upload-expires"), "Wed, 25 Nov 2026 11:06:40 GMT");
  const std::string active = CreateUpload(10);
  const std::string finished = CreateUpload(3);
  EXPECT_EQ(Patch(finished, 0, "abc").Header("upload-expires"), "");  // complete: it no longer expires
  EXPECT_EQ(Send("HEAD", finished).Header("upload-expires"), "");

  now_ = t0 + 3 * 24 * 3600;  // three days later the teacher goes on with one of them
  auto patched = Patch(active, 0, "01234");
  ASSERT_EQ(patched.status, 204) << patched.body;
  EXPECT_EQ(patched.Header("upload-expires"), "Sat, 28 Nov 2026 11:06:40 GMT");  // pushed back
  EXPECT_EQ(Send("HEAD", idle).Header("upload-expires"), "Wed, 25 Nov 2026 11:06:40 GMT");

  now_ = t0 + 7 * 24 * 3600 + 61;  // past the first expiry; the sweep runs at most once a minute
  EXPECT_EQ(Send("HEAD", idle).status, 404);
  EXPECT_FALSE(std::filesystem::exists(store_->DataPath(IdOf(idle))));
  EXPECT_EQ(Offset(active), 5);
  EXPECT_EQ(Send("HEAD", finished).status, 200);
  EXPECT_EQ(Patch(idle, 0, "0123456789").status, 404);  // a client that comes back starts again
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

// A client whose last reply was lost sends an empty PATCH at the end to learn the offset (or
// retries with nothing left to send): it is told the upload is whole, and no second job is made.
TEST_F(TusRoutesTest, AnUploadIsReportedFinishedOnceWhateverComesAfter) {
  const std::string location = CreateUpload(12);
  ASSERT_EQ(Patch(location, 0, "%PDF").status, 204);
  ASSERT_EQ(Patch(location, 4, "-1.4 abc").status, 204);
  EXPECT_EQ(Completed(), std::vector<std::string>{IdOf(location)});
  auto again = Patch(location, 12, "");
  EXPECT_EQ(again.status, 204) << again.body;
  EXPECT_EQ(again.Header("upload-offset"), "12");
  http::Request req{.method = "PATCH", .path = location};  // the same through Handle (bodies read whole)
  req.headers = {{"tus-resumable", "1.0.0"},
                 {"authorization", "Bearer teacher-wang"},
                 {"content-type", "application/offset+octet-stream"},
                 {"upload-offset", "12"}};
  EXPECT_EQ(routes_->Handle(req).status, 204);
  EXPECT_EQ(Patch(location, 12, "x").status, 413);  // past the end
  EXPECT_EQ(Completed(), std::vector<std::string>{IdOf(location)});
  EXPECT_EQ(lm::testing::ReadFile(store_->DataPath(IdOf(location))), "%PDF-1.4 abc");
  // A finished upload is its transcode job's source: it is not terminated.
  const auto terminate = Send("DELETE", location);
  EXPECT_EQ(terminate.status, 409) << terminate.body;
  EXPECT_EQ(Send("HEAD", location).Header("upload-offset"), "12");
  EXPECT_EQ(lm::testing::ReadFile(store_->DataPath(IdOf(location))), "%PDF-1.4 abc");
}

// The lesson's chapters may come with the upload ("chapters": a JSON chapter list, as the body of
// PUT /v1/lessons/{lesson}/chapters): a bad list is refused at creation, before any byte is sent,
// with a 400 naming the field; a good one is kept with the upload for its transcode job.
TEST_F(TusRoutesTest, ChaptersInTheMetadataAreCheckedBeforeAnyByteIsSent) {
  auto create = [&](const std::string& chapters) {
    return Send("POST", "/uploads", "",
                {{"Upload-Length", "10"},
                 {"Upload-Metadata", "title " + Base64Encode("分数") + ",chapters " + Base64Encode(chapters)}});
  };
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"05:10-12:40 导入", "chapters"},
      {R"({"start_s":0,"end_s":5,"title":"导入"})", "chapters"},
      {R"([{"start_s":0,"end_s":5}])", "chapters[0].title"},
      {R"([{"start_s":0,"end_s":310,"title":"导入"},{"start_s":300,"end_s":600,"title":"新课"}])", "chapters[1].start_s"},
      {R"([{"start_s":9,"end_s":3,"title":"倒"}])", "chapters[0].end_s"},
  };
  for (const auto& [chapters, field] : bad) {
    const HttpResult r = create(chapters);
    EXPECT_EQ(r.status, 400) << chapters << ": " << r.body;
    const nlohmann::json body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    EXPECT_EQ(body.value("field", ""), field) << r.body;
    EXPECT_EQ(body.value("code", ""), "invalid_argument") << r.body;
    EXPECT_EQ(r.Header("location"), "");
  }
  int records = 0;  // nothing was created
  for (const auto& e : std::filesystem::directory_iterator(tmp_ / "uploads")) records += e.path().extension() == ".json";
  EXPECT_EQ(records, 0);

  const std::string good = R"([{"start_s":0,"end_s":310,"title":"导入"},{"start_s":310,"end_s":760,"title":"新课"}])";
  const HttpResult created = create(good);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(store_->Get(IdOf(created.Header("location")))->metadata.at("chapters"), good);
}

// Without the stream route (a server that reads bodies whole), PATCH still works through Handle.
TEST_F(TusRoutesTest, PatchReadWholeGoesThroughHandle) {
  const std::string location = CreateUpload(5);
  http::Request req;
  req.method = "PATCH";
  req.path = location;
  req.headers = {{"tus-resumable", "1.0.0"},
                 {"authorization", "Bearer teacher-wang"},
                 {"content-type", "application/offset+octet-stream"},
                 {"upload-offset", "0"},
                 {"upload-checksum", Sha1Header("abcde")}};
  req.body = "abcde";
  EXPECT_FALSE(routes_->Stream(http::Request{.method = "HEAD", .path = location}).has_value());
  http::Reply r = routes_->Handle(req);
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(Completed(), std::vector<std::string>{IdOf(location)});
  EXPECT_EQ(lm::testing::ReadFile(store_->DataPath(IdOf(location))), "abcde");
}

// Uploads of a few MiB, so that a body spans many of the server's pieces.
class TusStreamTest : public TusRoutesTest {
 protected:
  TusStreamTest() { max_bytes_ = 4 << 20; }
};

TEST_F(TusStreamTest, CutPatchKeepsEveryByteReceivedAndTheUploadResumes) {
  const std::string lesson = Pattern((2 << 20) + 123);
  const std::string location = CreateUpload(static_cast<std::int64_t>(lesson.size()));
  const std::size_t cut_at = 700001;  // not a multiple of any buffer size
  {
    RawPatch patch(server_->port(), location, 0, lesson.size());
    patch.Send(std::string_view(lesson).substr(0, cut_at));
    patch.Cut();
  }
  ASSERT_TRUE(WaitFor([&] { return Offset(location) == static_cast<std::int64_t>(cut_at); }, 10, 5))
      << "offset " << Offset(location);
  EXPECT_TRUE(Completed().empty());
  // The client asks where the bytes stop (above) and sends the rest from there.
  auto rest = PatchWhenUnlocked(location, static_cast<std::int64_t>(cut_at), lesson.substr(cut_at));
  EXPECT_EQ(rest.status, 204) << rest.body;
  EXPECT_EQ(rest.Header("upload-offset"), std::to_string(lesson.size()));
  EXPECT_EQ(Completed(), std::vector<std::string>{IdOf(location)});
  EXPECT_TRUE(lm::testing::ReadFile(store_->DataPath(IdOf(location))) == lesson) << "the upload's bytes differ";
}

TEST_F(TusStreamTest, CutPatchWithChecksumKeepsNothing) {
  const std::string lesson = Pattern(1 << 20);
  const std::string location = CreateUpload(static_cast<std::int64_t>(lesson.size()));
  ASSERT_EQ(Patch(location, 0, lesson.substr(0, 1000)).status, 204);
  const std::string chunk = lesson.substr(1000);
  const std::size_t cut_at = 300000;
  {
    RawPatch patch(server_->port(), location, 1000, chunk.size(), "Upload-Checksum: " + Sha1Header(chunk) + "\r\n");
    patch.Send(std::string_view(chunk).substr(0, cut_at));
    // The bytes reach the disk, but do not count while they cannot be verified.
    const auto part = store_->DataPath(IdOf(location));
    ASSERT_TRUE(WaitFor([&] { return std::filesystem::file_size(part) == 1000 + cut_at; }, 10, 5));
    EXPECT_EQ(Offset(location), 1000);
    patch.Cut();
  }
  // A resend of the whole chunk from 1000 fits only if nothing of the cut one was kept (else: 409).
  auto resend = PatchWhenUnlocked(location, 1000, chunk, {{"Upload-Checksum", Sha1Header(chunk)}});
  EXPECT_EQ(resend.status, 204) << resend.body;
  EXPECT_EQ(Completed(), std::vector<std::string>{IdOf(location)});
  EXPECT_TRUE(lm::testing::ReadFile(store_->DataPath(IdOf(location))) == lesson) << "the upload's bytes differ";
}

TEST_F(TusStreamTest, ConcurrentPatchesToOneUploadDoNotInterleave) {
  const std::string lesson = Pattern(2 << 20);
  const std::string location = CreateUpload(static_cast<std::int64_t>(lesson.size()));
  RawPatch first(server_->port(), location, 0, lesson.size());
  first.Send(std::string_view(lesson).substr(0, 100000));
  ASSERT_TRUE(WaitFor([&] { return Offset(location) == 100000; }, 10, 5));
  // While the first is still arriving, a second one is refused, at either offset, and writes nothing.
  const std::string other(lesson.size(), 'x');
  EXPECT_EQ(Patch(location, 0, other).status, 423);
  EXPECT_EQ(Patch(location, 100000, other.substr(100000)).status, 423);
  EXPECT_EQ(Send("DELETE", location).status, 423);
  first.Send(std::string_view(lesson).substr(100000));
  EXPECT_EQ(first.Reply(), std::make_pair(204, std::to_string(lesson.size())));
  EXPECT_EQ(Completed(), std::vector<std::string>{IdOf(location)});
  EXPECT_TRUE(lm::testing::ReadFile(store_->DataPath(IdOf(location))) == lesson) << "the upload's bytes differ";
}

TEST_F(TusStreamTest, WrongOffsetAndOverLengthAreRefusedAndChangeNothing) {
  const std::string lesson = Pattern(1 << 20);
  const std::string location = CreateUpload(static_cast<std::int64_t>(lesson.size()));
  ASSERT_EQ(Patch(location, 0, lesson.substr(0, 5000)).status, 204);
  const auto part = store_->DataPath(IdOf(location));
  EXPECT_EQ(Patch(location, 4000, lesson.substr(4000)).status, 409);
  // Announced too long: refused before the body is read.
  auto too_long = Patch(location, 5000, lesson.substr(5000) + "!");
  EXPECT_EQ(too_long.status, 413);
  EXPECT_EQ(too_long.Header("tus-resumable"), "1.0.0");
  // Chunked, so the length shows only once 1 MiB has gone to disk: all of it is dropped again.
  std::string chunked = "PATCH " + location +
                        " HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nAuthorization: Bearer teacher-wang\r\n"
                        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 5000\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
  const std::string over = lesson.substr(5000) + "!";
  char size_line[32];
  std::snprintf(size_line, sizeof(size_line), "%zx\r\n", over.size());
  chunked += size_line + over + "\r\n0\r\n\r\n";
  auto r = HttpClient(server_->port()).Raw(chunked);
  EXPECT_EQ(r.status, 413) << r.error << r.body;
  EXPECT_EQ(Offset(location), 5000);
  EXPECT_EQ(std::filesystem::file_size(part), 5000u);
  EXPECT_TRUE(lm::testing::ReadFile(part) == lesson.substr(0, 5000));
  EXPECT_TRUE(Completed().empty());
}

// The token check as the origin wires it: UploaderAuth asking a real catalog (CatalogClient's
// /v1/whoami), with its cache. A teacher uploads; an edge is refused (403), an unknown token too
// (401); once the catalog is down, the teacher's cached answer still lets the upload finish,
// while a token never seen before gets 503, not a wrong 401.
TEST(TusCatalogAuthTest, TeachersAreCheckedWithTheCatalogAndCached) {
  lm::testing::TempDir tmp;
  lm::testing::CatalogFixture catalog(tmp / "catalog");
  ASSERT_TRUE(catalog.Start());
  const std::string teacher = catalog.Token(catalog::Role::kTeacher, "tianhe-3");
  const std::string edge = catalog.Token(catalog::Role::kEdge, "conghua-lx");
  const std::string late_teacher = catalog.Token(catalog::Role::kTeacher, "conghua-lx");
  CatalogClient client(catalog.url(), catalog.Token(catalog::Role::kOrigin), 5000);
  std::atomic<int> catalog_calls{0};
  UploaderAuth auth([&](const std::string& token) {
    ++catalog_calls;
    return client.WhoIs(token);
  });
  auto store = UploadStore::Open(tmp / "uploads", 1 << 20);
  ASSERT_TRUE(store.ok());
  std::vector<std::string> completed;
  std::mutex mu;
  TusRoutes routes(
      **store, TusOptions{}, [&](const std::string& token) { return auth.Authenticate(token); },
      [&](const UploadInfo& info) {
        std::lock_guard lock(mu);
        completed.push_back(info.owner);
      },
      [] { return std::int64_t{1795000000}; });
  auto server = http::HttpServer::Start(
      http::ServerOptions{}, [&](http::Request r, http::Responder respond) { respond(routes.Handle(r)); },
      [](const std::string&, const std::string&) -> std::size_t { return 1 << 21; },
      [&](const http::Request& head) { return routes.Stream(head); });
  ASSERT_TRUE(server.ok());
  auto send = [&](const std::string& method, const std::string& target, const std::string& token,
                  std::map<std::string, std::string> headers = {}, const std::string& body = {}) {
    headers["Tus-Resumable"] = "1.0.0";
    headers["Authorization"] = "Bearer " + token;
    return HttpClient((*server)->port()).Request(method, target, body, headers);
  };
  auto create = [&](const std::string& token) {
    return send("POST", "/uploads", token, {{"Upload-Length", "10"}, {"Upload-Metadata", "filename " + Base64Encode("a.mp4")}});
  };

  const auto created = create(teacher);
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(create(edge).status, 403);
  EXPECT_EQ(create("not-a-token").status, 401);
  const int calls_so_far = catalog_calls.load();
  const std::map<std::string, std::string> patch = {{"Content-Type", "application/offset+octet-stream"},
                                                    {"Upload-Offset", "0"}};
  ASSERT_EQ(send("PATCH", created.Header("location"), teacher, patch, "01234").status, 204);
  EXPECT_EQ(catalog_calls.load(), calls_so_far) << "a known teacher's PATCH asked the catalog again";

  catalog.Stop();
  auto rest = patch;
  rest["Upload-Offset"] = "5";
  EXPECT_EQ(send("PATCH", created.Header("location"), teacher, rest, "56789").status, 204);
  EXPECT_EQ(create(late_teacher).status, 503);
  (*server)->Stop();
  std::lock_guard lock(mu);
  ASSERT_EQ(completed.size(), 1u);
  EXPECT_EQ(UploaderAuth::SchoolOf(completed[0]), "tianhe-3");
}

}  // namespace
}  // namespace lm::origin
