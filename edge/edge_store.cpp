#include "edge/edge_store.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/cjk_tokenizer.h"

namespace lm::edge {

using nlohmann::json;
using sql::Statement;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS packs (
  pack_id INTEGER PRIMARY KEY, version INTEGER NOT NULL, title TEXT NOT NULL,
  manifest TEXT NOT NULL, signature TEXT NOT NULL, accepted_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pack_items (
  pack_id INTEGER NOT NULL, lesson_id TEXT NOT NULL, needed_by TEXT NOT NULL, pinned_until TEXT NOT NULL,
  position INTEGER NOT NULL, PRIMARY KEY (pack_id, lesson_id));
CREATE INDEX IF NOT EXISTS pack_items_lesson ON pack_items(lesson_id);
CREATE TABLE IF NOT EXISTS lessons (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, info_hash_v1 TEXT NOT NULL,
  info_hash_v2 TEXT NOT NULL, torrent BLOB NOT NULL, total_bytes INTEGER NOT NULL,
  state TEXT NOT NULL, error TEXT NOT NULL DEFAULT '', added_at INTEGER NOT NULL,
  ready_at INTEGER NOT NULL DEFAULT 0, last_played_at INTEGER NOT NULL DEFAULT 0,
  teacher TEXT NOT NULL DEFAULT '', subject TEXT NOT NULL DEFAULT '', grade TEXT NOT NULL DEFAULT '',
  duration_s REAL NOT NULL DEFAULT 0, renditions TEXT NOT NULL DEFAULT '[]',
  pinned_until TEXT NOT NULL DEFAULT '');
CREATE VIRTUAL TABLE IF NOT EXISTS lesson_search USING fts5(
  lesson_id UNINDEXED, title, teacher, subject, grade, tokenize='lm_cjk');
CREATE TABLE IF NOT EXISTS plays (
  event_id TEXT PRIMARY KEY, lesson_id TEXT NOT NULL, rendition TEXT NOT NULL, seconds REAL NOT NULL,
  started_at INTEGER NOT NULL, report_id TEXT, kind TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS facts (key TEXT PRIMARY KEY, value TEXT NOT NULL);
)sql";

// Without the torrent (a few KB to a few hundred per lesson): EdgeStore::Torrent reads it.
constexpr char kLessonColumns[] =
    "id, kind, title, info_hash_v1, info_hash_v2, total_bytes, state, error, added_at, ready_at, "
    "last_played_at, teacher, subject, grade, duration_s, renditions, "
    "(SELECT min(needed_by) FROM pack_items WHERE lesson_id = lessons.id), "
    "lessons.pinned_until, "
    "(SELECT group_concat(pack_id) FROM pack_items WHERE lesson_id = lessons.id)";

LessonState StateFrom(const std::string& s) {
  if (s == "downloading") return LessonState::kDownloading;
  if (s == "verifying") return LessonState::kVerifying;
  if (s == "ready") return LessonState::kReady;
  if (s == "waiting") return LessonState::kWaiting;
  return LessonState::kQueued;
}

EdgeLesson LessonFromRow(const Statement& st) {
  EdgeLesson l;
  l.id = st.Text(0);
  l.kind = st.Text(1);
  l.title = st.Text(2);
  l.info_hash_v1 = st.Text(3);
  l.info_hash_v2 = st.Text(4);
  l.total_bytes = st.Int(5);
  l.state = StateFrom(st.Text(6));
  l.error = st.Text(7);
  l.added_at = st.Int(8);
  l.ready_at = st.Int(9);
  l.last_played_at = st.Int(10);
  l.teacher = st.Text(11);
  l.subject = st.Text(12);
  l.grade = st.Text(13);
  l.duration_s = st.Double(14);
  const json renditions = json::parse(st.Text(15), nullptr, false);
  if (renditions.is_array()) {
    for (const auto& r : renditions) {
      if (r.is_string()) l.renditions.push_back(r.get<std::string>());
    }
  }
  l.needed_by = st.IsNull(16) ? "" : st.Text(16);
  l.pinned_until = st.IsNull(17) ? "" : st.Text(17);
  if (!st.IsNull(18)) {
    const std::string packs = st.Text(18);
    size_t start = 0;
    while (start < packs.size()) {
      const size_t comma = std::min(packs.find(',', start), packs.size());
      l.packs.push_back(std::stoll(packs.substr(start, comma - start)));
      start = comma + 1;
    }
    std::sort(l.packs.begin(), l.packs.end());
  }
  return l;
}

}  // namespace

const char* LessonStateName(LessonState s) {
  switch (s) {
    case LessonState::kQueued: return "queued";
    case LessonState::kDownloading: return "downloading";
    case LessonState::kVerifying: return "verifying";
    case LessonState::kReady: return "ready";
    case LessonState::kWaiting: return "waiting";
  }
  return "queued";
}

EdgeStore::EdgeStore(const std::string& path) : connections_(path, [](sqlite3* db) { return RegisterCjkTokenizer(db); }) {}

Result<std::unique_ptr<EdgeStore>> EdgeStore::Open(const std::string& path) {
  std::unique_ptr<EdgeStore> store(new EdgeStore(path));
  RETURN_IF_ERROR(store->Migrate());
  return store;
}

Status EdgeStore::Migrate() {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  RETURN_IF_ERROR(sql::Exec(db, kSchema));
  return tx.Commit();
}

Result<std::vector<std::string>> EdgeStore::ApplyPack(const bundle::SignedPackManifest& signed_manifest,
                                                      const bundle::PackManifest& m,
                                                      const std::map<std::string, std::string>& torrents,
                                                      std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  {
    ASSIGN_OR_RETURN(auto st, connections_.Prepared(
        "INSERT INTO packs (pack_id, version, title, manifest, signature, accepted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT(pack_id) DO UPDATE SET version = ?2, title = ?3, manifest = ?4, signature = ?5, accepted_at = ?6"));
    RETURN_IF_ERROR(st->Bind(1, m.pack_id).Bind(2, m.version).Bind(3, m.title).Bind(4, signed_manifest.manifest)
                        .Bind(5, signed_manifest.signature).Bind(6, now).Run());
  }
  {
    ASSIGN_OR_RETURN(auto del, connections_.Prepared("DELETE FROM pack_items WHERE pack_id = ?1"));
    RETURN_IF_ERROR(del->Bind(1, m.pack_id).Run());
  }
  std::vector<std::string> added;
  for (size_t i = 0; i < m.items.size(); ++i) {
    const bundle::PackItem& item = m.items[i];
    ASSIGN_OR_RETURN(auto ins, connections_.Prepared(
        "INSERT OR REPLACE INTO pack_items (pack_id, lesson_id, needed_by, pinned_until, position) "
        "VALUES (?1, ?2, ?3, ?4, ?5)"));
    RETURN_IF_ERROR(ins->Bind(1, m.pack_id).Bind(2, item.lesson_id).Bind(3, item.needed_by)
                        .Bind(4, item.pinned_until).Bind(5, static_cast<std::int64_t>(i)).Run());
    // A pin outlives the pack that set it: a dropped lesson stays until its pinned-until date.
    ASSIGN_OR_RETURN(auto pin, connections_.Prepared(
        "UPDATE lessons SET pinned_until = ?2 WHERE id = ?1 AND pinned_until < ?2"));
    RETURN_IF_ERROR(pin->Bind(1, item.lesson_id).Bind(2, item.pinned_until).Run());
    auto torrent = torrents.find(item.lesson_id);
    if (torrent == torrents.end()) continue;  // already held: kept as it is
    ASSIGN_OR_RETURN(auto lesson, connections_.Prepared(
        "INSERT INTO lessons (id, kind, title, info_hash_v1, info_hash_v2, torrent, total_bytes, state, added_at, "
        "pinned_until) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9) ON CONFLICT(id) DO NOTHING"));
    RETURN_IF_ERROR(lesson->Bind(1, item.lesson_id).Bind(2, item.kind).Bind(3, item.title).Bind(4, item.info_hash_v1)
                        .Bind(5, item.info_hash_v2).BindBlob(6, torrent->second).Bind(7, item.total_bytes)
                        .Bind(8, now).Bind(9, item.pinned_until).Run());
    if (sqlite3_changes(db) > 0) added.push_back(item.lesson_id);
  }
  RETURN_IF_ERROR(tx.Commit());
  return added;
}

Result<std::vector<AcceptedPack>> EdgeStore::Packs() {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(
      "SELECT pack_id, version, title, manifest, signature FROM packs ORDER BY pack_id"));
  std::vector<AcceptedPack> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back({st->Int(0), st->Int(1), st->Text(2), {st->Text(3), st->Text(4)}});
  }
  return out;
}

