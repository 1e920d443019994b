#include "common/http/http_server.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <string>

#include "common/http/detail/server_impl.h"
#include "common/http/detail/start_session.h"

namespace lm::http {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Sends a 503 without waiting (a fresh socket's buffer takes it whole; plain HTTP only), and closes.
void Refuse(tcp::socket& socket, bool tls) {
  beast::error_code ec;
  if (!tls) {
    static const std::string kBusyReply = [] {
      const std::string body =
          R"({"code":"unavailable","error":"too many connections, try again later"})";
      return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
             "Connection: close\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    socket.non_blocking(true, ec);
    socket.write_some(net::buffer(kBusyReply), ec);
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

Status Listen(tcp::acceptor& acceptor, const std::string& address_text, std::uint16_t port, const char* field) {
  beast::error_code ec;
  const auto address = net::ip::make_address(address_text, ec);
  if (ec) return InvalidArgument("bad listen address \"" + address_text + "\": " + ec.message(), field);
  const tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status(StatusCode::kIo, "listen on " + address_text + ":" + std::to_string(port) + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

void HttpServer::Impl::Accept(bool use_tls) {
  tcp::acceptor& on = use_tls ? tls_acceptor : acceptor;
  on.async_accept(net::make_strand(ioc), [this, use_tls, &on](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!on.is_open()) return;  // stopped
      return Accept(use_tls);
    }
    beast::error_code peer_ec;
    const auto peer = socket.remote_endpoint(peer_ec);
    auto ticket = peer_ec ? std::nullopt : limits.Admit(peer.address().to_string());
    if (!ticket) {
      Refuse(socket, use_tls);
    } else {
      beast::error_code nodelay;
      socket.set_option(tcp::no_delay(true), nodelay);  // a reply's last packet is not held for an ACK
      if (use_tls) {
        detail::StartTlsSession(std::move(socket), this, std::move(*ticket), tls->Current());
      } else {
        detail::StartPlainSession(std::move(socket), this, std::move(*ticket));
      }
    }
    Accept(use_tls);
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const ServerOptions& options, Handler handler,
                                                      BodyLimit body_limit, StreamRoute stream_route) {
  auto impl = std::make_unique<Impl>(options);
  impl->handler = std::move(handler);
  impl->body_limit = std::move(body_limit);
  impl->stream_route = std::move(stream_route);
  RETURN_IF_ERROR(Listen(impl->acceptor, options.address, options.port, "listen"));
  if (options.tls) {
    ASSIGN_OR_RETURN(impl->tls, detail::ServerTls::Load(options.tls->cert_file, options.tls->key_file));
    RETURN_IF_ERROR(Listen(impl->tls_acceptor, options.tls->address, options.tls->port, "tls_listen"));
  }
  impl->workers = std::make_unique<net::thread_pool>(static_cast<std::size_t>(std::max(1, options.worker_threads)));
  impl->Accept(false);
  if (options.tls) impl->Accept(true);
  Impl* raw = impl.get();
  for (int i = 0; i < std::max(1, options.network_threads); ++i) {
    impl->io_threads.emplace_back([raw] {
      // sendfile(2) has no MSG_NOSIGNAL: a client that closed its end while a file reply was going
      // out (libtorrent drops a web seed connection whose piece came from a peer) raises SIGPIPE in
      // the thread that calls it, and SIGPIPE's default ends the process. Blocked here, on the only
      // threads that write to clients, it stays pending on this thread and sendfile says EPIPE.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      raw->ioc.run();
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(std::chrono::milliseconds(0)); }

std::uint16_t HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

std::uint16_t HttpServer::tls_port() const {
  if (!impl_->tls_acceptor.is_open()) return 0;
  beast::error_code ec;
  return impl_->tls_acceptor.local_endpoint(ec).port();
}

Status HttpServer::ReloadTls() {
  if (!impl_->tls) return InvalidArgument("this server has no TLS listener", "tls");
  return impl_->tls->Reload();
}

int HttpServer::open_connections() const { return impl_->limits.open(); }

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
  for (tcp::acceptor* acceptor : {&impl_->acceptor, &impl_->tls_acceptor}) {
    net::post(acceptor->get_executor(), [acceptor] {
      beast::error_code ec;
      acceptor->close(ec);
    });
  }
  {
    std::unique_lock lock(impl_->mu);
    impl_->idle.wait_for(lock, grace, [&] { return impl_->in_flight == 0; });
  }
  impl_->ioc.stop();
  for (auto& thread : impl_->io_threads) thread.join();
  impl_->io_threads.clear();
  // The posted close may not have run before the stop; the network threads are gone now.
  beast::error_code ec;
  impl_->acceptor.close(ec);
  impl_->tls_acceptor.close(ec);
  impl_->workers->join();
}

}  // namespace lm::http
