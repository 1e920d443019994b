// The shared HTTP server on loopback: routing data reaches the handler decoded, replies come back
// with their status and headers, keep-alive works, limits and malformed requests get JSON errors,
// deferred replies (long polls) arrive, and Stop() lets a request in flight finish. Streamed
// bodies arrive whole and in order, a cut one ends with exactly the bytes sent, a refusal stops
// the reading, and routes that do not stream work as before.

#include "common/http/http_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "common/http/file_reply.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::http {
namespace {

using lm::testing::HttpClient;

std::unique_ptr<HttpServer> StartEcho(std::atomic<int>* handled = nullptr) {
  auto server = HttpServer::Start(
      ServerOptions{},
      [handled](Request req, Responder respond) {
        if (handled) ++*handled;
        if (req.path == "/throws") throw std::out_of_range("a handler's bug");
        if (req.path == "/later") {
          // Answered from elsewhere, later: as a long poll is.
          std::thread([respond] { respond(JsonReply(200, R"({"late":true})")); }).detach();
          return;
        }
        nlohmann::json j;
        j["method"] = req.method;
        j["path"] = req.path;
        j["q"] = req.Query("q");
        j["body"] = req.body;
        j["token"] = req.Header("authorization");
        Reply r = JsonReply(200, j.dump());
        r.headers.push_back({"ETag", "\"v1\""});
        respond(std::move(r));
      },
      [](const std::string& method, const std::string& target) -> std::size_t {
        return target.rfind("/upload", 0) == 0 ? 1000 : 100;
      });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(server).value();
}

TEST(HttpServerTest, DecodesRequestAndKeepsConnectionAlive) {
  auto server = StartEcho();
  HttpClient client(server->port());
  auto r = client.Request("GET", "/v1/lessons/%E5%88%86?q=%E5%88%86%E6%95%B0+%E5%85%A5%E9%97%A8", "",
                          {{"Authorization", "Bearer abc"}});
  ASSERT_EQ(r.status, 200) << r.error;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["path"], "/v1/lessons/分");
  EXPECT_EQ(j["q"], "分数 入门");
  EXPECT_EQ(j["token"], "Bearer abc");
  EXPECT_EQ(r.Header("etag"), "\"v1\"");
  EXPECT_EQ(r.Header("content-type"), "application/json");
  // Same connection again.
  auto r2 = client.Request("POST", "/upload", "hello");
  ASSERT_EQ(r2.status, 200) << r2.error;
  EXPECT_EQ(nlohmann::json::parse(r2.body)["body"], "hello");
}

TEST(HttpServerTest, BodyLimitIsPerRouteAndAnsweredWithJson) {
  std::atomic<int> handled{0};
  auto server = StartEcho(&handled);
  HttpClient client(server->port());
  auto small_route = client.Request("POST", "/v1/x", std::string(101, 'a'));
  EXPECT_EQ(small_route.status, 413);
  EXPECT_EQ(nlohmann::json::parse(small_route.body)["code"], "too_large");
  HttpClient client2(server->port());
  EXPECT_EQ(client2.Request("POST", "/upload", std::string(999, 'a')).status, 200);
  EXPECT_EQ(handled.load(), 1);  // the rejected request never reached the handler
}

TEST(HttpServerTest, MalformedRequestGets400) {
  auto server = StartEcho();
  HttpClient client(server->port());
  auto r = client.Raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(r.status, 400) << r.error;
  EXPECT_EQ(nlohmann::json::parse(r.body)["code"], "invalid_argument");
}

// A handler that throws (a bug in route code) gets its request a 500 with a JSON body; the server
// and the connection stay up for the next request.
TEST(HttpServerTest, AHandlerThatThrowsAnswers500AndTheServerStaysUp) {
  auto server = StartEcho();
  HttpClient client(server->port());
  auto r = client.Request("GET", "/throws");
  EXPECT_EQ(r.status, 500) << r.error;
  EXPECT_EQ(nlohmann::json::parse(r.body, nullptr, false).value("code", ""), "internal") << r.body;
  auto next = client.Request("GET", "/after");
  ASSERT_EQ(next.status, 200) << next.error;
  EXPECT_EQ(nlohmann::json::parse(next.body)["path"], "/after");
}

