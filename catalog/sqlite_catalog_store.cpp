#include "catalog/sqlite_catalog_store.h"

#include "catalog/detail/catalog_schema.h"
#include "catalog/detail/stored_text.h"
#include "common/cjk_tokenizer.h"

namespace lm::catalog {

using sql::Statement;
using sql::Transaction;

namespace {

constexpr char kLessonColumns[] =
    "id, kind, title, teacher, school_id, subject, grade, description, tags_json, duration_s, info_hash_v1, "
    "info_hash_v2, total_bytes, created_at";

Lesson LessonFromRow(const Statement& st) {
  Lesson l;
  l.id = st.Text(0);
  l.kind = st.Text(1);
  l.title = st.Text(2);
  l.teacher = st.Text(3);
  l.school_id = st.Text(4);
  l.subject = st.Text(5);
  l.grade = st.Text(6);
  l.description = st.Text(7);
  l.tags = TagsFromJson(st.Text(8));
  l.duration_s = st.Double(9);
  l.info_hash_v1 = st.Text(10);
  l.info_hash_v2 = st.Text(11);
  l.total_bytes = st.Int(12);
  l.created_at = st.Int(13);
  return l;
}

Status NotFound(const std::string& what) { return Status(StatusCode::kNotFound, what + " not found"); }

}  // namespace

Result<std::unique_ptr<SqliteCatalogStore>> SqliteCatalogStore::Open(const std::string& path) {
  std::unique_ptr<SqliteCatalogStore> store(new SqliteCatalogStore(path));
  ASSIGN_OR_RETURN(sqlite3 * db, store->Db());
  RETURN_IF_ERROR(store->Migrate(db));
  return store;
}

SqliteCatalogStore::SqliteCatalogStore(const std::string& path)
    : connections_(path, [this](sqlite3* db) {
        RETURN_IF_ERROR(RegisterCjkTokenizer(db));
        RETURN_IF_ERROR(RegisterBm25Function(db, &index_counts_));
        // Searches read the same index pages again and again: keep them in memory.
        return sql::Exec(db, "PRAGMA cache_size=-32768; PRAGMA mmap_size=268435456;");
      }) {}

Status SqliteCatalogStore::Migrate(sqlite3* db) {
  ASSIGN_OR_RETURN(Statement v, Statement::Prepare(db, "PRAGMA user_version"));
  ASSIGN_OR_RETURN(bool row, v.Step());
  int version = row ? static_cast<int>(v.Int(0)) : 0;
  v.Reset();
  const int target = static_cast<int>(kCatalogMigrations.size());
  if (version > target) {
    return Status(StatusCode::kInvalidArgument,
                  "catalog database is schema " + std::to_string(version) + ", newer than this program (" +
                      std::to_string(target) + ")");
  }
  for (; version < target; ++version) {
    ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
    RETURN_IF_ERROR(sql::Exec(db, kCatalogMigrations[static_cast<size_t>(version)]));
    RETURN_IF_ERROR(sql::Exec(db, "PRAGMA user_version=" + std::to_string(version + 1)));
    RETURN_IF_ERROR(tx.Commit());
  }
  return Status::Ok();
}

Status SqliteCatalogStore::PutSchool(const School& s) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "INSERT INTO schools (id, name, province, city, county, kind, pupils) VALUES (?1,?2,?3,?4,?5,?6,?7) "
      "ON CONFLICT(id) DO UPDATE SET name=excluded.name, province=excluded.province, city=excluded.city, "
      "county=excluded.county, kind=excluded.kind, pupils=excluded.pupils"));
  return st.Bind(1, s.id).Bind(2, s.name).Bind(3, s.province).Bind(4, s.city).Bind(5, s.county).Bind(6, s.kind)
      .Bind(7, s.pupils).Run();
}

Result<School> SqliteCatalogStore::GetSchool(const std::string& id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT id, name, province, city, county, kind, pupils FROM schools WHERE id = ?1"));
  st.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("school " + id);
  return School{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5), st.Int(6)};
}

Result<std::vector<School>> SqliteCatalogStore::ListSchools() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT id, name, province, city, county, kind, pupils FROM schools ORDER BY id"));
  std::vector<School> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), st.Text(5), st.Int(6)});
  }
  return out;
}

