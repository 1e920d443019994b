#pragma once
// Bearer tokens: made at random, shown once, stored only as their SHA-256.

#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::catalog {

// 32 random bytes as 64 hex digits.
Result<std::string> NewToken();
// Lower-case hex SHA-256 of the token: what the store keeps.
std::string TokenHash(std::string_view token);
// The token in "Authorization: Bearer <token>", or "" if absent or malformed.
std::string BearerToken(std::string_view authorization_header);

}  // namespace lm::catalog
