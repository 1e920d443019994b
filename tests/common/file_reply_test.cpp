// Files over HTTP as RFC 9110 says, through the real server: conditional requests (ETag lists, weak
// tags, `*`, If-Range), ranges (suffix, open, joined, disjoint, unsatisfiable, malformed), HEAD, and
// the server's sendfile path: a slow reader gets every byte, a stalled one is cut at the deadline
// while others are served, and the connection is kept alive after a file reply.

#include "common/http/file_reply.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "common/http/http_server.h"
#include "common/unique_fd.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::http {
namespace {

using lm::testing::HttpClient;
using lm::testing::HttpResult;

constexpr char kEtag[] = "\"0123abcd\"";

class FileReplyTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer(ServerOptions{}); }

  void StartServer(ServerOptions options) {
    std::mt19937 rng(7);
    content_.resize(8 * 1024 * 1024 + 17);
    for (auto& c : content_) c = static_cast<char>(rng());
    lm::testing::WriteFile(tmp_ / "rendition.mp4", content_);
    auto server = HttpServer::Start(
        options,
        [this](Request r, Responder respond) {
          auto file = OpenReplyFile(tmp_ / "rendition.mp4");
          if (!file.ok()) return respond(ErrorReply(file.status()));
          file->etag = kEtag;
          file->content_type = "video/mp4";
          respond(FileReply(r, std::move(*file)));
        },
        [](const std::string&, const std::string&) -> std::size_t { return 0; });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(*server);
  }

  HttpResult Get(std::map<std::string, std::string> headers, const std::string& method = "GET") {
    return HttpClient(server_->port()).Request(method, "/f", "", headers);
  }

  // A raw connection: the request is sent, nothing is read yet.
  UniqueFd Connect(const std::string& request, int receive_buffer = 0) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
    if (receive_buffer > 0) ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(server_->port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::send(fd.get(), request.data(), request.size(), 0), static_cast<ssize_t>(request.size()));
    return fd;
  }

  lm::testing::TempDir tmp_;
  std::string content_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(FileReplyTest, ConditionalRequestsFollowRfc9110) {
  struct Case {
    std::string if_none_match;
    int status;
  };
  for (const Case& c : std::vector<Case>{{kEtag, 304},
                                         {"W/\"0123abcd\"", 304},  // weak comparison
                                         {"\"x\", \"0123abcd\"", 304},
                                         {"\"x\",W/\"0123abcd\" ", 304},
                                         {"*", 304},
                                         {"\"x\", \"y\"", 200},
                                         {"\"0123abc\"", 200}}) {
    auto r = Get({{"If-None-Match", c.if_none_match}});
    EXPECT_EQ(r.status, c.status) << c.if_none_match;
    EXPECT_EQ(r.Header("etag"), kEtag) << c.if_none_match;
    if (c.status == 304) {
      EXPECT_TRUE(r.body.empty());
    }
  }
}