Result<std::map<std::int64_t, std::int64_t>> EdgeStore::PackVersions() {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("SELECT pack_id, version FROM packs"));
  std::map<std::int64_t, std::int64_t> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out[st->Int(0)] = st->Int(1);
  }
  return out;
}

Result<std::vector<EdgeLesson>> EdgeStore::Lessons() {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kLessonColumns + " FROM lessons"));
  std::vector<EdgeLesson> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(LessonFromRow(*st));
  }
  return out;
}

Result<std::set<std::string>> EdgeStore::LessonIds() {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("SELECT id FROM lessons"));
  std::set<std::string> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ids.insert(st->Text(0));
  }
  return ids;
}

Result<EdgeLesson> EdgeStore::Lesson(const std::string& id) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kLessonColumns +
                                                  " FROM lessons WHERE id = ?1"));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status(StatusCode::kNotFound, "no lesson " + id + " on this edge");
  return LessonFromRow(*st);
}

Result<std::string> EdgeStore::Torrent(const std::string& id) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("SELECT torrent FROM lessons WHERE id = ?1"));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status(StatusCode::kNotFound, "no lesson " + id + " on this edge");
  return st->Text(0);
}

Status EdgeStore::SetState(const std::string& id, LessonState state, const std::string& error, std::int64_t now) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(
      "UPDATE lessons SET state = ?2, error = ?3, ready_at = CASE WHEN ?2 = 'ready' THEN ?4 ELSE ready_at END "
      "WHERE id = ?1"));
  return st->Bind(1, id).Bind(2, std::string_view(LessonStateName(state))).Bind(3, error).Bind(4, now).Run();
}

