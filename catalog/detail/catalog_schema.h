#pragma once
// The catalog database's schema as migrations: entry i moves PRAGMA user_version from i to i+1.

#include <array>

namespace lm::catalog {

extern const std::array<const char*, 7> kCatalogMigrations;

}  // namespace lm::catalog
