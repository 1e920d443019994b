#pragma once
// The whole catalog in one object: its store (SQLite or PostgreSQL), the pack signing key, the HTTP API and the
// server it runs behind. lessonmesh-catalog's main() runs it; so can a test. Start and Stop from
// one owning thread.

#include <cstdint>
#include <memory>
#include <string>

#include "catalog/catalog_config.h"
#include "common/status.h"

namespace lm::catalog {

class CatalogService {
 public:
  // Opens the data directory (store, signing key; on first start an admin token written to
  // admin.token for the operator) and starts serving.
  static Result<std::unique_ptr<CatalogService>> Start(const CatalogConfig& config);
  ~CatalogService();  // Stop()
  CatalogService(const CatalogService&) = delete;
  CatalogService& operator=(const CatalogService&) = delete;

  std::uint16_t port() const;
  // The HTTPS port; 0 without a certificate configured.
  std::uint16_t tls_port() const;
  // Loads the TLS certificate and key again (SIGHUP): new connections get them, those up keep
  // theirs; on failure the old ones stay (logged).
  Status ReloadTls();
  // The key edges pin to verify pack manifests.
  const std::string& public_key_base64() const;

  // Answers parked long polls, stops taking requests and lets those in flight finish.
  void Stop();

  struct Parts;  // opaque: the .cpp wires them

 private:
  explicit CatalogService(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace lm::catalog
