#include "common/http/detail/server_tls.h"

#include <openssl/ssl.h>

namespace lm::http::detail {

namespace ssl = boost::asio::ssl;

namespace {

Result<std::shared_ptr<ssl::context>> Build(const std::string& cert_file, const std::string& key_file) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 and 1.3 only.
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) return InvalidArgument("cannot load the certificate \"" + cert_file + "\": " + ec.message(), "tls_cert_file");
  ctx->use_private_key_file(key_file, ssl::context::pem, ec);
  if (ec) return InvalidArgument("cannot load the key \"" + key_file + "\": " + ec.message(), "tls_key_file");
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    return InvalidArgument("the key \"" + key_file + "\" does not match the certificate \"" + cert_file + "\"",
                           "tls_key_file");
  }
  return ctx;
}

}  // namespace

ServerTls::ServerTls(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

Result<std::unique_ptr<ServerTls>> ServerTls::Load(std::string cert_file, std::string key_file) {
  std::unique_ptr<ServerTls> tls(new ServerTls(std::move(cert_file), std::move(key_file)));
  RETURN_IF_ERROR(tls->Reload());
  return tls;
}

Status ServerTls::Reload() {
  ASSIGN_OR_RETURN(std::shared_ptr<ssl::context> ctx, Build(cert_file_, key_file_));
  std::lock_guard lock(mu_);
  current_ = std::move(ctx);
  return Status::Ok();
}

std::shared_ptr<ssl::context> ServerTls::Current() const {
  std::lock_guard lock(mu_);
  return current_;
}

}  // namespace lm::http::detail