TEST(HttpServerTest, DeferredReplyArrives) {
  auto server = StartEcho();
  HttpClient client(server->port());
  auto r = client.Request("GET", "/later");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"late":true})");
}

TEST(HttpServerTest, RunAfterFiresOnAWorker) {
  auto server = StartEcho();
  std::promise<void> fired;
  server->RunAfter(std::chrono::milliseconds(20), [&] { fired.set_value(); });
  EXPECT_EQ(fired.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
}

TEST(HttpServerTest, StopLetsTheRequestInFlightFinish) {
  std::promise<Responder> parked;
  auto server = HttpServer::Start(
      ServerOptions{}, [&](Request, Responder respond) { parked.set_value(std::move(respond)); },
      [](const std::string&, const std::string&) -> std::size_t { return 100; });
  ASSERT_TRUE(server.ok());
  const auto port = (*server)->port();
  auto reply = std::async(std::launch::async, [port] { return HttpClient(port).Request("GET", "/slow"); });
  auto respond = parked.get_future().get();
  std::thread stopper([&] { (*server)->Stop(std::chrono::seconds(10)); });
  respond(JsonReply(200, "{}"));
  stopper.join();
  EXPECT_EQ(reply.get().status, 200);
  // After Stop nothing accepts.
  EXPECT_EQ(HttpClient(port).Request("GET", "/").status, 0);
}

// What a stream route's callbacks saw, for a test to wait on.
struct StreamLog {
  std::mutex mu;
  std::condition_variable changed;
  Request head;
  int route_calls = 0;
  std::string bytes;
  int pieces = 0;
  bool overlapped = false;  // two callbacks ran at once
  std::optional<Status> outcome;
  std::atomic<int> inside{0};

  // Waits up to `deadline` for on_end.
  std::optional<Status> WaitForEnd(std::chrono::seconds deadline) {
    std::unique_lock lock(mu);
    changed.wait_for(lock, deadline, [&] { return outcome.has_value(); });
    return outcome;
  }
};

// A server whose stream route takes PATCH /stream (failing once more than ?fail_after= bytes came),
// answers PATCH /refuse at once, and leaves the rest to a handler that echoes the body. Bodies up
// to 8 MiB, but 100 bytes for /plain.
std::unique_ptr<HttpServer> StartStreaming(StreamLog* log, std::atomic<int>* handled) {
  auto server = HttpServer::Start(
      ServerOptions{},
      [handled](Request req, Responder respond) {
        ++*handled;
        respond(JsonReply(200, nlohmann::json{{"path", req.path}, {"body", req.body}}.dump()));
      },
      [](const std::string&, const std::string& target) -> std::size_t {
        return target.rfind("/plain", 0) == 0 ? 100 : 8u << 20;
      },
      [log](const Request& head) -> std::optional<StreamOrReply> {
        if (head.method != "PATCH") return std::nullopt;
        {
          std::lock_guard lock(log->mu);
          ++log->route_calls;
          log->head = head;
        }
        if (head.path == "/refuse") return ErrorReply(401, "unauthenticated", "who are you");
        if (head.path != "/stream") return std::nullopt;
        const std::size_t fail_after = head.Query("fail_after").empty() ? SIZE_MAX : std::stoul(head.Query("fail_after"));
        BodyStream stream;
        stream.on_data = [log, fail_after](std::string_view piece) {
          if (log->inside++ != 0) log->overlapped = true;
          std::lock_guard lock(log->mu);
          log->bytes.append(piece);
          ++log->pieces;
          --log->inside;
          if (log->bytes.size() > fail_after) return Status(StatusCode::kAlreadyExists, "enough", "offset");
          return Status::Ok();
        };
        stream.on_end = [log](const Status& outcome) {
          if (log->inside++ != 0) log->overlapped = true;
          std::lock_guard lock(log->mu);
          log->outcome = outcome;
          log->changed.notify_all();
          --log->inside;
          if (!outcome.ok()) return ErrorReply(outcome);
          return JsonReply(200, nlohmann::json{{"bytes", log->bytes.size()}, {"pieces", log->pieces}}.dump());
        };
        return stream;
      });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return std::move(server).value();
}

std::string Pattern(std::size_t size) {
  std::string s(size, '\0');
  for (std::size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + i / 251) % 256);
  return s;
}

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

