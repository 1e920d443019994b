#pragma once
// The store a catalog's configuration names: `store` empty, the SQLite file catalog.db in
// data_dir (created with the directory if needed); `store` a postgresql:// URI, that database.
// Either way the schema is brought up to date. Used by the service and the token commands.

#include <memory>

#include "catalog/catalog_config.h"
#include "catalog/catalog_store.h"

namespace lm::catalog {

Result<std::unique_ptr<CatalogStore>> OpenCatalogStore(const CatalogConfig& config);

}  // namespace lm::catalog