Status SqliteCatalogStore::PutCommunity(const Community& c) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "INSERT INTO communities (id, name, model, level, core_school) VALUES (?1,?2,?3,?4,?5) "
      "ON CONFLICT(id) DO UPDATE SET name=excluded.name, model=excluded.model, level=excluded.level, "
      "core_school=excluded.core_school"));
  Status s = st.Bind(1, c.id).Bind(2, c.name).Bind(3, c.model).Bind(4, c.level).Bind(5, c.core_school).Run();
  if (!s.ok()) return s.code() == StatusCode::kAlreadyExists ? InvalidArgument("unknown core school", "core_school") : s;
  ASSIGN_OR_RETURN(Statement del, Statement::Prepare(db, "DELETE FROM community_members WHERE community_id = ?1"));
  RETURN_IF_ERROR(del.Bind(1, c.id).Run());
  ASSIGN_OR_RETURN(Statement ins, Statement::Prepare(db,
      "INSERT OR IGNORE INTO community_members (community_id, school_id) VALUES (?1, ?2)"));
  for (const auto& m : c.members) {
    ins.Reset();
    Status st2 = ins.Bind(1, c.id).Bind(2, m).Run();
    if (!st2.ok()) return InvalidArgument("unknown member school " + m, "members");
  }
  return tx.Commit();
}

Result<Community> SqliteCatalogStore::GetCommunity(const std::string& id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT id, name, model, level, core_school FROM communities WHERE id = ?1"));
  st.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("community " + id);
  Community c{st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Text(4), {}};
  ASSIGN_OR_RETURN(Statement m, Statement::Prepare(db,
      "SELECT school_id FROM community_members WHERE community_id = ?1 ORDER BY school_id"));
  m.Bind(1, id);
  for (;;) {
    ASSIGN_OR_RETURN(bool r, m.Step());
    if (!r) break;
    c.members.push_back(m.Text(0));
  }
  return c;
}

Result<std::vector<std::string>> SqliteCatalogStore::CommunitiesOf(const std::string& school_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT community_id FROM community_members WHERE school_id = ?1 ORDER BY community_id"));
  st.Bind(1, school_id);
  std::vector<std::string> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Text(0));
  }
  return out;
}

Status SqliteCatalogStore::PutLesson(const Lesson& l) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "INSERT INTO lessons (id, kind, title, teacher, school_id, subject, grade, description, tags, tags_json, "
      "duration_s, info_hash_v1, info_hash_v2, total_bytes, manifest, torrent, created_at) "
      "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)"));
  Status result = st.Bind(1, l.id).Bind(2, l.kind).Bind(3, l.title).Bind(4, l.teacher).Bind(5, l.school_id)
      .Bind(6, l.subject).Bind(7, l.grade).Bind(8, l.description).Bind(9, JoinTags(l.tags))
      .Bind(10, TagsJson(l.tags)).Bind(11, l.duration_s).Bind(12, l.info_hash_v1)
      .Bind(13, l.info_hash_v2).Bind(14, l.total_bytes).Bind(15, l.manifest_json).BindBlob(16, l.torrent)
      .Bind(17, l.created_at).Run();
  index_counts_.Invalidate();  // the search index changed (or may have)
  return result;
}

Result<Lesson> SqliteCatalogStore::GetLesson(const std::string& id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      std::string("SELECT ") + kLessonColumns + ", manifest, torrent, superseded_by FROM lessons WHERE id = ?1"));
  st.Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("lesson " + id);
  Lesson l = LessonFromRow(st);
  l.manifest_json = st.Text(14);
  l.torrent = st.Text(15);
  l.superseded_by = st.Text(16);
  l.revises = RevisesOf(l.manifest_json);
  return l;
}

Status SqliteCatalogStore::SupersedeLesson(const std::string& old_id, const std::string& new_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "UPDATE lessons SET superseded_by = ?2 WHERE id = ?1"));
  const Status result = st.Bind(1, old_id).Bind(2, new_id).Run();
  index_counts_.Invalidate();  // the old version left the search index (a trigger; schema 7)
  RETURN_IF_ERROR(result);
  if (sqlite3_changes(db) == 0) return NotFound("lesson " + old_id);
  return Status::Ok();
}

