// Slow or idle clients cannot hold the shared HTTP server: connections over the per-client limit
// are refused at once (a 503) while other clients are served; a slowloris (many connections, each
// sending its header a byte at a time) is cut by the header timeout and never stops a normal
// client; an idle connection to the TLS port is cut by the handshake timeout.

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "common/http/http_client.h"
#include "common/http/http_server.h"
#include "common/unique_fd.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/wait_for.h"

namespace lm::http {
namespace {

using lm::testing::Scaled;
using lm::testing::WaitFor;

std::unique_ptr<HttpServer> Start(ServerOptions options) {
  auto server = HttpServer::Start(
      options, [](Request req, Responder respond) { respond(JsonReply(200, R"({"served":")" + req.path + "\"}")); },
      [](const std::string&, const std::string&) -> std::size_t { return 1000; });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

// A raw TCP connection to 127.0.0.1:`port` from `source` (any 127.x.y.z is this machine: a second
// client address on one host).
UniqueFd ConnectFrom(const char* source, std::uint16_t port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd.get(), reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ADD_FAILURE() << "connect from " << source << ": " << std::strerror(errno);
  }
  return fd;
}

// Whether the server has closed `fd` (reading gives end of file or an error), without waiting; what
// it sent before is appended to `*got`.
bool ClosedByServer(int fd, std::string* got) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      got->append(buf, static_cast<std::size_t>(n));
      continue;
    }
    return n == 0 || (errno != EAGAIN && errno != EINTR);
  }
}

Result<ClientReply> NormalGet(std::uint16_t port) {
  ClientRequest req;
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/normal";
  req.timeout_ms = static_cast<int>(Scaled(10) * 1000);
  return Fetch(req);
}

TEST(SlowClientsTest, TheConnectionLimitRefusesTheExcessAndFreesPlaces) {
  ServerOptions options;
  options.max_connections_per_client = 4;
  options.max_connections = 6;
  // The idle connections hold their places for the whole test, however slow the machine: no
  // header timeout (10 s by default) cuts them meanwhile.
  options.read_timeout_ms = 600000;
  options.header_timeout_ms = 600000;
  auto server = Start(options);
  ASSERT_NE(server, nullptr);

  std::vector<UniqueFd> idle;
  for (int i = 0; i < 4; ++i) idle.push_back(ConnectFrom("127.0.0.2", server->port()));
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 4; }, 10)) << server->open_connections();
  // The fifth from that address is answered 503 and closed at once.
  UniqueFd excess = ConnectFrom("127.0.0.2", server->port());
  std::string refused;
  ASSERT_TRUE(WaitFor([&] { return ClosedByServer(excess.get(), &refused); }, 10));
  EXPECT_EQ(refused.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << refused;
  EXPECT_NE(refused.find(R"("code":"unavailable")"), std::string::npos) << refused;

  // Another address is still served; the total limit (6) then holds across addresses.
  auto normal = NormalGet(server->port());
  ASSERT_TRUE(normal.ok()) << normal.status().ToString();
  EXPECT_EQ(normal->body, R"({"served":"/normal"})");
  idle.push_back(ConnectFrom("127.0.0.3", server->port()));
  idle.push_back(ConnectFrom("127.0.0.3", server->port()));
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 6; }, 10)) << server->open_connections();
  UniqueFd over_total = ConnectFrom("127.0.0.4", server->port());
  std::string refused_total;
  ASSERT_TRUE(WaitFor([&] { return ClosedByServer(over_total.get(), &refused_total); }, 10));
  EXPECT_EQ(refused_total.rfind("HTTP/1.1 503", 0), 0u) << refused_total;

  // A place given back is taken again.
  idle.clear();
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 0; }, 10)) << server->open_connections();
  normal = NormalGet(server->port());
  ASSERT_TRUE(normal.ok()) << normal.status().ToString();
  EXPECT_EQ(normal->status, 200);
}

TEST(SlowClientsTest, ASlowlorisIsCutByTheHeaderTimeoutAndNeverStopsANormalClient) {
  ServerOptions options;
  options.max_connections_per_client = 8;
  options.header_timeout_ms = 3000;
  auto server = Start(options);
  ASSERT_NE(server, nullptr);

  // 12 connections from one address, each trickling a header a byte every 50 ms: ~20 s for the
  // whole, far past the header timeout.
  const std::string header = "GET /slow HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(350, 'a') + "\r\n\r\n";
  std::vector<UniqueFd> slow;
  for (int i = 0; i < 12; ++i) slow.push_back(ConnectFrom("127.0.0.2", server->port()));
  std::vector<std::string> got(slow.size());
  std::vector<std::atomic<bool>> cut(slow.size());
  std::vector<std::size_t> sent(slow.size(), 0);
  std::atomic<bool> quit{false};
  std::jthread trickle([&] {
    while (!quit.load()) {
      for (std::size_t i = 0; i < slow.size(); ++i) {
        if (cut[i].load()) continue;
        if (ClosedByServer(slow[i].get(), &got[i])) {
          cut[i] = true;
          continue;
        }
        if (sent[i] < header.size() && ::send(slow[i].get(), &header[sent[i]], 1, MSG_NOSIGNAL) == 1) ++sent[i];
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the slowloris's pace, not a wait
    }
  });
  auto all_cut = [&] {
    for (const auto& c : cut) {
      if (!c.load()) return false;
    }
    return true;
  };

  // While the slowloris holds all its places, a normal client is served.
  ASSERT_TRUE(WaitFor([&] { return server->open_connections() == 8; }, 10)) << server->open_connections();
  auto normal = NormalGet(server->port());
  ASSERT_TRUE(normal.ok()) << normal.status().ToString();
  EXPECT_EQ(normal->body, R"({"served":"/normal"})");

  // Every slow connection ends: 4 refused at once, 8 cut by the header timeout, none served.
  ASSERT_TRUE(WaitFor(all_cut, 15));
  quit = true;
  trickle.join();
  int refused = 0;
  for (std::size_t i = 0; i < slow.size(); ++i) {
    EXPECT_LT(sent[i], header.size()) << "connection " << i << " sent its whole header";
    EXPECT_EQ(got[i].find("/slow"), std::string::npos) << got[i];
    if (got[i].rfind("HTTP/1.1 503", 0) == 0) ++refused;
  }
  EXPECT_EQ(refused, 4);
  EXPECT_TRUE(WaitFor([&] { return server->open_connections() == 0; }, 10)) << server->open_connections();
  normal = NormalGet(server->port());
  ASSERT_TRUE(normal.ok()) << normal.status().ToString();
}

TEST(SlowClientsTest, AnIdleConnectionToTheTlsPortIsCutByTheHandshakeTimeout) {
  lm::testing::TempDir dir;
  lm::testing::TestCa ca(dir.path());
  const auto files = ca.Issue("server", {"127.0.0.1"});
  ServerOptions options;
  options.handshake_timeout_ms = 1000;
  options.tls = TlsListenerOptions{"127.0.0.1", 0, files.cert_file, files.key_file};
  auto server = Start(options);
  ASSERT_NE(server, nullptr);
  UniqueFd idle = ConnectFrom("127.0.0.1", server->tls_port());
  std::string got;
  const auto began = std::chrono::steady_clock::now();
  ASSERT_TRUE(WaitFor([&] { return ClosedByServer(idle.get(), &got); }, 10));
  EXPECT_GE(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(900));
  EXPECT_TRUE(got.empty());
  EXPECT_TRUE(WaitFor([&] { return server->open_connections() == 0; }, 10));
}

}  // namespace
}  // namespace lm::http
