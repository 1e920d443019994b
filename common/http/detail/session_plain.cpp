// The plain HTTP Session, instantiated here alone (detail/start_session.h says why).

#include "common/http/detail/session.h"
#include "common/http/detail/start_session.h"

namespace lm::http::detail {

void StartPlainSession(tcp::socket&& socket, HttpServer::Impl* server, ConnectionLimits::Ticket ticket) {
  std::make_shared<Session<beast::tcp_stream>>(std::move(socket), server, std::move(ticket))->Start();
}

}  // namespace lm::http::detail
