// HTTPS through the shared server and client, with a CA and certificates the test makes
// (tests/testing/test_certificates.h): requests and file replies are answered over TLS beside
// plain HTTP; the client refuses a certificate for another host, an expired one, and one from a
// CA it does not trust; a reload swaps the certificate for new connections while a kept-alive
// connection goes on with its own, and a bad reload keeps the old one.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/http/file_reply.h"
#include "common/http/http_client.h"
#include "common/http/http_server.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/wait_for.h"

namespace lm::http {
namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using lm::testing::CertFiles;
using lm::testing::TempDir;
using lm::testing::TestCa;

// Answers /file with `file` (if set; at the rate `pace` allows, if set) and anything else with its path.
std::unique_ptr<HttpServer> StartTls(const CertFiles& files, const std::filesystem::path& file = {},
                                     std::shared_ptr<RateLimit> pace = nullptr) {
  ServerOptions options;
  options.tls = TlsListenerOptions{"127.0.0.1", 0, files.cert_file, files.key_file};
  auto server = HttpServer::Start(
      options,
      [file, pace](Request req, Responder respond) {
        if (req.path == "/file") {
          auto opened = OpenReplyFile(file);
          if (!opened.ok()) return respond(JsonReply(404, "{}"));
          Reply reply = FileReply(req, std::move(opened).value());
          if (reply.file) reply.file->pace = pace;
          return respond(std::move(reply));
        }
        respond(JsonReply(200, nlohmann::json{{"path", req.path}}.dump()));
      },
      [](const std::string&, const std::string&) -> std::size_t { return 1000; });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

Result<ClientReply> Get(const std::string& url, const std::string& ca_file) {
  ClientRequest req;
  req.url = url;
  req.ca_file = ca_file;
  req.timeout_ms = static_cast<int>(lm::testing::Scaled(20) * 1000);
  return Fetch(req);
}

std::string HttpsUrl(const HttpServer& server, const std::string& path, const std::string& host = "127.0.0.1") {
  return "https://" + host + ":" + std::to_string(server.tls_port()) + path;
}

// One kept-alive TLS connection (trusting `ca_file`), to see which certificate it was given and
// to send several requests on it. Every step has a deadline.
class TlsConnection {
 public:
  TlsConnection(std::uint16_t port, const std::string& ca_file) : ctx_(net::ssl::context::tls_client) {
    ctx_.load_verify_file(ca_file);
    ctx_.set_verify_mode(net::ssl::verify_peer);
    stream_.emplace(ioc_, ctx_);
    beast::error_code ec;
    bool done = false;
    beast::get_lowest_layer(*stream_).async_connect(
        net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), port), [&](beast::error_code e) {
          ec = e;
          done = true;
        });
    RunUntil(done);
    if (ec) throw std::runtime_error("connect: " + ec.message());
    done = false;
    stream_->async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    RunUntil(done);
    if (ec) throw std::runtime_error("handshake: " + ec.message());
  }

  std::string PeerName() {
    X509* cert = SSL_get1_peer_certificate(stream_->native_handle());
    std::string name = lm::testing::CommonNameOf(cert);
    X509_free(cert);
    return name;
  }

  // The reply's body; throws if there is none.
  std::string Get(const std::string& target) {
    bhttp::request<bhttp::empty_body> req(bhttp::verb::get, target, 11);
    req.set(bhttp::field::host, "127.0.0.1");
    bhttp::response<bhttp::string_body> res;
    beast::flat_buffer buffer;
    beast::error_code ec;
    bool done = false;
    bhttp::async_write(*stream_, req, [&](beast::error_code e, std::size_t) {
      if (e) {
        ec = e;
        done = true;
        return;
      }
      bhttp::async_read(*stream_, buffer, res, [&](beast::error_code e2, std::size_t) {
        ec = e2;
        done = true;
      });
    });
    RunUntil(done);
    if (ec) throw std::runtime_error("request: " + ec.message());
    if (!res.keep_alive()) throw std::runtime_error("the server would close the connection");
    return res.body();
  }

 private:
  void RunUntil(const bool& done) {
    ioc_.restart();
    const auto deadline = std::chrono::steady_clock::now() + lm::testing::ScaledDuration(20);
    while (!done && std::chrono::steady_clock::now() < deadline) ioc_.run_for(std::chrono::milliseconds(50));
    if (!done) throw std::runtime_error("timed out");
  }

