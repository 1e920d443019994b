#pragma once
// The settings of a service's HTTP listeners that the catalog and the origin share: the HTTPS
// listener (its certificate and key, reloaded on SIGHUP) and the limits that keep slow or idle
// clients from holding the service. Declared as TOML keys and flags of the same names; built and
// read by main's thread.

#include <cstdint>
#include <string>

#include "common/config_keys.h"
#include "common/status.h"

namespace lm {

namespace http {
struct ServerOptions;
}

struct ServingConfig {
  ServingConfig() = default;
  ServingConfig(std::uint16_t default_tls_port, int default_max_connections, int default_max_per_client)
      : tls_port(default_tls_port),
        max_connections(default_max_connections),
        max_connections_per_client(default_max_per_client) {}

  std::string tls_cert_file;            // PEM certificate (then intermediates); with tls_key_file,
                                        // HTTPS is served on tls_listen:tls_port
  std::string tls_key_file;             // PEM private key of tls_cert_file
  std::string tls_listen = "0.0.0.0";  // the HTTPS listener's address
  std::uint16_t tls_port = 0;           // the HTTPS port (each service sets its default)
  int header_timeout_ms = 10000;        // a new connection's first request header, whole
  int handshake_timeout_ms = 10000;     // a TLS handshake
  int max_connections = 512;            // key http_max_connections: connections at once, both
                                        // listeners (0 = no limit)
  int max_connections_per_client = 64;  // key http_max_connections_per_client: from one client
                                        // address (0 = no limit)

  bool tls() const { return !tls_cert_file.empty(); }
};

// Declares the keys above (tls_cert_file, tls_key_file, tls_listen, tls_port, header_timeout_ms,
// handshake_timeout_ms, http_max_connections, http_max_connections_per_client).
void DeclareServingKeys(ServingConfig* config, ConfigKeys* keys);
// The certificate and key come together.
Status ValidateServingConfig(const ServingConfig& config);
// Sets `options`' TLS listener and limits from `config`.
void ApplyServingConfig(const ServingConfig& config, http::ServerOptions* options);

}  // namespace lm
