#include "catalog/catalog_config.h"
#include "common/postgres_uri.h"

#include <algorithm>
#include <filesystem>
#include <thread>

namespace lm::catalog {

void DeclareCatalogKeys(CatalogConfig* c, ConfigKeys* keys) {
  keys->Add("listen", &c->listen_address, "listen address");
  keys->Add("port", &c->port, 0, 65535, "listen port (0 = any free port)");
  keys->Add("data_dir", &c->data_dir, "data directory");
  keys->Add("store", &c->store, "where the catalog is kept: empty = catalog.db in data_dir, or postgresql://...");
  keys->Add("signing_key_file", &c->signing_key_file,
            "pack signing key (PEM); empty = pack-signing.key in data_dir, made on first start");
  keys->Add("worker_threads", &c->worker_threads, 0, 256, "request handler threads (0 = one per core)");
  keys->Add("read_timeout_ms", &c->read_timeout_ms, 100, 3600000, "time to receive one request");
  keys->Add("idle_timeout_ms", &c->idle_timeout_ms, 100, 3600000, "kept-alive connection with no request");
  keys->Add("max_wait_seconds", &c->max_wait_seconds, 0, 3600, "longest edge long poll");
  AddWebDirKey(keys, &c->web_dir);
  keys->Add("lan_name", &c->lan_name, "the edges' LAN name in printed QR codes, e.g. lessonmesh.local:8080");
  DeclareServingKeys(&c->serving, keys);
}

Status LoadCatalogToml(const std::string& path, CatalogConfig* c) {
  ConfigKeys keys;
  DeclareCatalogKeys(c, &keys);
  return keys.LoadFile(path);
}

int WorkerThreads(const CatalogConfig& c) {
  if (c.worker_threads > 0) return c.worker_threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

std::string SigningKeyPath(const CatalogConfig& c) {
  if (!c.signing_key_file.empty()) return c.signing_key_file;
  return (std::filesystem::path(c.data_dir) / "pack-signing.key").string();
}

Status ValidateCatalogConfig(const CatalogConfig& c) {
  if (c.data_dir.empty()) return InvalidArgument("data_dir must not be empty", "data_dir");
  if (!c.store.empty() && !pg::IsPostgresUri(c.store)) {
    return InvalidArgument("store must be empty (catalog.db in data_dir) or a postgresql:// URI", "store");
  }
  if (c.worker_threads < 0) return InvalidArgument("worker_threads must be 0 (one per core) or more", "worker_threads");
  if (!IsLanName(c.lan_name)) {
    return InvalidArgument("lan_name must be a host name with an optional :port, e.g. lessonmesh.local:8080",
                           "lan_name");
  }
  return ValidateServingConfig(c.serving);
}

}  // namespace lm::catalog
