#pragma once
// The certificate and key an HTTPS listener presents, loaded into an OpenSSL context. Reload()
// builds a new context from the same files and swaps it in: handshakes from then on use it, while
// connections already up keep the context they began with (each holds a reference), so nothing is
// dropped. Private to lm_http; thread-safe.

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "common/status.h"

namespace lm::http::detail {

class ServerTls {
 public:
  // kInvalidArgument (field "tls_cert_file" or "tls_key_file") when a file is missing, unreadable
  // or does not match the other.
  static Result<std::unique_ptr<ServerTls>> Load(std::string cert_file, std::string key_file);

  // Re-reads both files. On failure the context in use stays.
  Status Reload();

  std::shared_ptr<boost::asio::ssl::context> Current() const;

 private:
  ServerTls(std::string cert_file, std::string key_file);

  const std::string cert_file_;
  const std::string key_file_;
  mutable std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> current_;  // guarded by mu_
};

}  // namespace lm::http::detail