  net::io_context ioc_;
  net::ssl::context ctx_;
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream_;
};

class HttpsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  TestCa ca_{dir_.path()};
};

TEST_F(HttpsTest, AnswersOverTlsBesidePlainHttp) {
  auto server = StartTls(ca_.Issue("server", {"127.0.0.1", "localhost"}));
  ASSERT_NE(server, nullptr);
  ASSERT_NE(server->tls_port(), 0);
  ASSERT_NE(server->tls_port(), server->port());

  for (const std::string host : {"127.0.0.1", "localhost"}) {  // an IP SAN, and a DNS SAN with SNI
    auto reply = Get(HttpsUrl(*server, "/hello/" + host, host), ca_.ca_file());
    ASSERT_TRUE(reply.ok()) << reply.status().ToString();
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(nlohmann::json::parse(reply->body), (nlohmann::json{{"path", "/hello/" + host}}));
  }
  auto plain = Get("http://127.0.0.1:" + std::to_string(server->port()) + "/plain", "");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(nlohmann::json::parse(plain->body), (nlohmann::json{{"path", "/plain"}}));
  // Plain HTTP to the TLS port is no request.
  auto confused = Get("http://127.0.0.1:" + std::to_string(server->tls_port()) + "/", "");
  EXPECT_FALSE(confused.ok());
}

TEST_F(HttpsTest, AFileReplyCrossesTlsWhole) {
  std::string bytes(3 * 1024 * 1024 + 17, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) >> 5);
  lm::testing::WriteFile(dir_ / "big.bin", bytes);
  auto server = StartTls(ca_.Issue("server", {"127.0.0.1"}), dir_ / "big.bin");
  ASSERT_NE(server, nullptr);
  auto reply = Get(HttpsUrl(*server, "/file"), ca_.ca_file());
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_TRUE(reply->body == bytes) << "got " << reply->body.size() << " bytes of " << bytes.size();

  ClientRequest range;
  range.url = HttpsUrl(*server, "/file");
  range.ca_file = ca_.ca_file();
  range.headers["Range"] = "bytes=1000000-1000099";
  auto part = Fetch(range);
  ASSERT_TRUE(part.ok()) << part.status().ToString();
  EXPECT_EQ(part->status, 206);
  EXPECT_EQ(part->body, bytes.substr(1000000, 100));
}

// A paced file reply (the origin's web seed under upload_rate_kbps) is read and encrypted a piece
// at a time: whole, and no faster than its rate beyond the burst.
TEST_F(HttpsTest, APacedFileReplyCrossesTlsWholeAtItsRate) {
  std::string bytes(300 * 1000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) >> 5);
  lm::testing::WriteFile(dir_ / "paced.bin", bytes);
  auto pace = std::make_shared<RateLimit>(200'000, 64 * 1024);
  auto server = StartTls(ca_.Issue("server", {"127.0.0.1"}), dir_ / "paced.bin", pace);
  ASSERT_NE(server, nullptr);
  const auto start = std::chrono::steady_clock::now();
  auto reply = Get(HttpsUrl(*server, "/file"), ca_.ca_file());
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_TRUE(reply->body == bytes) << "got " << reply->body.size() << " bytes of " << bytes.size();
  EXPECT_GE(seconds, (300'000.0 - 64 * 1024) / 200'000 * 0.95);  // 1.17 s at the rate
}

TEST_F(HttpsTest, ClientRefusesACertificateForAnotherHost) {
  auto server = StartTls(ca_.Issue("server", {"other.example", "10.9.8.7"}));
  ASSERT_NE(server, nullptr);
  auto by_address = Get(HttpsUrl(*server, "/"), ca_.ca_file());
  ASSERT_FALSE(by_address.ok());
  EXPECT_EQ(by_address.status().code(), StatusCode::kIo);
  EXPECT_NE(by_address.status().message().find("IP address mismatch"), std::string::npos)
      << by_address.status().message();
  auto by_name = Get(HttpsUrl(*server, "/", "localhost"), ca_.ca_file());
  ASSERT_FALSE(by_name.ok());
  EXPECT_NE(by_name.status().message().find("hostname mismatch"), std::string::npos) << by_name.status().message();
}

TEST_F(HttpsTest, ClientRefusesAnExpiredCertificate) {
  auto server = StartTls(ca_.Issue("server", {"127.0.0.1"}, -10 * 86400, -86400));
  ASSERT_NE(server, nullptr);
  auto reply = Get(HttpsUrl(*server, "/"), ca_.ca_file());
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), StatusCode::kIo);
  EXPECT_NE(reply.status().message().find("certificate has expired"), std::string::npos)
      << reply.status().message();
}

