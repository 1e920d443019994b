// SqliteCatalogStore's bearer tokens: their hashes and records, listing and revoking them.

#include "catalog/sqlite_catalog_store.h"

namespace lm::catalog {

using sql::Statement;

namespace {

constexpr char kTokenColumns[] = "role, school_id, id, prefix, label, created_at, expires_at, revoked_at";

Result<TokenInfo> TokenFromRow(const Statement& st) {
  auto role = ParseRole(st.Text(0));
  if (!role) return Internal("token with unknown role " + st.Text(0));
  TokenInfo t;
  t.role = *role;
  t.school_id = st.Text(1);
  t.id = st.Int(2);
  t.prefix = st.Text(3);
  t.label = st.Text(4);
  t.created_at = st.Int(5);
  t.expires_at = st.Int(6);
  t.revoked_at = st.Int(7);
  return t;
}

}  // namespace

Result<std::int64_t> SqliteCatalogStore::PutToken(const std::string& token_hash, const TokenInfo& info) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "INSERT INTO tokens (hash, prefix, role, school_id, label, created_at, expires_at) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"));
  st.Bind(1, token_hash).Bind(2, info.prefix).Bind(3, std::string_view(RoleName(info.role))).Bind(4, info.school_id)
      .Bind(5, info.label).Bind(6, info.created_at).Bind(7, info.expires_at);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Internal("token insert returned no id");
  return st.Int(0);
}

Result<TokenInfo> SqliteCatalogStore::FindToken(const std::string& token_hash) {
  ASSIGN_OR_RETURN(CachedStatement st,
                   Cached(std::string("SELECT ") + kTokenColumns + " FROM tokens WHERE hash = ?1"));
  st->Bind(1, token_hash);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status(StatusCode::kNotFound, "token not found");
  return TokenFromRow(*st);
}

Result<std::vector<TokenInfo>> SqliteCatalogStore::ListTokens() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st,
                   Statement::Prepare(db, std::string("SELECT ") + kTokenColumns + " FROM tokens ORDER BY id"));
  std::vector<TokenInfo> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ASSIGN_OR_RETURN(TokenInfo t, TokenFromRow(st));
    out.push_back(std::move(t));
  }
  return out;
}

Result<TokenInfo> SqliteCatalogStore::RevokeToken(std::int64_t id, std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      std::string("UPDATE tokens SET revoked_at = CASE WHEN revoked_at = 0 THEN ?2 ELSE revoked_at END "
                  "WHERE id = ?1 RETURNING ") + kTokenColumns));
  st.Bind(1, id).Bind(2, now);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return Status(StatusCode::kNotFound, "no token " + std::to_string(id), "id");
  return TokenFromRow(st);
}

Result<bool> SqliteCatalogStore::HasAdminToken(std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT 1 FROM tokens WHERE role = 'admin' AND revoked_at = 0 AND (expires_at = 0 OR expires_at > ?1) LIMIT 1"));
  st.Bind(1, now);
  return st.Step();
}

}  // namespace lm::catalog