Status EdgeStore::SetMetadata(const std::string& id, const bundle::LessonManifest& m,
                              const std::vector<std::string>& renditions_held) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  {
    ASSIGN_OR_RETURN(auto st, connections_.Prepared(
        "UPDATE lessons SET title = ?2, teacher = ?3, subject = ?4, grade = ?5, duration_s = ?6, renditions = ?7 "
        "WHERE id = ?1"));
    RETURN_IF_ERROR(st->Bind(1, id).Bind(2, m.metadata.title).Bind(3, m.metadata.teacher)
                        .Bind(4, m.metadata.subject).Bind(5, m.metadata.grade).Bind(6, m.duration_seconds)
                        .Bind(7, json(renditions_held).dump()).Run());
  }
  {
    ASSIGN_OR_RETURN(auto del, connections_.Prepared("DELETE FROM lesson_search WHERE lesson_id = ?1"));
    RETURN_IF_ERROR(del->Bind(1, id).Run());
    ASSIGN_OR_RETURN(auto ins, connections_.Prepared(
        "INSERT INTO lesson_search (lesson_id, title, teacher, subject, grade) VALUES (?1, ?2, ?3, ?4, ?5)"));
    RETURN_IF_ERROR(ins->Bind(1, id).Bind(2, m.metadata.title).Bind(3, m.metadata.teacher)
                        .Bind(4, m.metadata.subject).Bind(5, m.metadata.grade).Run());
  }
  return tx.Commit();
}

Status EdgeStore::MarkPlayed(const std::string& id, std::int64_t now) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("UPDATE lessons SET last_played_at = ?2 WHERE id = ?1"));
  return st->Bind(1, id).Bind(2, now).Run();
}

Status EdgeStore::Remove(const std::string& id) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  ASSIGN_OR_RETURN(auto del, connections_.Prepared("DELETE FROM lessons WHERE id = ?1"));
  RETURN_IF_ERROR(del->Bind(1, id).Run());
  ASSIGN_OR_RETURN(auto unindex, connections_.Prepared("DELETE FROM lesson_search WHERE lesson_id = ?1"));
  RETURN_IF_ERROR(unindex->Bind(1, id).Run());
  return tx.Commit();
}

