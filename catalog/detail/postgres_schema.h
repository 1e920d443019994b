#pragma once
// The PostgreSQL catalog's schema as migrations: entry i moves schema_version from i to i+1.

#include <array>

namespace lm::catalog {

extern const std::array<const char*, 2> kPostgresMigrations;

// The channel a publish NOTIFYs (payload: the pack id) when it commits, and every catalog on the
// database LISTENs on (PackChangeListener).
inline constexpr char kPackChangesChannel[] = "lessonmesh_pack_changes";

}  // namespace lm::catalog