Result<std::vector<SearchHit>> SqliteCatalogStore::SearchLessons(const SearchQuery& q) {
  std::string match = FtsMatchExpression(q.text);
  const bool full_text = !match.empty();
  // The expression's phrases in order, one per line, for lm_bm25 to know its counts by. A term
  // is one quoted phrase made only of word and CJK characters: " AND " never occurs inside one.
  std::string phrases;
  for (size_t begin = 0; full_text;) {
    const size_t end = match.find(" AND ", begin);
    phrases += match.substr(begin, end - begin);
    if (end == std::string::npos) break;
    phrases += '\n';
    begin = end + 5;
  }
  // Filters narrow inside the index (column phrase filters); the exact comparison below keeps
  // them exact.
  auto column_filter = [&](const char* column, const std::string& value) {
    if (value.empty() || !full_text) return;
    std::string quoted = "\"";
    for (char c : value) quoted += (c == '"') ? std::string("\"\"") : std::string(1, c);
    match = "(" + match + ") AND " + column + " : " + quoted + "\"";
    phrases += std::string("\n") + column + " : " + quoted + "\"";
  };
  column_filter("subject", q.subject);
  column_filter("grade", q.grade);
  column_filter("teacher", q.teacher);

  // Relevance (bm25) costs about a microsecond per matching lesson, and a word like 实验 matches a
  // third of a province's catalog. Broad queries therefore rank only their kRankCandidates newest
  // matches (the index hands those out cheaply, newest first); narrower ones are ranked in full.
  constexpr std::int64_t kRankCandidates = 500;
  std::int64_t rowid_floor = 0;
  if (full_text) {
    ASSIGN_OR_RETURN(CachedStatement floor,
                     Cached("SELECT rowid FROM lessons_fts WHERE lessons_fts MATCH ?1 ORDER BY rowid DESC "
                            "LIMIT 1 OFFSET ?2"));
    floor->Bind(1, match).Bind(2, kRankCandidates - 1);
    ASSIGN_OR_RETURN(bool row, floor->Step());
    if (row) rowid_floor = floor->Int(0);
  }
  constexpr char kColumns[] =
      "l.id, l.kind, l.title, l.teacher, l.school_id, l.subject, l.grade, l.description, l.tags_json, l.duration_s, "
      "l.info_hash_v1, l.info_hash_v2, l.total_bytes, l.created_at";
  // Superseded lessons are out of the index already; the listing without words leaves them out here.
  constexpr char kExact[] =
      "(?2 = '' OR l.subject = ?2) AND (?3 = '' OR l.grade = ?3) AND (?4 = '' OR l.teacher = ?4) AND l.superseded_by = ''";
  // Rank inside the index first; fetch lesson rows only for the page being shown.
  const std::string sql =
      full_text ? std::string("SELECT ") + kColumns + ", r.rank FROM (SELECT rowid, "
                      "lm_bm25(lessons_fts, 10.0, 5.0, 1.0, 3.0, 0.0, 0.0, ?8) AS rank FROM lessons_fts "
                      "WHERE lessons_fts MATCH ?1 AND rowid >= ?7 ORDER BY rank LIMIT ?5 OFFSET ?6) r "
                      "JOIN lessons l ON l.rowid = r.rowid WHERE " + kExact + " ORDER BY r.rank"
                : std::string("SELECT ") + kColumns + ", 0.0 FROM lessons l WHERE ?1 = '' AND ?7 = 0 AND " + kExact +
                      " AND ?8 = '' ORDER BY l.created_at DESC, l.id LIMIT ?5 OFFSET ?6";
  ASSIGN_OR_RETURN(CachedStatement st, Cached(sql));
  const int page = std::max(1, q.page);
  st->Bind(1, match).Bind(2, q.subject).Bind(3, q.grade).Bind(4, q.teacher)
      .Bind(5, static_cast<std::int64_t>(q.page_size))
      .Bind(6, static_cast<std::int64_t>((page - 1) * q.page_size))
      .Bind(7, rowid_floor)
      .Bind(8, phrases);
  std::vector<SearchHit> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back({LessonFromRow(*st), st->Double(14)});
  }
  return out;
}

Result<std::int64_t> SqliteCatalogStore::CountLessons() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "SELECT count(*) FROM lessons"));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Result<std::int64_t> SqliteCatalogStore::CreatePack(const PackSpec& spec, const std::string& created_by) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "INSERT INTO packs (title, spec, created_by) VALUES (?1, ?2, ?3)"));
  RETURN_IF_ERROR(st.Bind(1, spec.title).Bind(2, SpecJson(spec)).Bind(3, created_by).Run());
  return static_cast<std::int64_t>(sqlite3_last_insert_rowid(db));
}

