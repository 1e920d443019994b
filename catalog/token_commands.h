#pragma once
// lessonmesh-catalog's `token` commands on the catalog's data directory: create (print the new
// token once), list (every token's record, never a token) and revoke. Each returns the Status the
// program's exit code comes from and writes what it shows to `out`. Called from main's thread.

#include <cstdint>
#include <ostream>
#include <string>

#include "catalog/catalog_config.h"
#include "common/status.h"

namespace lm::catalog {

struct TokenRequest {
  std::string role;
  std::string school;
  std::string label;
  std::string expires;  // "" = never; else as ParseExpiry takes it
};

Status CreateTokenCommand(const CatalogConfig& config, const TokenRequest& request, std::int64_t now,
                          std::ostream& out);
// One line a token: id, prefix, role, school, created, expires, revoked, label ("-" for none).
Status ListTokensCommand(const CatalogConfig& config, std::int64_t now, std::ostream& out);
// `id` as typed: the token's id that `list` shows.
Status RevokeTokenCommand(const CatalogConfig& config, const std::string& id, std::int64_t now, std::ostream& out);

}  // namespace lm::catalog
