#pragma once
// Publishing a pack version: the catalog's records (spec, lessons) turned into the signed pack
// manifest of bundle/pack_manifest.h, whose canonical bytes and signature the edges receive.

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