Result<PackSpec> SqliteCatalogStore::GetPackSpec(std::int64_t pack_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db, "SELECT spec FROM packs WHERE id = ?1"));
  st.Bind(1, pack_id);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("pack " + std::to_string(pack_id));
  return SpecFromJson(st.Text(0));
}

Status SqliteCatalogStore::AddPackVersion(const PackVersion& v, const PackSpec& spec) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  ASSIGN_OR_RETURN(Statement latest, Statement::Prepare(db, "SELECT latest_version FROM packs WHERE id = ?1"));
  latest.Bind(1, v.pack_id);
  ASSIGN_OR_RETURN(bool row, latest.Step());
  if (!row) return NotFound("pack " + std::to_string(v.pack_id));
  if (latest.Int(0) + 1 != v.version) {
    return Status(StatusCode::kAlreadyExists, "pack " + std::to_string(v.pack_id) + " was published concurrently");
  }
  latest.Reset();
  ASSIGN_OR_RETURN(Statement ins, Statement::Prepare(db,
      "INSERT INTO pack_versions (pack_id, version, manifest, signature, published_at) VALUES (?1,?2,?3,?4,?5)"));
  RETURN_IF_ERROR(ins.Bind(1, v.pack_id).Bind(2, v.version).Bind(3, v.manifest).Bind(4, v.signature)
                      .Bind(5, v.published_at).Run());
  ASSIGN_OR_RETURN(Statement item, Statement::Prepare(db,
      "INSERT INTO pack_items (pack_id, version, lesson_id, needed_by, pinned_until) VALUES (?1,?2,?3,?4,?5)"));
  for (const auto& i : spec.items) {
    item.Reset();
    Status s = item.Bind(1, v.pack_id).Bind(2, v.version).Bind(3, i.lesson_id).Bind(4, i.needed_by)
                   .Bind(5, i.pinned_until).Run();
    if (!s.ok()) return InvalidArgument("unknown or repeated lesson " + i.lesson_id, "items");
  }
  ASSIGN_OR_RETURN(Statement target, Statement::Prepare(db,
      "INSERT OR IGNORE INTO pack_targets (pack_id, version, target_kind, target_id) VALUES (?1,?2,?3,?4)"));
  for (const auto& c : spec.target_communities) {
    target.Reset();
    RETURN_IF_ERROR(target.Bind(1, v.pack_id).Bind(2, v.version).Bind(3, std::string_view("community")).Bind(4, c).Run());
  }
  for (const auto& s : spec.target_schools) {
    target.Reset();
    RETURN_IF_ERROR(target.Bind(1, v.pack_id).Bind(2, v.version).Bind(3, std::string_view("school")).Bind(4, s).Run());
  }
  ASSIGN_OR_RETURN(Statement upd, Statement::Prepare(db,
      "UPDATE packs SET latest_version = ?2, title = ?3, spec = ?4 WHERE id = ?1"));
  RETURN_IF_ERROR(upd.Bind(1, v.pack_id).Bind(2, v.version).Bind(3, spec.title).Bind(4, SpecJson(spec)).Run());
  return tx.Commit();
}

Result<PackVersion> SqliteCatalogStore::GetPackVersion(std::int64_t pack_id, std::int64_t version) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT v.pack_id, v.version, v.manifest, v.signature, v.published_at FROM pack_versions v "
      "JOIN packs p ON p.id = v.pack_id WHERE v.pack_id = ?1 AND v.version = "
      "CASE WHEN ?2 = 0 THEN p.latest_version ELSE ?2 END"));
  st.Bind(1, pack_id).Bind(2, version);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return NotFound("pack " + std::to_string(pack_id) + " version " + std::to_string(version));
  return PackVersion{st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Int(4)};
}

Result<std::vector<std::int64_t>> SqliteCatalogStore::PacksHoldingLesson(const std::string& lesson_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT p.id FROM packs p JOIN pack_items i ON i.pack_id = p.id AND i.version = p.latest_version "
      "WHERE i.lesson_id = ?1 ORDER BY p.id"));
  st.Bind(1, lesson_id);
  std::vector<std::int64_t> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(st.Int(0));
  }
  return out;
}