TEST_F(HttpsTest, ClientRefusesACaItWasNotGiven) {
  auto server = StartTls(ca_.Issue("server", {"127.0.0.1"}));
  ASSERT_NE(server, nullptr);
  TempDir other_dir;
  TestCa other(other_dir.path(), "other-ca");
  for (const std::string& ca_file : {other.ca_file(), std::string()}) {  // another CA; the system's
    auto reply = Get(HttpsUrl(*server, "/"), ca_file);
    ASSERT_FALSE(reply.ok()) << "ca_file=" << ca_file;
    EXPECT_EQ(reply.status().code(), StatusCode::kIo);
    EXPECT_NE(reply.status().message().find("unable to get local issuer certificate"), std::string::npos)
        << reply.status().message();
  }
  auto missing = Get(HttpsUrl(*server, "/"), (dir_ / "no-such-ca.pem").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(missing.status().field(), "ca_file");
}

TEST_F(HttpsTest, ReloadServesTheNewCertificateToNewConnectionsOnly) {
  const CertFiles live = ca_.Issue("server-a", {"127.0.0.1"});
  auto server = StartTls(live);
  ASSERT_NE(server, nullptr);
  TlsConnection kept(server->tls_port(), ca_.ca_file());
  EXPECT_EQ(kept.PeerName(), "server-a");
  EXPECT_EQ(kept.Get("/one"), R"({"path":"/one"})");

  // The renewed certificate and key take the old ones' place on disk, then the reload.
  const CertFiles renewed = ca_.Issue("server-b", {"127.0.0.1"});
  std::filesystem::copy_file(renewed.cert_file, live.cert_file, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key_file, live.key_file, std::filesystem::copy_options::overwrite_existing);
  ASSERT_TRUE(server->ReloadTls().ok());

  EXPECT_EQ(kept.Get("/two"), R"({"path":"/two"})");  // the kept connection goes on
  EXPECT_EQ(kept.PeerName(), "server-a");
  TlsConnection fresh(server->tls_port(), ca_.ca_file());
  EXPECT_EQ(fresh.PeerName(), "server-b");
  EXPECT_EQ(fresh.Get("/three"), R"({"path":"/three"})");

  // A key that does not match: refused, and the certificate in use stays.
  const CertFiles third = ca_.Issue("server-c", {"127.0.0.1"});
  std::filesystem::copy_file(third.key_file, live.key_file, std::filesystem::copy_options::overwrite_existing);
  const Status bad = server->ReloadTls();
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.field(), "tls_key_file");
  TlsConnection after(server->tls_port(), ca_.ca_file());
  EXPECT_EQ(after.PeerName(), "server-b");
}

TEST(HttpsUrlTest, HttpsUrlsParseWithTheirDefaultPort) {
  auto url = ParseHttpUrl("https://catalog.county.edu.cn/v1/keys");
  ASSERT_TRUE(url.ok());
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "catalog.county.edu.cn");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v1/keys");
  auto plain = ParseHttpUrl("http://[::1]:8090");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, 8090);
  EXPECT_EQ(ParseHttpUrl("ftp://x/").status().field(), "url");
}

TEST_F(HttpsTest, StartFailsOnAMissingCertificate) {
  ServerOptions options;
  options.tls = TlsListenerOptions{"127.0.0.1", 0, (dir_ / "none.pem").string(), (dir_ / "none.key").string()};
  auto server = HttpServer::Start(
      options, [](Request, Responder respond) { respond(JsonReply(200, "{}")); },
      [](const std::string&, const std::string&) -> std::size_t { return 0; });
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server.status().field(), "tls_cert_file");
}

}  // namespace
}  // namespace lm::http