// A raw client connection, for bodies that stop short.
struct RawConnection {
  net::io_context ioc;
  net::ip::tcp::socket socket{ioc};
  explicit RawConnection(std::uint16_t port) {
    socket.connect({net::ip::make_address("127.0.0.1"), port});
  }
  void Send(std::string_view bytes) { net::write(socket, net::buffer(bytes.data(), bytes.size())); }
  void Cut() {
    boost::system::error_code ec;
    socket.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    socket.close(ec);
  }
};

TEST(HttpServerStreamTest, LargeBodyArrivesInPiecesInOrder) {
  StreamLog log;
  std::atomic<int> handled{0};
  auto server = StartStreaming(&log, &handled);
  const std::string body = Pattern(5u << 20);
  HttpClient client(server->port());
  auto r = client.Request("PATCH", "/stream?x=1", body, {{"X-Lesson", "分数"}});
  ASSERT_EQ(r.status, 200) << r.error << r.body;
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["bytes"], body.size());
  ASSERT_TRUE(log.WaitForEnd(std::chrono::seconds(10)).has_value());
  {
    std::lock_guard lock(log.mu);
    EXPECT_TRUE(log.outcome->ok()) << log.outcome->ToString();
    EXPECT_TRUE(log.bytes == body) << "streamed bytes differ from the body sent";
    EXPECT_GE(log.pieces, 80);  // 64 KiB pieces, not the whole body at once
    EXPECT_FALSE(log.overlapped);
    EXPECT_EQ(log.head.path, "/stream");
    EXPECT_EQ(log.head.Query("x"), "1");
    EXPECT_EQ(log.head.Header("x-lesson"), "分数");
    EXPECT_EQ(log.head.Header("content-length"), std::to_string(body.size()));
    EXPECT_TRUE(log.head.body.empty());
  }
  // The connection stays usable, and requests the route declines reach the handler whole.
  auto plain = client.Request("PATCH", "/plain", "hello");
  ASSERT_EQ(plain.status, 200) << plain.error;
  EXPECT_EQ(nlohmann::json::parse(plain.body)["body"], "hello");
  EXPECT_EQ(handled.load(), 1);
}

TEST(HttpServerStreamTest, CutBodyEndsWithExactlyTheBytesSent) {
  StreamLog log;
  std::atomic<int> handled{0};
  auto server = StartStreaming(&log, &handled);
  const std::string body = Pattern(1u << 20);
  const std::size_t sent = 300001;
  RawConnection conn(server->port());
  conn.Send("PATCH /stream HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  conn.Send(std::string_view(body).substr(0, sent));
  conn.Cut();
  auto outcome = log.WaitForEnd(std::chrono::seconds(10));
  ASSERT_TRUE(outcome.has_value()) << "on_end was not called";
  EXPECT_EQ(outcome->code(), StatusCode::kCancelled) << outcome->ToString();
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.bytes.size(), sent);
  EXPECT_TRUE(log.bytes == body.substr(0, sent));
  EXPECT_EQ(handled.load(), 0);
}

