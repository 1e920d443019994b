#pragma once
// The signed manifest of one published pack version: canonical JSON (keys sorted, no spaces) of
// everything an edge needs to fetch and keep the pack: items with lesson ids, info hashes, file
// sizes, needed-by and pinned-until dates, and the targets. The bytes signed are the bytes served.

#include <cstdint>
#include <string>

#include "catalog/catalog_store.h"
#include "common/signing.h"

namespace lm::catalog {

// Builds and signs version `version` of pack `pack_id` from `spec`; lessons are read from the store.
// InvalidArgument (field "items") if an item names an unknown lesson.
Result<PackVersion> BuildSignedPackVersion(CatalogStore& store, const SigningKey& key, std::int64_t pack_id,
                                           std::int64_t version, const PackSpec& spec, std::int64_t now);

}  // namespace lm::catalog
