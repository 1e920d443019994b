#include "catalog/postgres_catalog_store.h"

#include "catalog/detail/postgres_rows.h"
#include "catalog/detail/postgres_search_text.h"
#include "catalog/detail/postgres_schema.h"
#include "catalog/detail/stored_text.h"
#include "common/postgres_pool.h"

namespace lm::catalog {

using pg::Params;
using pg::Rows;

namespace {

Status NotFound(const std::string& what) { return Status(StatusCode::kNotFound, what + " not found"); }

// The advisory lock catalogs take while migrating one database.
constexpr char kMigrationLock[] = "7301594211";

School SchoolFromRow(const Rows& r, int i) {
  return School{r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Text(i, 4), r.Text(i, 5), r.Int(i, 6)};
}

}  // namespace

Result<std::unique_ptr<PostgresCatalogStore>> PostgresCatalogStore::Open(const std::string& uri, int max_connections) {
  auto pool = std::make_unique<pg::ConnectionPool>(uri, max_connections);
  std::unique_ptr<PostgresCatalogStore> store(new PostgresCatalogStore(std::move(pool)));
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

PostgresCatalogStore::PostgresCatalogStore(std::unique_ptr<pg::ConnectionPool> pool) : pool_(std::move(pool)) {}

PostgresCatalogStore::~PostgresCatalogStore() = default;

Status PostgresCatalogStore::Migrate() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  RETURN_IF_ERROR(pg::Exec(conn.get(), std::string("SELECT pg_advisory_xact_lock(") + kMigrationLock + ")").status());
  RETURN_IF_ERROR(pg::ExecScript(conn.get(), "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)"));
  ASSIGN_OR_RETURN(Rows v, pg::Exec(conn.get(), "SELECT coalesce(max(version), 0) FROM schema_version"));
  int version = static_cast<int>(v.Int(0, 0));
  const int target = static_cast<int>(kPostgresMigrations.size());
  if (version > target) {
    return InvalidArgument("catalog database is schema " + std::to_string(version) + ", newer than this program (" +
                           std::to_string(target) + ")");
  }
  if (version == target) return tx.Commit();
  for (; version < target; ++version) {
    RETURN_IF_ERROR(pg::ExecScript(conn.get(), kPostgresMigrations[static_cast<size_t>(version)]));
  }
  RETURN_IF_ERROR(pg::ExecScript(conn.get(), "DELETE FROM schema_version"));
  RETURN_IF_ERROR(pg::Exec(conn.get(), "INSERT INTO schema_version (version) VALUES ($1)", Params().Add(target)).status());
  return tx.Commit();
}

Status PostgresCatalogStore::PutSchool(const School& s) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  return pg::Exec(conn.get(),
                  "INSERT INTO schools (id, name, province, city, county, kind, pupils) VALUES ($1,$2,$3,$4,$5,$6,$7) "
                  "ON CONFLICT (id) DO UPDATE SET name=excluded.name, province=excluded.province, city=excluded.city, "
                  "county=excluded.county, kind=excluded.kind, pupils=excluded.pupils",
                  Params().Add(s.id).Add(s.name).Add(s.province).Add(s.city).Add(s.county).Add(s.kind).Add(s.pupils))
      .status();
}

Result<School> PostgresCatalogStore::GetSchool(const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT id, name, province, city, county, kind, pupils FROM schools WHERE id = $1",
                                    Params().Add(id)));
  if (r.empty()) return NotFound("school " + id);
  return SchoolFromRow(r, 0);
}

Result<std::vector<School>> PostgresCatalogStore::ListSchools() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT id, name, province, city, county, kind, pupils FROM schools ORDER BY id"));
  std::vector<School> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(SchoolFromRow(r, i));
  return out;
}

Status PostgresCatalogStore::PutCommunity(const Community& c) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  Status s = pg::Exec(conn.get(),
                      "INSERT INTO communities (id, name, model, level, core_school) VALUES ($1,$2,$3,$4,$5) "
                      "ON CONFLICT (id) DO UPDATE SET name=excluded.name, model=excluded.model, level=excluded.level, "
                      "core_school=excluded.core_school",
                      Params().Add(c.id).Add(c.name).Add(c.model).Add(c.level).Add(c.core_school))
                 .status();
  if (!s.ok()) return s.code() == StatusCode::kAlreadyExists ? InvalidArgument("unknown core school", "core_school") : s;
  RETURN_IF_ERROR(pg::Exec(conn.get(), "DELETE FROM community_members WHERE community_id = $1", Params().Add(c.id))
                      .status());
  for (const auto& m : c.members) {
    Status added = pg::Exec(conn.get(),
                            "INSERT INTO community_members (community_id, school_id) VALUES ($1, $2) "
                            "ON CONFLICT DO NOTHING",
                            Params().Add(c.id).Add(m))
                       .status();
    if (!added.ok()) return InvalidArgument("unknown member school " + m, "members");
  }
  return tx.Commit();
}

