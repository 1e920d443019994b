// PostgresCatalogStore: bearer tokens (their hashes and records, listing and revoking them) and
// the whole lists the admin's page shows (communities with their members, every pack's latest
// version).

#include <map>

#include "catalog/detail/postgres_rows.h"
#include "catalog/postgres_catalog_store.h"
#include "common/postgres_pool.h"

namespace lm::catalog {

using pg::Params;
using pg::Rows;

namespace {

constexpr char kTokenColumns[] = "role, school_id, id, prefix, label, created_at, expires_at, revoked_at";

Result<TokenInfo> TokenFromRow(const Rows& r, int i) {
  auto role = ParseRole(r.Text(i, 0));
  if (!role) return Internal("token with unknown role " + r.Text(i, 0));
  TokenInfo t;
  t.role = *role;
  t.school_id = r.Text(i, 1);
  t.id = r.Int(i, 2);
  t.prefix = r.Text(i, 3);
  t.label = r.Text(i, 4);
  t.created_at = r.Int(i, 5);
  t.expires_at = r.Int(i, 6);
  t.revoked_at = r.Int(i, 7);
  return t;
}

}  // namespace

Result<std::int64_t> PostgresCatalogStore::PutToken(const std::string& token_hash, const TokenInfo& info) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "INSERT INTO tokens (hash, prefix, role, school_id, label, created_at, expires_at) "
                                    "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                                    Params().Add(token_hash).Add(info.prefix).Add(RoleName(info.role))
                                        .Add(info.school_id).Add(info.label).Add(info.created_at).Add(info.expires_at)));
  if (r.empty()) return Internal("token insert returned no id");
  return r.Int(0, 0);
}

Result<TokenInfo> PostgresCatalogStore::FindToken(const std::string& token_hash) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE hash = $1",
                                    Params().Add(token_hash)));
  if (r.empty()) return Status(StatusCode::kNotFound, "token not found");
  return TokenFromRow(r, 0);
}

Result<std::vector<TokenInfo>> PostgresCatalogStore::ListTokens() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), std::string("SELECT ") + kTokenColumns + " FROM tokens ORDER BY id"));
  std::vector<TokenInfo> out;
  for (int i = 0; i < r.size(); ++i) {
    ASSIGN_OR_RETURN(TokenInfo t, TokenFromRow(r, i));
    out.push_back(std::move(t));
  }
  return out;
}

Result<TokenInfo> PostgresCatalogStore::RevokeToken(std::int64_t id, std::int64_t now) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    std::string("UPDATE tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN $2 "
                                                "ELSE revoked_at END WHERE id = $1 RETURNING ") + kTokenColumns,
                                    Params().Add(id).Add(now)));
  if (r.empty()) return Status(StatusCode::kNotFound, "no token " + std::to_string(id), "id");
  return TokenFromRow(r, 0);
}

Result<bool> PostgresCatalogStore::HasAdminToken(std::int64_t now) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT 1 FROM tokens WHERE role = 'admin' AND revoked_at = 0 AND "
                                    "(expires_at = 0 OR expires_at > $1) LIMIT 1",
                                    Params().Add(now)));
  return !r.empty();
}

Result<std::vector<Community>> PostgresCatalogStore::ListCommunities() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT id, name, model, level, core_school FROM communities ORDER BY id"));
  std::vector<Community> out;
  std::map<std::string, size_t> index;
  for (int i = 0; i < r.size(); ++i) {
    index[r.Text(i, 0)] = out.size();
    out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), {}});
  }
  ASSIGN_OR_RETURN(Rows m, pg::Exec(conn.get(),
                                    "SELECT community_id, school_id FROM community_members "
                                    "ORDER BY community_id, school_id"));
  for (int i = 0; i < m.size(); ++i) {
    if (auto it = index.find(m.Text(i, 0)); it != index.end()) out[it->second].members.push_back(m.Text(i, 1));
  }
  return out;
}

Result<std::vector<PackVersion>> PostgresCatalogStore::ListPacks() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT v.pack_id, v.version, v.manifest, v.signature, v.published_at FROM packs p "
                                    "JOIN pack_versions v ON v.pack_id = p.id AND v.version = p.latest_version "
                                    "ORDER BY p.id"));
  std::vector<PackVersion> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(PackVersionFromRow(r, i));
  return out;
}

}  // namespace lm::catalog
