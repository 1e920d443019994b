#include "common/http/http_server.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

namespace lm::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpServer::Impl {
  ServerOptions options;
  Handler handler;
  BodyLimit body_limit;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::unique_ptr<net::thread_pool> workers;
  std::thread io_thread;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable idle;
  int in_flight = 0;  // requests read but not yet answered; guarded by mu

  void BeginRequest() {
    std::lock_guard lock(mu);
    ++in_flight;
  }
  void EndRequest() {
    std::lock_guard lock(mu);
    if (--in_flight == 0) idle.notify_all();
  }
  void Accept();
};

namespace {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, HttpServer::Impl* server) : stream_(std::move(socket)), server_(server) {}

  void Start() {
    net::dispatch(stream_.get_executor(), beast::bind_front_handler(&Session::ReadHeader, shared_from_this()));
  }

 private:
  std::chrono::milliseconds ms(int v) { return std::chrono::milliseconds(v); }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(server_->options.max_header_bytes));
    stream_.expires_after(ms(first_ ? server_->options.read_timeout_ms : server_->options.idle_timeout_ms));
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) return FailRead(ec);
    const auto& req = parser_->get();
    const std::size_t limit =
        server_->body_limit(std::string(req.method_string()), std::string(req.target()));
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    head_ = req.method() == bhttp::verb::head;
    if (parser_->content_length() && *parser_->content_length() > limit) {
      return Reject(413, "too_large", "request body is larger than " + std::to_string(limit) + " bytes");
    }
    parser_->body_limit(limit);
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, std::size_t) {
    if (ec == bhttp::error::body_limit) return Reject(413, "too_large", "request body is too large");
    if (ec) return FailRead(ec);
    auto& msg = parser_->get();
    Request req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    const size_t q = req.target.find('?');
    if (!PercentDecode(std::string_view(req.target).substr(0, q), &req.path, false)) {
      return Reject(400, "invalid_argument", "malformed percent-encoding in the path");
    }
    if (q != std::string::npos) req.query = ParseQuery(std::string_view(req.target).substr(q + 1));
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    beast::error_code pec;
    const auto endpoint = stream_.socket().remote_endpoint(pec);
    if (!pec) req.peer = endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
    keep_alive_ = msg.keep_alive();
    stream_.expires_never();  // the handler may take long (a long poll); the write sets a deadline

    server_->BeginRequest();
    auto self = shared_from_this();
    auto answered = std::make_shared<std::atomic<bool>>(false);
    Responder respond = [self, answered](Reply reply) {
      if (answered->exchange(true)) return;  // exactly once
      net::post(self->stream_.get_executor(),
                [self, reply = std::move(reply)]() mutable { self->Write(std::move(reply)); });
    };
    net::post(*server_->workers, [handler = server_->handler, req = std::move(req), respond]() mutable {
      handler(std::move(req), std::move(respond));
    });
  }

  void FailRead(beast::error_code ec) {
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::error::connection_reset || ec == net::error::eof) {
      return Close();
    }
    // A malformed request: say so once and close.
    keep_alive_ = false;
    Reject(400, "invalid_argument", "malformed HTTP request: " + ec.message());
  }

  void Reject(int status, std::string_view code, const std::string& message) {
    keep_alive_ = false;
    server_->BeginRequest();
    Write(ErrorReply(status, code, message));
  }

  void Write(Reply reply) {
    res_ = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(reply.status), version_);
    res_->set(bhttp::field::server, "LessonMesh");
    res_->set(bhttp::field::content_type, reply.content_type);
    std::string head_length;
    for (const auto& [name, value] : reply.headers) {
      if (head_ && beast::iequals(name, "Content-Length")) {
        head_length = value;  // a HEAD reply states the length its GET would have
        continue;
      }
      res_->set(name, value);
    }
    res_->body() = std::move(reply.body);
    res_->keep_alive(keep_alive_ && !server_->stopping.load());
    res_->prepare_payload();
    if (!head_length.empty()) res_->set(bhttp::field::content_length, head_length);
    stream_.expires_after(ms(server_->options.read_timeout_ms));
    bhttp::async_write(stream_, *res_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    const bool keep = !ec && res_->keep_alive();
    res_.reset();
    server_->EndRequest();
    if (!keep) return Close();
    first_ = false;
    ReadHeader();
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::shared_ptr<bhttp::response<bhttp::string_body>> res_;
  bool first_ = true;
  bool keep_alive_ = true;
  bool head_ = false;
  unsigned version_ = 11;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!acceptor.is_open()) return;  // stopped
    } else {
      std::make_shared<Session>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Handler handler,
                                                      BodyLimit body_limit) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  impl->body_limit = std::move(body_limit);
  beast::error_code ec;
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return InvalidArgument("bad listen address \"" + options.address + "\": " + ec.message(), "listen");
  const tcp::endpoint endpoint(address, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status(StatusCode::kIo, "listen on " + options.address + ":" + std::to_string(options.port) + ": " +
                                       ec.message());
  }
  impl->workers = std::make_unique<net::thread_pool>(static_cast<std::size_t>(std::max(1, options.worker_threads)));
  impl->Accept();
  Impl* raw = impl.get();
  impl->io_thread = std::thread([raw] { raw->ioc.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::RunAfter(std::chrono::milliseconds delay, std::function<void()> fn) {
  if (impl_->stopping.load()) return;
  auto timer = std::make_shared<net::steady_timer>(impl_->ioc, delay);
  Impl* impl = impl_.get();
  timer->async_wait([timer, impl, fn = std::move(fn)](beast::error_code ec) mutable {
    if (ec || impl->stopping.load()) return;
    net::post(*impl->workers, std::move(fn));
  });
}

void HttpServer::Stop(std::chrono::milliseconds grace) {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  net::post(impl_->ioc, [impl = impl_.get()] {
    beast::error_code ec;
    impl->acceptor.close(ec);
  });
  {
    std::unique_lock lock(impl_->mu);
    impl_->idle.wait_for(lock, grace, [&] { return impl_->in_flight == 0; });
  }
  impl_->ioc.stop();
  if (impl_->io_thread.joinable()) impl_->io_thread.join();
  // The posted close may not have run before the stop; the network thread is gone now.
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->workers->join();
}

}  // namespace lm::http
