#include "catalog/open_catalog_store.h"

#include <filesystem>

#include "catalog/postgres_catalog_store.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/postgres_uri.h"

namespace lm::catalog {

Result<std::unique_ptr<CatalogStore>> OpenCatalogStore(const CatalogConfig& config) {
  if (pg::IsPostgresUri(config.store)) {
    // A connection for each handler thread, and one for the commands and timers beside them.
    ASSIGN_OR_RETURN(auto store, PostgresCatalogStore::Open(config.store, WorkerThreads(config) + 1));
    return std::unique_ptr<CatalogStore>(std::move(store));
  }
  if (!config.store.empty()) {
    return InvalidArgument("store must be empty (catalog.db in data_dir) or a postgresql:// URI", "store");
  }
  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) return IoError("create " + config.data_dir + ": " + ec.message());
  ASSIGN_OR_RETURN(auto store, SqliteCatalogStore::Open((std::filesystem::path(config.data_dir) / "catalog.db").string()));
  return std::unique_ptr<CatalogStore>(std::move(store));
}

}  // namespace lm::catalog