Result<std::vector<PackVersion>> SqliteCatalogStore::PacksForSchool(const std::string& school_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT v.pack_id, v.version, v.manifest, v.signature, v.published_at FROM packs p "
      "JOIN pack_versions v ON v.pack_id = p.id AND v.version = p.latest_version "
      "WHERE EXISTS (SELECT 1 FROM pack_targets t WHERE t.pack_id = p.id AND t.version = p.latest_version AND "
      "((t.target_kind = 'school' AND t.target_id = ?1) OR (t.target_kind = 'community' AND t.target_id IN "
      "(SELECT community_id FROM community_members WHERE school_id = ?1)))) ORDER BY p.id"));
  st.Bind(1, school_id);
  std::vector<PackVersion> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Int(0), st.Int(1), st.Text(2), st.Text(3), st.Int(4)});
  }
  return out;
}

Status SqliteCatalogStore::TouchEdge(const std::string& school_id, std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "INSERT INTO edges (school_id, last_contact) VALUES (?1, ?2) "
      "ON CONFLICT(school_id) DO UPDATE SET last_contact = excluded.last_contact"));
  return st.Bind(1, school_id).Bind(2, now).Run();
}

Result<bool> SqliteCatalogStore::ApplyReport(const EdgeReport& r, std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(db));
  ASSIGN_OR_RETURN(Statement seen, Statement::Prepare(db,
      "INSERT OR IGNORE INTO reports (report_id, school_id, received_at) VALUES (?1, ?2, ?3)"));
  RETURN_IF_ERROR(seen.Bind(1, r.report_id).Bind(2, r.school_id).Bind(3, now).Run());
  if (sqlite3_changes(db) == 0) return false;  // applied before: a retry after a dropped link
  ASSIGN_OR_RETURN(Statement edge, Statement::Prepare(db,
      "INSERT INTO edges (school_id, last_contact, free_bytes) VALUES (?1, ?2, ?3) "
      "ON CONFLICT(school_id) DO UPDATE SET last_contact = excluded.last_contact, free_bytes = excluded.free_bytes"));
  RETURN_IF_ERROR(edge.Bind(1, r.school_id).Bind(2, now).Bind(3, r.free_bytes).Run());
  ASSIGN_OR_RETURN(Statement inv, Statement::Prepare(db,
      "INSERT INTO inventory (school_id, lesson_id, state, bytes, updated_at) VALUES (?1,?2,?3,?4,?5) "
      "ON CONFLICT(school_id, lesson_id) DO UPDATE SET state = excluded.state, bytes = excluded.bytes, "
      "updated_at = excluded.updated_at"));
  for (const auto& e : r.inventory) {
    inv.Reset();
    RETURN_IF_ERROR(inv.Bind(1, r.school_id).Bind(2, e.lesson_id).Bind(3, e.state).Bind(4, e.bytes).Bind(5, now).Run());
  }
  // The packs for the school that this report shows whole, at their latest version: delivered now,
  // unless an earlier report showed the same version whole.
  ASSIGN_OR_RETURN(Statement delivered, Statement::Prepare(db,
      "INSERT OR IGNORE INTO pack_deliveries (school_id, pack_id, version, completed_at) "
      "SELECT ?1, p.id, p.latest_version, ?2 FROM packs p "
      "JOIN pack_items i ON i.pack_id = p.id AND i.version = p.latest_version "
      "LEFT JOIN inventory inv ON inv.school_id = ?1 AND inv.lesson_id = i.lesson_id "
      "WHERE EXISTS (SELECT 1 FROM pack_targets t WHERE t.pack_id = p.id AND t.version = p.latest_version AND "
      "  ((t.target_kind = 'school' AND t.target_id = ?1) OR (t.target_kind = 'community' AND t.target_id IN "
      "  (SELECT community_id FROM community_members WHERE school_id = ?1)))) "
      "GROUP BY p.id HAVING count(*) = sum(inv.state = 'complete')"));
  RETURN_IF_ERROR(delivered.Bind(1, r.school_id).Bind(2, now).Run());
  ASSIGN_OR_RETURN(Statement play, Statement::Prepare(db,
      "INSERT OR IGNORE INTO plays (school_id, report_id, seq, lesson_id, started_at, seconds, starts) "
      "VALUES (?1,?2,?3,?4,?5,?6,?7)"));
  std::int64_t seq = 0;
  for (const auto& p : r.plays) {
    play.Reset();
    RETURN_IF_ERROR(play.Bind(1, r.school_id).Bind(2, r.report_id).Bind(3, seq++).Bind(4, p.lesson_id)
                        .Bind(5, p.started_at).Bind(6, p.seconds).Bind(7, std::int64_t{p.starts_a_play ? 1 : 0})
                        .Run());
  }
  RETURN_IF_ERROR(tx.Commit());
  return true;
}