Result<Community> PostgresCatalogStore::GetCommunity(const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT id, name, model, level, core_school FROM communities WHERE id = $1",
                                    Params().Add(id)));
  if (r.empty()) return NotFound("community " + id);
  Community c{r.Text(0, 0), r.Text(0, 1), r.Text(0, 2), r.Text(0, 3), r.Text(0, 4), {}};
  ASSIGN_OR_RETURN(Rows m, pg::Exec(conn.get(),
                                    "SELECT school_id FROM community_members WHERE community_id = $1 ORDER BY school_id",
                                    Params().Add(id)));
  for (int i = 0; i < m.size(); ++i) c.members.push_back(m.Text(i, 0));
  return c;
}

Result<std::vector<std::string>> PostgresCatalogStore::CommunitiesOf(const std::string& school_id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT community_id FROM community_members WHERE school_id = $1 "
                                    "ORDER BY community_id",
                                    Params().Add(school_id)));
  std::vector<std::string> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

Status PostgresCatalogStore::PutLesson(const Lesson& l) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  const std::int64_t tokens = LessonTokenCount(l);
  RETURN_IF_ERROR(pg::Exec(conn.get(),
                  "INSERT INTO lessons (id, kind, title, teacher, school_id, subject, grade, description, tags, "
                  "tags_json, duration_s, info_hash_v1, info_hash_v2, total_bytes, manifest, torrent, created_at, "
                  "search, facets, search_tokens) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,"
                  "$17,$18::tsvector,$19::tsvector,$20)",
                  Params()
                      .Add(l.id).Add(l.kind).Add(l.title).Add(l.teacher).Add(l.school_id).Add(l.subject).Add(l.grade)
                      .Add(l.description).Add(JoinTags(l.tags)).Add(TagsJson(l.tags)).Add(l.duration_s)
                      .Add(l.info_hash_v1).Add(l.info_hash_v2).Add(l.total_bytes).Add(l.manifest_json)
                      .AddBytes(l.torrent).Add(l.created_at).Add(LessonSearchVector(l)).Add(LessonFacetVector(l)).Add(tokens))
      .status());
  RETURN_IF_ERROR(pg::Exec(conn.get(), "UPDATE search_totals SET lessons = lessons + 1, tokens = tokens + $1",
                           Params().Add(tokens))
                      .status());
  return tx.Commit();
}

Result<Lesson> PostgresCatalogStore::GetLesson(const std::string& id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    std::string("SELECT ") + kPgLessonColumns +
                                        ", manifest, torrent, superseded_by FROM lessons WHERE id = $1",
                                    Params().Add(id)));
  if (r.empty()) return NotFound("lesson " + id);
  Lesson l = LessonFromRow(r, 0);
  l.manifest_json = r.Text(0, 14);
  l.torrent = r.Bytes(0, 15);
  l.superseded_by = r.Text(0, 16);
  l.revises = RevisesOf(l.manifest_json);
  return l;
}

Status PostgresCatalogStore::SupersedeLesson(const std::string& old_id, const std::string& new_id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  ASSIGN_OR_RETURN(Rows old, pg::Exec(conn.get(), "SELECT superseded_by, search_tokens FROM lessons WHERE id = $1 FOR UPDATE",
                                      Params().Add(old_id)));
  if (old.empty()) return NotFound("lesson " + old_id);
  RETURN_IF_ERROR(pg::Exec(conn.get(), "UPDATE lessons SET superseded_by = $2 WHERE id = $1", Params().Add(old_id).Add(new_id))
                      .status());
  // Out of the search statistics, as a superseded lesson is out of SQLite's index.
  if (old.Text(0, 0).empty() && !new_id.empty()) {
    RETURN_IF_ERROR(pg::Exec(conn.get(), "UPDATE search_totals SET lessons = lessons - 1, tokens = tokens - $1",
                             Params().Add(old.Int(0, 1))).status());
  }
  return tx.Commit();
}

Result<std::int64_t> PostgresCatalogStore::CountLessons() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), "SELECT count(*) FROM lessons"));
  return r.Int(0, 0);
}

Result<std::int64_t> PostgresCatalogStore::CreatePack(const PackSpec& spec, const std::string& created_by) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), "INSERT INTO packs (title, spec, created_by) VALUES ($1, $2, $3) "
                                                "RETURNING id",
                                    Params().Add(spec.title).Add(SpecJson(spec)).Add(created_by)));
  return r.Int(0, 0);
}

Result<PackSpec> PostgresCatalogStore::GetPackSpec(std::int64_t pack_id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), "SELECT spec FROM packs WHERE id = $1", Params().Add(pack_id)));
  if (r.empty()) return NotFound("pack " + std::to_string(pack_id));
  return SpecFromJson(r.Text(0, 0));
}

