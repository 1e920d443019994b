#pragma once
// lessonmesh-catalog's settings: TOML file first, then command-line flags on top, then checks
// that name the bad key.

#include <cstdint>
#include <string>

#include "common/config_keys.h"
#include "common/lesson_link.h"
#include "common/serving_config.h"
#include "common/status.h"

namespace lm::catalog {

struct CatalogConfig {
  std::string listen_address = "127.0.0.1";  // "0.0.0.0" to serve the LAN
  std::uint16_t port = 8090;
  std::string data_dir = "catalog-data";      // catalog.db, signing key, bootstrap admin token
  // Where the catalog is kept: "" = catalog.db (SQLite) in data_dir; "postgresql://user@host:port/db"
  // = that PostgreSQL database (created beforehand; the catalog creates its tables).
  std::string store;
  // The pack signing key (PEM): "" = pack-signing.key in data_dir, created on first start. Catalogs
  // sharing one PostgreSQL database must sign with one key: point each at the same file.
  std::string signing_key_file;
  int worker_threads = 0;                     // request handlers; 0 = one per core
  int read_timeout_ms = 30000;                // to receive one request
  int idle_timeout_ms = 75000;                // kept-alive connection with no request
  int max_wait_seconds = 120;                 // longest edge long poll
  std::string web_dir = DefaultWebDir();      // built pages: /admin and /dashboard
  // The community's LAN name of a school's edge, printed in QR codes (http://<lan_name>/l/ID): the
  // same as every edge's lan_name.
  std::string lan_name = kDefaultLanName;
  // HTTPS (off without a certificate), connection limits: every school's box keeps a long poll
  // open, and a county's boxes may all reach the catalog from one NAT address.
  ServingConfig serving{8493, 8192, 1024};
};

// Declares every setting (TOML key and flag) with `config`'s field behind it: listen, port,
// data_dir, store, signing_key_file, worker_threads, read_timeout_ms, idle_timeout_ms, max_wait_seconds, web_dir, lan_name, and
// the serving keys (serving_config.h: tls_cert_file, tls_port, http_max_connections, ...).
void DeclareCatalogKeys(CatalogConfig* config, ConfigKeys* keys);
// Reads `path` (TOML) into `config`. Unknown keys are an error.
Status LoadCatalogToml(const std::string& path, CatalogConfig* config);
Status ValidateCatalogConfig(const CatalogConfig& config);
// The handler threads to run: worker_threads, or one per core when it is 0.
int WorkerThreads(const CatalogConfig& config);
// Where the pack signing key is kept: signing_key_file, or pack-signing.key in data_dir.
std::string SigningKeyPath(const CatalogConfig& config);

}  // namespace lm::catalog
