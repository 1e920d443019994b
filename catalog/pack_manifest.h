#pragma once
// The signed manifest of one published pack version: canonical JSON (keys sorted, no spaces) of
// everything an edge needs to fetch and keep the pack: items with lesson ids, info hashes, file
// sizes, needed-by and pinned-until dates, and the targets. The bytes signed are the bytes served.

#include <cstdint>
#include <string>
#include <vector>

#include "catalog/model.h"
#include "common/signing.h"

namespace lm::catalog {

// Builds and signs version `version` of pack `pack_id` from `spec`; `lessons` are the records of
// spec.items, in the same order (the caller has looked them up to validate the request).
Result<PackVersion> BuildSignedPackVersion(const SigningKey& key, std::int64_t pack_id, std::int64_t version,
                                           const PackSpec& spec, const std::vector<Lesson>& lessons,
                                           std::int64_t now);

}  // namespace lm::catalog
