// The TLS Session, instantiated here alone (detail/start_session.h says why).

#include "common/http/detail/session.h"
#include "common/http/detail/start_session.h"

namespace lm::http::detail {

void StartTlsSession(tcp::socket&& socket, HttpServer::Impl* server, ConnectionLimits::Ticket ticket,
                     std::shared_ptr<net::ssl::context> tls) {
  std::make_shared<Session<TlsStream>>(std::move(socket), server, std::move(ticket), std::move(tls))->Start();
}

}  // namespace lm::http::detail
