#pragma once
// The state an HttpServer shares with its connections (detail/session.h). Private to lm_http.

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/http/detail/connection_limits.h"
#include "common/http/detail/server_tls.h"
#include "common/http/http_server.h"

namespace lm::http {

struct HttpServer::Impl {
  explicit Impl(const ServerOptions& opts)
      : options(opts), limits(opts.max_connections, opts.max_connections_per_client) {}

  ServerOptions options;
  Handler handler;
  BodyLimit body_limit;
  StreamRoute stream_route;  // may be empty
  // Before the io_context: connections still queued in it when it is destroyed give their places
  // back and drop their TLS contexts into these.
  detail::ConnectionLimits limits;
  std::unique_ptr<detail::ServerTls> tls;  // with a TLS listener only
  boost::asio::io_context ioc;
  // Keeps the network thread running until Stop: a request whose handler is still working (a long
  // poll) has no operation pending on ioc, and once Stop has closed the acceptor nothing else would
  // be; run() would return and that request's reply, posted later, would never be written.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  // Each acceptor has its own strand: with several network threads, Stop's close must not race an
  // accept.
  boost::asio::ip::tcp::acceptor acceptor{boost::asio::make_strand(ioc)};
  boost::asio::ip::tcp::acceptor tls_acceptor{boost::asio::make_strand(ioc)};  // open with TLS only
  std::unique_ptr<boost::asio::thread_pool> workers;
  std::vector<std::thread> io_threads;
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
  // Accepts connections on `acceptor`, or on `tls_acceptor` to speak TLS on them, until Stop.
  void Accept(bool tls);
};

}  // namespace lm::http