TEST(HttpServerStreamTest, RefusedPieceIsAnsweredAndReadingStops) {
  StreamLog log;
  std::atomic<int> handled{0};
  auto server = StartStreaming(&log, &handled);
  // The client sends all 7 MiB before it reads; it still gets the answer.
  const std::string body = Pattern(7u << 20);
  HttpClient client(server->port());
  auto r = client.Request("PATCH", "/stream?fail_after=100000", body);
  EXPECT_EQ(r.status, 409) << r.error;
  EXPECT_EQ(r.Header("connection"), "close");
  ASSERT_TRUE(log.WaitForEnd(std::chrono::seconds(10)).has_value());
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.outcome->message(), "enough");
  EXPECT_LT(log.bytes.size(), body.size());
  EXPECT_TRUE(log.bytes == body.substr(0, log.bytes.size()));
}

TEST(HttpServerStreamTest, RouteMayAnswerBeforeTheBodyAndTheLimitStillHolds) {
  StreamLog log;
  std::atomic<int> handled{0};
  auto server = StartStreaming(&log, &handled);
  auto refused = HttpClient(server->port()).Request("PATCH", "/refuse", Pattern(2u << 20));
  EXPECT_EQ(refused.status, 401) << refused.error;
  EXPECT_EQ(nlohmann::json::parse(refused.body)["code"], "unauthenticated");
  // Over the body limit: refused before the route sees it.
  auto too_big =
      HttpClient(server->port()).Raw("PATCH /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n");
  EXPECT_EQ(too_big.status, 413) << too_big.error;
  EXPECT_EQ(handled.load(), 0);
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.route_calls, 1);
  EXPECT_TRUE(log.bytes.empty());
  EXPECT_FALSE(log.outcome.has_value());
}

