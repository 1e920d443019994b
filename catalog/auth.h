#pragma once
// Bearer tokens: made at random, shown once, stored only as their SHA-256 with a record (role,
// school, the first characters, when made, when they expire, when revoked); and whether a token
// the store knows may still be used. Pure functions over a CatalogStore; any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/catalog_store.h"
#include "catalog/model.h"
#include "common/status.h"

namespace lm::catalog {

inline constexpr std::size_t kTokenPrefixChars = 8;

// 32 random bytes as 64 hex digits.
Result<std::string> NewToken();
// Lower-case hex SHA-256 of the token: what the store keeps.
std::string TokenHash(std::string_view token);

struct IssuedToken {
  std::string token;  // the only time it is seen
  TokenInfo info;     // as stored, with its id
};
// Makes a token for info.role (and info.school_id, for edges and teachers) with info.label and
// info.expires_at, and keeps its hash; its prefix and created_at (`now`) are filled in here.
Result<IssuedToken> IssueToken(CatalogStore& store, TokenInfo info, std::int64_t now);

// Why a known token may not be used at `now` (code "token_revoked" or "token_expired", and a
// message saying when); nullopt when it may.
struct TokenRefusal {
  std::string code;
  std::string message;
};
std::optional<TokenRefusal> RefuseToken(const TokenInfo& token, std::int64_t now);

// When a new token expires, from `--expires`: "90d" or "12h" after `now`, or a date "2027-07-01"
// (00:00 UTC that day). kInvalidArgument (field "expires") for anything else or a time not after now.
Result<std::int64_t> ParseExpiry(std::string_view text, std::int64_t now);

// How token times are shown: "2026-11-19T08:00:00Z".
std::string UtcTime(std::int64_t unix_seconds);

}  // namespace lm::catalog
