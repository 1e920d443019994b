#pragma once
// Bearer tokens: made at random, shown once, stored only as their SHA-256.

#include <string>
#include <string_view>

#include "catalog/catalog_store.h"
#include "catalog/model.h"
#include "common/status.h"

namespace lm::catalog {

// 32 random bytes as 64 hex digits.
Result<std::string> NewToken();
// Lower-case hex SHA-256 of the token: what the store keeps.
std::string TokenHash(std::string_view token);
// Makes a token for `role` (and `school`, for edges and teachers), stores its hash with `label`,
// and returns the token itself: the only time it is seen.
Result<std::string> IssueToken(CatalogStore& store, Role role, const std::string& school, const std::string& label);

}  // namespace lm::catalog