TEST(HttpServerStreamTest, ChunkedAndExpectContinueBodiesAreStreamed) {
  StreamLog log;
  std::atomic<int> handled{0};
  auto server = StartStreaming(&log, &handled);
  auto chunked = HttpClient(server->port())
                     .Raw("PATCH /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_EQ(chunked.status, 200) << chunked.error;
  {
    std::lock_guard lock(log.mu);
    EXPECT_EQ(log.bytes, "hello world");
    log.bytes.clear();
    log.outcome.reset();
  }
  // A client that asks first gets 100 Continue before it sends the body.
  RawConnection conn(server->port());
  conn.Send("PATCH /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  boost::beast::flat_buffer buffer;
  bhttp::response<bhttp::string_body> interim;
  bhttp::read(conn.socket, buffer, interim);
  EXPECT_EQ(interim.result_int(), 100u);
  conn.Send("abcde");
  bhttp::response<bhttp::string_body> final_reply;
  bhttp::read(conn.socket, buffer, final_reply);
  EXPECT_EQ(final_reply.result_int(), 200u);
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.bytes, "abcde");
}

TEST(HttpServerTest, BadListenAddressIsAnError) {
  ServerOptions o;
  o.address = "not-an-address";
  auto s = HttpServer::Start(o, [](Request, Responder) {}, [](const std::string&, const std::string&) -> std::size_t {
    return 1;
  });
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
}

// The reply's timeout is for progress: a client that keeps reading a reply far larger than it can
// take within the timeout (a web seed range to a school on a slow link) gets all of it, and one that
// stops reading is dropped. Before, one deadline covered the whole write and cut the slow reader.
TEST(HttpServerTest, ASlowReaderGetsALargeReplyWholeAndAStalledOneIsDropped) {
  ServerOptions options;
  options.read_timeout_ms = 400;
  const std::string body = Pattern(6u << 20);
  auto server = HttpServer::Start(
      options,
      [&body](Request, Responder respond) {
        Reply r;
        r.status = 200;
        r.content_type = "application/octet-stream";
        r.body = body;
        respond(std::move(r));
      },
      [](const std::string&, const std::string&) -> std::size_t { return 0; });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  // The reply's body as the connection yields it until the server closes it or it is whole, read
  // after `first_pause`, then once every `pause`.
  auto fetch = [&](std::chrono::milliseconds first_pause, std::chrono::milliseconds pause) {
    net::io_context ioc;
    net::ip::tcp::socket socket(ioc);
    socket.open(net::ip::tcp::v4());
    socket.set_option(net::socket_base::receive_buffer_size(32 * 1024));  // the client's window stays small
    socket.connect({net::ip::make_address("127.0.0.1"), (*server)->port()});
    const std::string request = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
    net::write(socket, net::buffer(request));
    std::this_thread::sleep_for(first_pause);  // the client's pace is what is tested
    std::string got, piece(256 * 1024, '\0');
    for (;;) {
      boost::system::error_code ec;
      const std::size_t n = socket.read_some(net::buffer(piece), ec);
      got.append(piece.data(), n);
      if (ec) break;
      const size_t head_end = got.find("\r\n\r\n");
      if (head_end != std::string::npos && got.size() - head_end - 4 >= body.size()) break;
      std::this_thread::sleep_for(pause);
    }
    const size_t head_end = got.find("\r\n\r\n");
    return head_end == std::string::npos ? std::string() : got.substr(head_end + 4);
  };
  // 6 MiB through a 64 KiB window every 10 ms takes over a second, several times the timeout.
  const auto t0 = std::chrono::steady_clock::now();
  const std::string slow = fetch(std::chrono::milliseconds(0), std::chrono::milliseconds(10));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(seconds, 2.0 * options.read_timeout_ms / 1000) << "the reader was not slow";
  EXPECT_EQ(slow.size(), body.size());
  EXPECT_TRUE(slow == body) << "the slow reader's body differs";
  // A client that takes nothing for several timeouts finds the reply cut.
  const std::string stalled = fetch(std::chrono::milliseconds(3 * options.read_timeout_ms), std::chrono::milliseconds(0));
  EXPECT_LT(stalled.size(), body.size());
}

// A client that goes away while a file reply is being sent (it closes its sending side, then the
// rest, as libtorrent does with a web seed connection it no longer needs) makes the next sendfile
// raise SIGPIPE, which used to end the whole process: the origin died mid-distribution in the
// network lab. The signal is now held on the network thread and the server goes on serving.
TEST(HttpServerTest, AClientGoneMidFileReplyDoesNotEndTheProcess) {
  lm::testing::TempDir dir;
  const std::filesystem::path path = dir / "big.bin";
  lm::testing::WriteFile(path, Pattern(32u << 20));
  auto server = HttpServer::Start(
      ServerOptions{},
      [&path](Request req, Responder respond) {
        if (req.path == "/ok") return respond(JsonReply(200, R"({"ok":true})"));
        auto file = OpenReplyFile(path);
        if (!file.ok()) return respond(ErrorReply(500, "io_error", file.status().message()));
        respond(FileReply(req, std::move(*file)));
      },
      [](const std::string&, const std::string&) -> std::size_t { return 0; });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  {
    net::io_context ioc;
    net::ip::tcp::socket socket(ioc);
    socket.open(net::ip::tcp::v4());
    socket.set_option(net::socket_base::receive_buffer_size(32 * 1024));
    socket.connect({net::ip::make_address("127.0.0.1"), (*server)->port()});
    net::write(socket, net::buffer(std::string("GET /big HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string piece(64 * 1024, '\0');
    net::read(socket, net::buffer(piece));
    socket.shutdown(net::ip::tcp::socket::shutdown_send);  // FIN: the server's side is now CLOSE_WAIT
    net::read(socket, net::buffer(piece));
    socket.close();  // with bytes unread: a reset, after which the server's next write is EPIPE
  }
  // The reset reaches the server's next sendfile at once; the SIGPIPE it raises is held pending on
  // a network thread (SigPnd bit 13 of that thread).
  auto sigpipe_held = [] {
    for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
      std::ifstream status(task.path() / "status");
      for (std::string line; std::getline(status, line);) {
        if (line.rfind("SigPnd:", 0) == 0 && (std::stoull(line.substr(7), nullptr, 16) & (1ull << (SIGPIPE - 1))))
          return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(lm::testing::WaitFor(sigpipe_held, 10)) << "no write met the closed connection";
  HttpClient client((*server)->port());
  EXPECT_EQ(client.Request("GET", "/ok").status, 200);
}

}  // namespace
}  // namespace lm::http
