#include "common/http/http_client.h"

#include <nlohmann/json.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <algorithm>
#include <chrono>

#include "common/text_checks.h"

namespace lm::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr std::size_t kMaxReplyBytes = 256u * 1024 * 1024;
}

std::string ClientReply::Header(std::string_view lower_name) const {
  auto it = headers.find(std::string(lower_name));
  return it == headers.end() ? "" : it->second;
}

Result<Url> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kHttp = "http://";
  constexpr std::string_view kHttps = "https://";
  Url out;
  std::string_view rest;
  if (url.substr(0, kHttp.size()) == kHttp) {
    rest = url.substr(kHttp.size());
  } else if (url.substr(0, kHttps.size()) == kHttps) {
    rest = url.substr(kHttps.size());
    out.tls = true;
    out.port = 443;
  } else {
    return InvalidArgument("only http:// and https:// URLs are supported", "url");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(rest.substr(slash));
  if (authority.empty()) return InvalidArgument("the URL has no host", "url");
  std::string_view host = authority;
  if (authority.front() == '[') {  // [::1]:8080
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return InvalidArgument("unclosed [ in the URL's host", "url");
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && authority.front() != ':') return InvalidArgument("bad URL host", "url");
  } else {
    const size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    authority = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
  }
  if (host.empty()) return InvalidArgument("the URL has no host", "url");
  out.host = std::string(host);
  if (!authority.empty()) {  // ":port"
    const std::string port(authority.substr(1));
    if (!IsDecimal(port, 5, /*positive=*/true) || std::stoi(port) > 65535) {
      return InvalidArgument("bad port in the URL", "url");
    }
    out.port = static_cast<std::uint16_t>(std::stoi(port));
  }
  return out;
}

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One call's connection, its deadline and its cancel flag. Every step is asynchronous and the
// io_context runs in short slices, so that the deadline holds for each and a caller can cancel a
// long poll within about 100 ms.
class Exchange {
 public:
  Exchange(const ClientRequest& request, const Url& url)
      : request_(request),
        url_(url),
        give_up_(std::chrono::steady_clock::now() + std::chrono::milliseconds(request.timeout_ms)) {}

  Result<ClientReply> Run() {
    if (!url_.tls) {
      beast::tcp_stream stream(ioc_);
      RETURN_IF_ERROR(Connect(stream));
      return Talk(stream);
    }
    ASSIGN_OR_RETURN(std::unique_ptr<net::ssl::context> ctx, ClientContext());
    TlsStream stream(ioc_, *ctx);
    RETURN_IF_ERROR(Connect(beast::get_lowest_layer(stream)));
    RETURN_IF_ERROR(Handshake(stream));
    return Talk(stream);
  }

 private:
  Status Failed(std::string_view what, beast::error_code ec) const {
    return IoError(std::string(what) + " " + url_.host + ":" + std::to_string(url_.port) + ": " + ec.message());
  }

  // Runs the io_context until `done`, the deadline (then ec = timeout) or a cancel (kCancelled); on
  // the latter two the socket is closed so that the pending operation ends.
  Status Await(const bool& done, beast::tcp_stream& lowest, beast::error_code& ec) {
    ioc_.restart();  // the previous step ran it out of work
    while (!done) {
      ioc_.run_for(std::chrono::milliseconds(100));
      if (done) break;
      const bool cancelled = request_.cancel != nullptr && request_.cancel->load();
      if (cancelled || std::chrono::steady_clock::now() >= give_up_) {
        beast::error_code ignored;
        lowest.socket().close(ignored);
        ioc_.run_for(std::chrono::milliseconds(100));
        if (cancelled) return Cancelled("request to " + url_.host + " cancelled");
        ec = beast::error::timeout;
        break;
      }
    }
    return Status::Ok();
  }

