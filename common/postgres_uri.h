#pragma once
// Whether a configured store or queue names a PostgreSQL database (a libpq connection URI) rather
// than a file. Header-only and free of libpq, so configuration code can ask without linking it.

#include <string_view>

namespace lm::pg {

inline bool IsPostgresUri(std::string_view where) {
  return where.starts_with("postgresql://") || where.starts_with("postgres://");
}

}  // namespace lm::pg