Result<std::vector<std::string>> EdgeStore::Search(const Query& q) {
  const std::string match = q.text.empty() ? std::string() : FtsMatchExpression(q.text);
  if (!q.text.empty() && match.empty()) return std::vector<std::string>();  // nothing searchable typed
  // Two statements, so that the full-text index is only asked when there is text to match.
  std::string sql = "SELECT l.id FROM lessons l WHERE l.state = 'ready' ";
  if (!match.empty()) sql += "AND l.id IN (SELECT lesson_id FROM lesson_search WHERE lesson_search MATCH ?1) ";
  sql +=
      "AND (?2 = '' OR l.subject = ?2) AND (?3 = '' OR l.grade = ?3) "
      "AND (?4 = 0 OR l.id IN (SELECT lesson_id FROM pack_items WHERE pack_id = ?4)) "
      "ORDER BY l.ready_at DESC, l.title";
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(sql));
  if (!match.empty()) st->Bind(1, match);
  st->Bind(2, q.subject).Bind(3, q.grade).Bind(4, q.pack);
  std::vector<std::string> ids;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ids.push_back(st->Text(0));
  }
  return ids;
}

Result<bool> EdgeStore::AddPlay(const PlayEvent& e) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(
      "INSERT INTO plays (event_id, lesson_id, rendition, seconds, started_at, kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
      "ON CONFLICT(event_id) DO NOTHING"));
  RETURN_IF_ERROR(st->Bind(1, e.event_id).Bind(2, e.lesson_id).Bind(3, e.rendition).Bind(4, e.seconds)
                      .Bind(5, e.started_at).Bind(6, e.kind).Run());
  return sqlite3_changes(db) > 0;
}

Result<std::pair<std::string, std::vector<PlayEvent>>> EdgeStore::PlaysToReport(const std::string& new_report_id) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  std::string report_id;
  {
    ASSIGN_OR_RETURN(auto open, connections_.Prepared(
        "SELECT report_id FROM plays WHERE report_id IS NOT NULL ORDER BY rowid LIMIT 1"));
    ASSIGN_OR_RETURN(bool row, open->Step());
    if (row) report_id = open->Text(0);
  }
  if (report_id.empty()) {
    report_id = new_report_id;
    ASSIGN_OR_RETURN(auto assign, connections_.Prepared("UPDATE plays SET report_id = ?1 WHERE report_id IS NULL"));
    RETURN_IF_ERROR(assign->Bind(1, report_id).Run());
  }
  std::vector<PlayEvent> events;
  {
    ASSIGN_OR_RETURN(auto st, connections_.Prepared(
        "SELECT event_id, lesson_id, rendition, seconds, started_at, kind FROM plays WHERE report_id = ?1 "
        "ORDER BY rowid"));
    st->Bind(1, report_id);
    for (;;) {
      ASSIGN_OR_RETURN(bool row, st->Step());
      if (!row) break;
      events.push_back({st->Text(0), st->Text(1), st->Text(2), st->Double(3), st->Int(4), st->Text(5)});
    }
  }
  RETURN_IF_ERROR(tx.Commit());
  return std::make_pair(report_id, std::move(events));
}

Status EdgeStore::AckPlays(const std::string& report_id) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("DELETE FROM plays WHERE report_id = ?1"));
  return st->Bind(1, report_id).Run();
}

Result<std::int64_t> EdgeStore::PendingPlays() {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("SELECT count(*) FROM plays"));
  ASSIGN_OR_RETURN(bool row, st->Step());
  return row ? st->Int(0) : 0;
}

Result<std::optional<std::string>> EdgeStore::Get(const std::string& key) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("SELECT value FROM facts WHERE key = ?1"));
  st->Bind(1, key);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(st->Text(0));
}

Status EdgeStore::Put(const std::string& key, const std::string& value) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(
      "INSERT INTO facts (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2"));
  return st->Bind(1, key).Bind(2, value).Run();
}

}  // namespace lm::edge
