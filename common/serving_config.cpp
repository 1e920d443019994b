#include "common/serving_config.h"

#include "common/http/http_server.h"

namespace lm {

void DeclareServingKeys(ServingConfig* c, ConfigKeys* keys) {
  keys->Add("tls_cert_file", &c->tls_cert_file, "HTTPS certificate, PEM (with tls_key_file: serve HTTPS)");
  keys->Add("tls_key_file", &c->tls_key_file, "HTTPS private key, PEM");
  keys->Add("tls_listen", &c->tls_listen, "HTTPS listen address");
  keys->Add("tls_port", &c->tls_port, 0, 65535, "HTTPS port (0 = any free port)");
  keys->Add("header_timeout_ms", &c->header_timeout_ms, 100, 3600000, "time for a new connection's request header");
  keys->Add("handshake_timeout_ms", &c->handshake_timeout_ms, 100, 3600000, "time for a TLS handshake");
  keys->Add("http_max_connections", &c->max_connections, 0, 1000000, "HTTP connections at once (0 = no limit)");
  keys->Add("http_max_connections_per_client", &c->max_connections_per_client, 0, 1000000,
            "HTTP connections from one address (0 = no limit)");
}

Status ValidateServingConfig(const ServingConfig& c) {
  if (c.tls_cert_file.empty() != c.tls_key_file.empty()) {
    return InvalidArgument("tls_cert_file and tls_key_file go together",
                           c.tls_cert_file.empty() ? "tls_cert_file" : "tls_key_file");
  }
  return Status::Ok();
}

void ApplyServingConfig(const ServingConfig& c, http::ServerOptions* options) {
  options->header_timeout_ms = c.header_timeout_ms;
  options->handshake_timeout_ms = c.handshake_timeout_ms;
  options->max_connections = c.max_connections;
  options->max_connections_per_client = c.max_connections_per_client;
  if (c.tls()) options->tls = http::TlsListenerOptions{c.tls_listen, c.tls_port, c.tls_cert_file, c.tls_key_file};
}

}  // namespace lm