TEST_F(FileReplyTest, RangesFollowRfc9110) {
  const auto n = content_.size();
  const std::string size = std::to_string(n);
  struct Case {
    std::map<std::string, std::string> headers;
    int status;
    std::uint64_t first, last;  // the bytes expected (inclusive), for 200/206
  };
  const std::vector<Case> cases = {
      {{{"Range", "bytes=0-0"}}, 206, 0, 0},
      {{{"Range", "bytes=100-199"}}, 206, 100, 199},
      {{{"Range", "bytes=100-"}}, 206, 100, n - 1},
      {{{"Range", "bytes=-500"}}, 206, n - 500, n - 1},
      {{{"Range", "bytes=-99999999"}}, 206, 0, n - 1},         // a suffix longer than the file
      {{{"Range", "bytes=10-" + std::to_string(n + 100)}}, 206, 10, n - 1},  // last past the end
      {{{"Range", "bytes=0-99, 100-199"}}, 206, 0, 199},       // adjacent: joined
      {{{"Range", "bytes=50-150,0-99"}}, 206, 0, 150},         // overlapping, out of order: joined
      {{{"Range", "bytes=0-9,1000-1009"}}, 200, 0, n - 1},     // disjoint: the whole file (no multipart)
      {{{"Range", "bytes=" + size + "-, 5-9"}}, 206, 5, 9},    // the unsatisfiable one is dropped
      {{{"Range", "lines=1-2"}}, 200, 0, n - 1},               // another unit: ignored
      {{{"Range", "bytes=9-1"}}, 200, 0, n - 1},               // malformed: ignored
      {{{"Range", "bytes=abc"}}, 200, 0, n - 1},
      {{{"Range", "bytes=5-9"}, {"If-Range", kEtag}}, 206, 5, 9},
      {{{"Range", "bytes=5-9"}, {"If-Range", "\"other\""}}, 200, 0, n - 1},
      {{{"Range", "bytes=5-9"}, {"If-Range", "W/\"0123abcd\""}}, 200, 0, n - 1},  // weak never matches
      {{{"Range", "bytes=5-9"}, {"If-Range", "Tue, 01 Dec 2026 00:00:00 GMT"}}, 200, 0, n - 1},
  };
  for (const Case& c : cases) {
    const std::string label = c.headers.begin()->second;
    auto r = Get(c.headers);
    ASSERT_EQ(r.status, c.status) << label;
    ASSERT_EQ(r.body.size(), c.last - c.first + 1) << label;
    EXPECT_TRUE(r.body == content_.substr(c.first, c.last - c.first + 1)) << label << ": bytes differ";
    if (c.status == 206) {
      EXPECT_EQ(r.Header("content-range"),
                "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + size) << label;
    }
  }
  for (const std::string& unsatisfiable : std::vector<std::string>{"bytes=" + size + "-", "bytes=-0", "bytes=" + size + "-" + size + "0"}) {
    auto r = Get({{"Range", unsatisfiable}});
    EXPECT_EQ(r.status, 416) << unsatisfiable;
    EXPECT_EQ(r.Header("content-range"), "bytes */" + size) << unsatisfiable;
  }
  auto head = Get({{"Range", "bytes=10-19"}}, "HEAD");
  EXPECT_EQ(head.status, 206);
  EXPECT_EQ(head.Header("content-length"), "10");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(Get({}, "HEAD").Header("content-length"), size);
}

TEST_F(FileReplyTest, ASlowReaderGetsEveryByteAndTheConnectionStaysOpen) {
  HttpClient client(server_->port());
  // Several requests on one kept-alive connection, each sent by sendfile.
  for (int i = 0; i < 3; ++i) {
    auto r = client.Request("GET", "/f", "", {{"Range", "bytes=" + std::to_string(i * 1000) + "-"}});
    ASSERT_EQ(r.status, 206);
    ASSERT_TRUE(r.body == content_.substr(static_cast<size_t>(i) * 1000)) << "request " << i << ": bytes differ";
  }
  // A reader with a tiny receive window: the server waits on the full socket many times.
  UniqueFd slow = Connect("GET /f HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 4096);
  std::string got;
  char buf[2048];
  for (ssize_t n; (n = ::recv(slow.get(), buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
  const size_t body_at = got.find("\r\n\r\n");
  ASSERT_NE(body_at, std::string::npos);
  EXPECT_NE(got.find("Content-Length: " + std::to_string(content_.size())), std::string::npos) << got.substr(0, body_at);
  EXPECT_TRUE(got.substr(body_at + 4) == content_) << "the slow reader's bytes differ";
}

TEST_F(FileReplyTest, AStalledReaderIsCutAtTheDeadlineWhileOthersAreServed) {
  server_.reset();
  ServerOptions options;
  options.read_timeout_ms = 500;
  StartServer(options);
  UniqueFd stalled = Connect("GET /f HTTP/1.1\r\nHost: x\r\n\r\n", 4096);
  char buf[65536];
  ASSERT_GT(::recv(stalled.get(), buf, 12, MSG_WAITALL), 0);  // the reply has begun; now it reads nothing
  // While it reads nothing, others are served at once.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get({{"Range", "bytes=0-9"}}).status, 206);
  // Stop waits for replies in flight: it returns once the stalled reply is given up at the
  // deadline, long before its grace runs out.
  const auto start = std::chrono::steady_clock::now();
  server_->Stop(std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - start, lm::testing::ScaledDuration(10))
      << "a stalled reader held its reply past the deadline";
  server_.reset();  // closes what Stop left open
  timeval deadline{static_cast<time_t>(lm::testing::Scaled(10)), 0};  // a failure must not hang the test
  ::setsockopt(stalled.get(), SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
  std::size_t total = 12;
  for (ssize_t n; (n = ::recv(stalled.get(), buf, sizeof buf, 0)) > 0;) total += static_cast<size_t>(n);
  EXPECT_LT(total, content_.size()) << "a stalled reader was sent the whole file";
}

}  // namespace
}  // namespace lm::http
