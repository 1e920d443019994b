#include "tests/testing/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "tests/testing/wait_for.h"

namespace lm::testing {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Runs one asynchronous operation on `ioc` to its end and returns how it ended. tcp_stream's
// deadline (expires_after) applies to asynchronous operations only: a synchronous read from a
// server that never answers would wait forever instead of failing the test.
template <typename Op>
beast::error_code RunOne(net::io_context& ioc, Op&& op) {
  beast::error_code result = net::error::would_block;
  op([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

std::string HttpResult::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

struct HttpClient::Impl {
  net::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  std::uint16_t port;
  std::string host;
  bool connected = false;

  bool Connect(std::string* error) {
    if (connected) return true;
    stream.expires_after(ScaledDuration(10));
    const tcp::endpoint endpoint(net::ip::make_address(host), port);
    const beast::error_code ec = RunOne(ioc, [&](auto done) { stream.async_connect(endpoint, done); });
    if (ec) {
      *error = ec.message();
      return false;
    }
    connected = true;
    return true;
  }

  HttpResult ReadReply(bool head = false) {
    HttpResult out;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head);  // a reply to HEAD has no body, whatever its Content-Length says
    parser.body_limit(256 * 1024 * 1024);
    stream.expires_after(ScaledDuration(120));
    const beast::error_code ec = RunOne(ioc, [&](auto done) { bhttp::async_read(stream, buffer, parser, done); });
    if (ec) {
      out.error = ec.message();
      connected = false;
      stream.close();
      return out;
    }
    auto& res = parser.get();
    out.status = static_cast<int>(res.result_int());
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(f.value());
    }
    out.body = res.body();
    if (!res.keep_alive()) {
      connected = false;
      stream.close();
    }
    return out;
  }
};

HttpClient::HttpClient(std::uint16_t port, std::string host) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->host = std::move(host);
}
HttpClient::~HttpClient() = default;

HttpResult HttpClient::Request(const std::string& method, const std::string& target, const std::string& body,
                               const std::map<std::string, std::string>& headers) {
  HttpResult fail;
  if (!impl_->Connect(&fail.error)) return fail;
  bhttp::request<bhttp::string_body> req(bhttp::string_to_verb(method), target, 11);
  req.set(bhttp::field::host, impl_->host);
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = body;
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") req.prepare_payload();
  impl_->stream.expires_after(ScaledDuration(30));
  const beast::error_code ec =
      RunOne(impl_->ioc, [&](auto done) { bhttp::async_write(impl_->stream, req, done); });
  if (ec) {
    impl_->connected = false;
    fail.error = ec.message();
    return fail;
  }
  return impl_->ReadReply(method == "HEAD");
}

HttpResult HttpClient::Raw(const std::string& bytes) {
  HttpResult fail;
  if (!impl_->Connect(&fail.error)) return fail;
  impl_->stream.expires_after(ScaledDuration(30));
  const beast::error_code ec =
      RunOne(impl_->ioc, [&](auto done) { net::async_write(impl_->stream, net::buffer(bytes), done); });
  if (ec) {
    fail.error = ec.message();
    return fail;
  }
  return impl_->ReadReply();
}

}  // namespace lm::testing
