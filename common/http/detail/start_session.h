#pragma once
// Starts one accepted connection of an HttpServer as a Session (detail/session.h), plain or TLS.
// Each kind is instantiated in a translation unit of its own (session_plain.cpp, session_tls.cpp):
// the Beast templates of one Session are most of lm_http's compile time, and two units build in
// parallel. Private to lm_http.

#include <boost/asio/ip/tcp.hpp>

#include <memory>

#include "common/http/detail/connection_limits.h"
#include "common/http/http_server.h"

namespace boost::asio::ssl {
class context;
}

namespace lm::http::detail {

void StartPlainSession(boost::asio::ip::tcp::socket&& socket, HttpServer::Impl* server,
                       ConnectionLimits::Ticket ticket);

void StartTlsSession(boost::asio::ip::tcp::socket&& socket, HttpServer::Impl* server, ConnectionLimits::Ticket ticket,
                     std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace lm::http::detail
