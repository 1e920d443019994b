// SqliteCatalogStore: the whole lists the admin's page and the dashboard show (communities with
// their members, the latest version of every pack, every edge's last contact and free disk).

#include "catalog/sqlite_catalog_store.h"

#include <map>

namespace lm::catalog {

using sql::Statement;

Result<std::vector<Community>> SqliteCatalogStore::ListCommunities() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT id, name, model, level, core_school FROM communities ORDER BY id"));
  std::vector<Community> out;
  std::map<std::string, size_t> index;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    index[st.Text(0)] = out.size();
    out.push_back({st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), {}});
  }
  ASSIGN_OR_RETURN(Statement m, Statement::Prepare(db,
      "SELECT community_id, school_id FROM community_members ORDER BY community_id, school_id"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, m.Step());
    if (!row) break;
    if (auto it = index.find(m.Text(0)); it != index.end()) out[it->second].members.push_back(m.Text(1));
  }
  return out;
}

Result<std::vector<PackVersion>> SqliteCatalogStore::ListPacks() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT v.pack_id, v.version, v.manifest, v.signature, v.published_at FROM packs p "
      "JOIN pack_versions v ON v.pack_id = p.id AND v.version = p.latest_version ORDER BY p.id"));
  std::vector<PackVersion> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Int(4)});
  }
  return out;
}

Result<std::vector<EdgeContact>> SqliteCatalogStore::ListEdges() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT school_id, last_contact, free_bytes FROM edges ORDER BY school_id"));
  std::vector<EdgeContact> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Text(0), st.Int(1), st.Int(2)});
  }
  return out;
}

}  // namespace lm::catalog
