#pragma once
// A new version of a lesson takes the old one's place. A lesson id names exact bytes (edges verify
// every file against it and keep bundles by it), so a version with other chapters is a lesson of
// its own whose lesson.json names the old one in "revises" and whose media are the old one's. When
// such a version registers, the old lesson records its successor (Lesson::superseded_by) and every
// pack whose latest version holds the old lesson is published again, signed, with the new version
// in its place (needed-by and pin dates kept): the schools' edges, which follow their packs, fetch
// it. Called by POST /v1/lessons; thread-safe as the store is.

#include <cstdint>
#include <vector>

#include "catalog/catalog_store.h"
#include "catalog/model.h"
#include "common/signing.h"

namespace lm::catalog {

// kInvalidArgument (field "manifest.revises") unless `version` has the same kind and the same media
// files (paths, sizes, digests) as `old`: only lesson.json may change between versions.
Status CheckIsVersionOf(const Lesson& version, const Lesson& old);

// Makes `version` (just registered, with Lesson::revises set) take the place of the lesson it
// revises, and of the versions that had taken that lesson's place before, in the store and in the
// latest version of every pack that holds one of them. Returns the packs published again.
Result<std::vector<std::int64_t>> AdoptNewVersion(CatalogStore& store, const SigningKey& key, const Lesson& version,
                                                  std::int64_t now);

}  // namespace lm::catalog