Status PostgresCatalogStore::AddPackVersion(const PackVersion& v, const PackSpec& spec) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  // The pack's row stays locked to the end: a concurrent publish waits, then sees the new version.
  ASSIGN_OR_RETURN(Rows latest, pg::Exec(conn.get(), "SELECT latest_version FROM packs WHERE id = $1 FOR UPDATE",
                                         Params().Add(v.pack_id)));
  if (latest.empty()) return NotFound("pack " + std::to_string(v.pack_id));
  if (latest.Int(0, 0) + 1 != v.version) {
    return Status(StatusCode::kAlreadyExists, "pack " + std::to_string(v.pack_id) + " was published concurrently");
  }
  RETURN_IF_ERROR(pg::Exec(conn.get(),
                           "INSERT INTO pack_versions (pack_id, version, manifest, signature, published_at) "
                           "VALUES ($1,$2,$3,$4,$5)",
                           Params().Add(v.pack_id).Add(v.version).Add(v.manifest).Add(v.signature).Add(v.published_at))
                      .status());
  for (const auto& i : spec.items) {
    Status s = pg::Exec(conn.get(),
                        "INSERT INTO pack_items (pack_id, version, lesson_id, needed_by, pinned_until) "
                        "VALUES ($1,$2,$3,$4,$5)",
                        Params().Add(v.pack_id).Add(v.version).Add(i.lesson_id).Add(i.needed_by).Add(i.pinned_until))
                   .status();
    if (!s.ok()) return InvalidArgument("unknown or repeated lesson " + i.lesson_id, "items");
  }
  auto add_target = [&](const char* kind, const std::string& id) {
    return pg::Exec(conn.get(),
                    "INSERT INTO pack_targets (pack_id, version, target_kind, target_id) VALUES ($1,$2,$3,$4) "
                    "ON CONFLICT DO NOTHING",
                    Params().Add(v.pack_id).Add(v.version).Add(kind).Add(id))
        .status();
  };
  for (const auto& c : spec.target_communities) RETURN_IF_ERROR(add_target("community", c));
  for (const auto& s : spec.target_schools) RETURN_IF_ERROR(add_target("school", s));
  RETURN_IF_ERROR(pg::Exec(conn.get(), "UPDATE packs SET latest_version = $2, title = $3, spec = $4 WHERE id = $1",
                           Params().Add(v.pack_id).Add(v.version).Add(spec.title).Add(SpecJson(spec)))
                      .status());
  // Every catalog on this database hears of it when (and only if) the version commits.
  RETURN_IF_ERROR(pg::Exec(conn.get(), "SELECT pg_notify($1, $2)",
                           Params().Add(kPackChangesChannel).Add(std::to_string(v.pack_id)))
                      .status());
  return tx.Commit();
}

Result<PackVersion> PostgresCatalogStore::GetPackVersion(std::int64_t pack_id, std::int64_t version) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT v.pack_id, v.version, v.manifest, v.signature, v.published_at "
                                    "FROM pack_versions v JOIN packs p ON p.id = v.pack_id WHERE v.pack_id = $1 AND "
                                    "v.version = CASE WHEN $2::bigint = 0 THEN p.latest_version ELSE $2::bigint END",
                                    Params().Add(pack_id).Add(version)));
  if (r.empty()) return NotFound("pack " + std::to_string(pack_id) + " version " + std::to_string(version));
  return PackVersionFromRow(r, 0);
}

Result<std::vector<std::int64_t>> PostgresCatalogStore::PacksHoldingLesson(const std::string& lesson_id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT p.id FROM packs p JOIN pack_items i ON i.pack_id = p.id AND "
                                    "i.version = p.latest_version WHERE i.lesson_id = $1 ORDER BY p.id",
                                    Params().Add(lesson_id)));
  std::vector<std::int64_t> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(r.Int(i, 0));
  return out;
}

Result<std::vector<PackVersion>> PostgresCatalogStore::PacksForSchool(const std::string& school_id) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(
      Rows r,
      pg::Exec(conn.get(),
               "SELECT v.pack_id, v.version, v.manifest, v.signature, v.published_at FROM packs p "
               "JOIN pack_versions v ON v.pack_id = p.id AND v.version = p.latest_version "
               "WHERE EXISTS (SELECT 1 FROM pack_targets t WHERE t.pack_id = p.id AND t.version = p.latest_version AND "
               "((t.target_kind = 'school' AND t.target_id = $1) OR (t.target_kind = 'community' AND t.target_id IN "
               "(SELECT community_id FROM community_members WHERE school_id = $1)))) ORDER BY p.id",
               Params().Add(school_id)));
  std::vector<PackVersion> out;
  for (int i = 0; i < r.size(); ++i) out.push_back(PackVersionFromRow(r, i));
  return out;
}

Result<std::int64_t> PostgresCatalogStore::SizeBytes() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), "SELECT pg_database_size(current_database())"));
  return r.Int(0, 0);
}

Status PostgresCatalogStore::Optimize() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  // Moves the GIN index's pending entries into the index, then refreshes the planner's statistics.
  RETURN_IF_ERROR(pg::Exec(conn.get(), "SELECT gin_clean_pending_list('lessons_search'::regclass)").status());
  return pg::ExecScript(conn.get(), "ANALYZE");
}

}  // namespace lm::catalog
