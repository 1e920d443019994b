#pragma once
// The PostgreSQL catalog's schema as migrations: entry i moves schema_version from i to i+1.

#include <array>

namespace lm::catalog {

extern const std::array<const char*, 1> kPostgresMigrations;

}  // namespace lm::catalog