  Status Connect(beast::tcp_stream& lowest) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(url_.host, std::to_string(url_.port), ec);
    if (ec) return Failed("cannot resolve", ec);
    bool done = false;
    lowest.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    RETURN_IF_ERROR(Await(done, lowest, ec));
    if (ec) return Failed("cannot connect to", ec);
    return Status::Ok();
  }

  // Trusts `ca_file`, or the system's CAs without one.
  Result<std::unique_ptr<net::ssl::context>> ClientContext() const {
    auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_client);
    ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    ctx->set_verify_mode(net::ssl::verify_peer);
    beast::error_code ec;
    if (request_.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
      if (ec) return Internal("cannot load the system's CA certificates: " + ec.message());
    } else {
      ctx->load_verify_file(request_.ca_file, ec);
      if (ec) return InvalidArgument("cannot load ca_file \"" + request_.ca_file + "\": " + ec.message(), "ca_file");
    }
    return ctx;
  }

  // The certificate must name the URL's host: an IP address as an IP SAN, a name as a DNS SAN
  // (checked by OpenSSL during the handshake). A name also goes out as SNI.
  Status Handshake(TlsStream& stream) {
    SSL* ssl = stream.native_handle();
    beast::error_code ec;
    net::ip::make_address(url_.host, ec);
    const bool is_address = !ec;
    ec = {};
    const bool named = is_address ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url_.host.c_str()) == 1
                                  : SSL_set_tlsext_host_name(ssl, url_.host.c_str()) == 1 &&
                                        SSL_set1_host(ssl, url_.host.c_str()) == 1;
    if (!named) return InvalidArgument("cannot check a certificate for host \"" + url_.host + "\"", "url");
    bool done = false;
    stream.async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) {
      ec = e;
      done = true;
    });
    RETURN_IF_ERROR(Await(done, beast::get_lowest_layer(stream), ec));
    if (!ec) return Status::Ok();
    const long verified = SSL_get_verify_result(ssl);
    if (verified != X509_V_OK) {
      return IoError("certificate of " + url_.host + ":" + std::to_string(url_.port) +
                     " refused: " + X509_verify_cert_error_string(verified));
    }
    return Failed("TLS handshake failed with", ec);
  }

  template <class Stream>
  Result<ClientReply> Talk(Stream& stream) {
    bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(request_.method), url_.target, 11);
    req.set(bhttp::field::host, url_.host);
    req.set(bhttp::field::user_agent, "LessonMesh");
    for (const auto& [k, v] : request_.headers) req.set(k, v);
    req.body() = request_.body;
    if (!request_.body.empty() || request_.method == "POST" || request_.method == "PUT" ||
        request_.method == "PATCH") {
      req.prepare_payload();
    }
    beast::tcp_stream& lowest = beast::get_lowest_layer(stream);
    beast::error_code ec;
    bool done = false;
    bhttp::async_write(stream, req, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    RETURN_IF_ERROR(Await(done, lowest, ec));
    if (ec) return Failed("cannot send to", ec);

    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(request_.method == "HEAD");
    parser.body_limit(kMaxReplyBytes);
    done = false;
    bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
      ec = e;
      done = true;
    });
    RETURN_IF_ERROR(Await(done, lowest, ec));
    if (ec) return Failed("no reply from", ec);
    beast::error_code ignored;
    lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);

    ClientReply out;
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      out.headers[name] = std::string(f.value());
    }
    out.body = std::move(res.body());
    return out;
  }

  const ClientRequest& request_;
  const Url& url_;
  const std::chrono::steady_clock::time_point give_up_;
  net::io_context ioc_;
};

}  // namespace

Result<ClientReply> Fetch(const ClientRequest& request) {
  ASSIGN_OR_RETURN(Url url, ParseHttpUrl(request.url));
  return Exchange(request, url).Run();
}

std::string ReasonOf(const ClientReply& reply) {
  const auto j = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return "HTTP " + std::to_string(reply.status);
}

}  // namespace lm::http