Result<std::vector<CoverageRow>> SqliteCatalogStore::Coverage(const std::string& community_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  if (!community_id.empty()) RETURN_IF_ERROR(GetCommunity(community_id).status());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT s.id, s.name, s.county, p.id, p.latest_version, count(i.lesson_id), "
      "  sum(CASE WHEN inv.state = 'complete' THEN 1 ELSE 0 END), "
      "  sum(CASE WHEN inv.state = 'complete' THEN 0 ELSE l.total_bytes - coalesce(inv.bytes, 0) END), "
      "  coalesce(e.last_contact, 0) "
      "FROM schools s JOIN packs p "
      "JOIN pack_items i ON i.pack_id = p.id AND i.version = p.latest_version "
      "JOIN lessons l ON l.id = i.lesson_id "
      "LEFT JOIN inventory inv ON inv.school_id = s.id AND inv.lesson_id = i.lesson_id "
      "LEFT JOIN edges e ON e.school_id = s.id "
      "WHERE (?1 = '' OR s.id IN (SELECT school_id FROM community_members WHERE community_id = ?1)) AND EXISTS ("
      "  SELECT 1 FROM pack_targets t WHERE t.pack_id = p.id AND t.version = p.latest_version AND "
      "  ((t.target_kind = 'school' AND t.target_id = s.id) OR (t.target_kind = 'community' AND t.target_id IN "
      "  (SELECT community_id FROM community_members WHERE school_id = s.id)))) "
      "GROUP BY s.id, p.id ORDER BY s.id, p.id"));
  st.Bind(1, community_id);
  std::vector<CoverageRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    CoverageRow r;
    r.school_id = st.Text(0);
    r.school_name = st.Text(1);
    r.county = st.Text(2);
    r.pack_id = st.Int(3);
    r.version = st.Int(4);
    r.items = static_cast<int>(st.Int(5));
    r.items_complete = static_cast<int>(st.Int(6));
    r.bytes_missing = st.Int(7);
    r.last_contact = st.Int(8);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::vector<MonthlyRow>> SqliteCatalogStore::MonthlyPlays(const std::string& month, const std::string& county) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT coalesce(cm.community_id, ''), s.county, l.subject, l.grade, sum(p.starts), sum(p.seconds) / 60.0 "
      "FROM plays p JOIN schools s ON s.id = p.school_id JOIN lessons l ON l.id = p.lesson_id "
      "LEFT JOIN community_members cm ON cm.school_id = p.school_id "
      "WHERE strftime('%Y-%m', p.started_at, 'unixepoch') = ?1 AND (?2 = '' OR s.county = ?2) "
      "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"));
  st.Bind(1, month).Bind(2, county);
  std::vector<MonthlyRow> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.Text(0), st.Text(1), st.Text(2), st.Text(3), st.Int(4), st.Double(5)});
  }
  return out;
}

Result<std::int64_t> SqliteCatalogStore::LessonsPublishedIn(const std::string& month) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT count(*) FROM lessons WHERE strftime('%Y-%m', created_at, 'unixepoch') = ?1"));
  st.Bind(1, month);
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Result<std::int64_t> SqliteCatalogStore::PacksDeliveredIn(const std::string& month, const std::string& county) {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  // A pack counts once per school even when two of its versions were delivered there that month.
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT count(DISTINCT d.school_id || '/' || d.pack_id) FROM pack_deliveries d "
      "JOIN schools s ON s.id = d.school_id "
      "WHERE strftime('%Y-%m', d.completed_at, 'unixepoch') = ?1 AND (?2 = '' OR s.county = ?2)"));
  st.Bind(1, month).Bind(2, county);
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

Status SqliteCatalogStore::Optimize() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  RETURN_IF_ERROR(sql::Exec(db, "INSERT INTO lessons_fts(lessons_fts) VALUES('optimize')"));
  return sql::Exec(db, "PRAGMA optimize");
}

Result<std::int64_t> SqliteCatalogStore::SizeBytes() {
  ASSIGN_OR_RETURN(sqlite3 * db, Db());
  ASSIGN_OR_RETURN(Statement st, Statement::Prepare(db,
      "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()"));
  ASSIGN_OR_RETURN(bool row, st.Step());
  return row ? st.Int(0) : 0;
}

}  // namespace lm::catalog
