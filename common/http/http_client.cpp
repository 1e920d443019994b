#include "common/http/http_client.h"

#include <nlohmann/json.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return InvalidArgument("only http:// URLs are supported", "url");
  std::string_view rest = url.substr(kScheme.size());
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  Url out;
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

Result<ClientReply> Fetch(const ClientRequest& request) {
  ASSIGN_OR_RETURN(Url url, ParseHttpUrl(request.url));
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  const auto deadline = std::chrono::milliseconds(request.timeout_ms);
  beast::error_code ec;
  auto failed = [&](std::string_view what) {
    return IoError(std::string(what) + " " + url.host + ":" + std::to_string(url.port) + ": " + ec.message());
  };

  tcp::resolver resolver(ioc);
  auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
  if (ec) return failed("cannot resolve");
  stream.expires_after(deadline);
  stream.connect(endpoints, ec);
  if (ec) return failed("cannot connect to");

  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(request.method), url.target, 11);
  req.set(bhttp::field::host, url.host);
  req.set(bhttp::field::user_agent, "LessonMesh");
  for (const auto& [k, v] : request.headers) req.set(k, v);
  req.body() = request.body;
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
    req.prepare_payload();
  }
  bhttp::write(stream, req, ec);
  if (ec) return failed("cannot send to");

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.skip(request.method == "HEAD");
  parser.body_limit(kMaxReplyBytes);
  // Read asynchronously so that the deadline holds and a caller can cancel a long poll: the
  // io_context runs in short slices, checking both between them.
  bool done = false;
  beast::error_code ignored_close;
  bhttp::async_read(stream, buffer, parser, [&](beast::error_code e, std::size_t) {
    ec = e;
    done = true;
  });
  const auto give_up = std::chrono::steady_clock::now() + deadline;
  while (!done) {
    ioc.run_for(std::chrono::milliseconds(100));
    if (done) break;
    if ((request.cancel != nullptr && request.cancel->load()) || std::chrono::steady_clock::now() >= give_up) {
      const bool cancelled = request.cancel != nullptr && request.cancel->load();
      stream.socket().close(ignored_close);
      ioc.run_for(std::chrono::milliseconds(100));
      if (cancelled) return Cancelled("request to " + url.host + " cancelled");
      ec = beast::error::timeout;
      break;
    }
  }
  if (ec) return failed("no reply from");
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);

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

std::string ReasonOf(const ClientReply& reply) {
  const auto j = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return "HTTP " + std::to_string(reply.status);
}

}  // namespace lm::http
