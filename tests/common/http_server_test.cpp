// The shared HTTP server on loopback: routing data reaches the handler decoded, replies come back
// with their status and headers, keep-alive works, limits and malformed requests get JSON errors,
// deferred replies (long polls) arrive, and Stop() lets a request in flight finish.

#include "common/http/http_server.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <future>

#include "tests/testing/http_client.h"

namespace lm::http {
namespace {

using lm::testing::HttpClient;

std::unique_ptr<HttpServer> StartEcho(std::atomic<int>* handled = nullptr) {
  auto server = HttpServer::Start(
      ServerOptions{},
      [handled](Request req, Responder respond) {
        if (handled) ++*handled;
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

TEST(HttpServerTest, BadListenAddressIsAnError) {
  ServerOptions o;
  o.address = "not-an-address";
  auto s = HttpServer::Start(o, [](Request, Responder) {}, [](const std::string&, const std::string&) -> std::size_t {
    return 1;
  });
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lm::http
