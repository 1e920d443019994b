#include "catalog/detail/catalog_schema.h"

namespace lm::catalog {

// Each entry moves the schema from version i to i+1. Never edit a shipped entry; append.
extern const std::array<const char*, 7> kCatalogMigrations = {
    R"sql(
CREATE TABLE schools (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, province TEXT NOT NULL DEFAULT '', city TEXT NOT NULL DEFAULT '',
  county TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL, pupils INTEGER NOT NULL DEFAULT 0);
CREATE TABLE communities (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, model TEXT NOT NULL, level TEXT NOT NULL,
  core_school TEXT NOT NULL REFERENCES schools(id));
CREATE TABLE community_members (
  community_id TEXT NOT NULL REFERENCES communities(id) ON DELETE CASCADE,
  school_id TEXT NOT NULL REFERENCES schools(id), PRIMARY KEY (community_id, school_id));
CREATE INDEX community_members_school ON community_members(school_id);
CREATE TABLE lessons (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, teacher TEXT NOT NULL, school_id TEXT NOT NULL,
  subject TEXT NOT NULL, grade TEXT NOT NULL, description TEXT NOT NULL, tags TEXT NOT NULL, tags_json TEXT NOT NULL,
  duration_s REAL NOT NULL, info_hash_v1 TEXT NOT NULL, info_hash_v2 TEXT NOT NULL, total_bytes INTEGER NOT NULL,
  manifest TEXT NOT NULL, torrent BLOB NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX lessons_created ON lessons(created_at);
CREATE VIRTUAL TABLE lessons_fts USING fts5(title, teacher, description, tags,
  content='lessons', content_rowid='rowid', tokenize='lm_cjk');
CREATE TRIGGER lessons_ai AFTER INSERT ON lessons BEGIN
  INSERT INTO lessons_fts(rowid, title, teacher, description, tags)
  VALUES (new.rowid, new.title, new.teacher, new.description, new.tags);
END;
CREATE TRIGGER lessons_ad AFTER DELETE ON lessons BEGIN
  INSERT INTO lessons_fts(lessons_fts, rowid, title, teacher, description, tags)
  VALUES ('delete', old.rowid, old.title, old.teacher, old.description, old.tags);
END;
CREATE TABLE packs (
  id INTEGER PRIMARY KEY, title TEXT NOT NULL, spec TEXT NOT NULL, created_by TEXT NOT NULL,
  latest_version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE pack_versions (
  pack_id INTEGER NOT NULL REFERENCES packs(id), version INTEGER NOT NULL, manifest TEXT NOT NULL,
  signature TEXT NOT NULL, published_at INTEGER NOT NULL, PRIMARY KEY (pack_id, version));
CREATE TABLE pack_items (
  pack_id INTEGER NOT NULL, version INTEGER NOT NULL, lesson_id TEXT NOT NULL REFERENCES lessons(id),
  needed_by TEXT NOT NULL, pinned_until TEXT NOT NULL, PRIMARY KEY (pack_id, version, lesson_id));
CREATE TABLE pack_targets (
  pack_id INTEGER NOT NULL, version INTEGER NOT NULL, target_kind TEXT NOT NULL, target_id TEXT NOT NULL,
  PRIMARY KEY (pack_id, version, target_kind, target_id));
CREATE INDEX pack_targets_target ON pack_targets(target_kind, target_id);
CREATE TABLE tokens (
  hash TEXT PRIMARY KEY, role TEXT NOT NULL, school_id TEXT NOT NULL DEFAULT '', label TEXT NOT NULL DEFAULT '');
CREATE TABLE edges (school_id TEXT PRIMARY KEY, last_contact INTEGER NOT NULL, free_bytes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE reports (report_id TEXT NOT NULL, school_id TEXT NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (school_id, report_id));
CREATE TABLE inventory (school_id TEXT NOT NULL, lesson_id TEXT NOT NULL, state TEXT NOT NULL, bytes INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY (school_id, lesson_id));
CREATE TABLE plays (school_id TEXT NOT NULL, report_id TEXT NOT NULL, seq INTEGER NOT NULL, lesson_id TEXT NOT NULL,
  started_at INTEGER NOT NULL, seconds REAL NOT NULL, PRIMARY KEY (school_id, report_id, seq));
CREATE INDEX plays_started ON plays(started_at);
)sql",
    // 2: subject and grade in the search index, so that filtered searches narrow in the index.
    R"sql(
DROP TRIGGER lessons_ai;
DROP TRIGGER lessons_ad;
DROP TABLE lessons_fts;
CREATE VIRTUAL TABLE lessons_fts USING fts5(title, teacher, description, tags, subject, grade,
  content='lessons', content_rowid='rowid', tokenize='lm_cjk');
CREATE TRIGGER lessons_ai AFTER INSERT ON lessons BEGIN
  INSERT INTO lessons_fts(rowid, title, teacher, description, tags, subject, grade)
  VALUES (new.rowid, new.title, new.teacher, new.description, new.tags, new.subject, new.grade);
END;
CREATE TRIGGER lessons_ad AFTER DELETE ON lessons BEGIN
  INSERT INTO lessons_fts(lessons_fts, rowid, title, teacher, description, tags, subject, grade)
  VALUES ('delete', old.rowid, old.title, old.teacher, old.description, old.tags, old.subject, old.grade);
END;
INSERT INTO lessons_fts(lessons_fts) VALUES ('rebuild');
)sql",
    // 3: a classroom reports one viewing as a start event and progress events with the seconds
    // watched since the last: only starts count as plays, every event adds its seconds.
    R"sql(
ALTER TABLE plays ADD COLUMN starts INTEGER NOT NULL DEFAULT 1;
)sql",
    // 4: when a school's edge first reported a pack version whole, for the monthly report's packs
    // delivered. Versions already whole get 0: delivered before this was kept, in no month a
    // report names (rather than all in the month of the upgrade).
    R"sql(
CREATE TABLE pack_deliveries (school_id TEXT NOT NULL, pack_id INTEGER NOT NULL, version INTEGER NOT NULL,
  completed_at INTEGER NOT NULL, PRIMARY KEY (school_id, pack_id, version));
CREATE INDEX pack_deliveries_completed ON pack_deliveries(completed_at);
INSERT INTO pack_deliveries (school_id, pack_id, version, completed_at)
SELECT s.id, p.id, p.latest_version, 0 FROM schools s JOIN packs p
JOIN pack_items i ON i.pack_id = p.id AND i.version = p.latest_version
LEFT JOIN inventory inv ON inv.school_id = s.id AND inv.lesson_id = i.lesson_id
WHERE EXISTS (SELECT 1 FROM pack_targets t WHERE t.pack_id = p.id AND t.version = p.latest_version AND
  ((t.target_kind = 'school' AND t.target_id = s.id) OR (t.target_kind = 'community' AND t.target_id IN
  (SELECT community_id FROM community_members WHERE school_id = s.id))))
GROUP BY s.id, p.id HAVING count(*) = sum(inv.state = 'complete');
)sql",
    // 5: tokens get a stable id (what `token revoke` takes), their first characters to recognise
    // them by, when they were made, when they expire and when they were revoked. Tokens were
    // always kept as their SHA-256 only; those issued before keep no prefix and created_at 0.
    R"sql(
CREATE TABLE tokens_v5 (
  id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, prefix TEXT NOT NULL DEFAULT '', role TEXT NOT NULL,
  school_id TEXT NOT NULL DEFAULT '', label TEXT NOT NULL DEFAULT '', created_at INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL DEFAULT 0, revoked_at INTEGER NOT NULL DEFAULT 0);
INSERT INTO tokens_v5 (id, hash, role, school_id, label) SELECT rowid, hash, role, school_id, label FROM tokens
ORDER BY rowid;
DROP TABLE tokens;
ALTER TABLE tokens_v5 RENAME TO tokens;
)sql",
    // 6: a lesson whose new version (lesson.json "revises" it: chapters set) took its place in packs.
    R"sql(
ALTER TABLE lessons ADD COLUMN superseded_by TEXT NOT NULL DEFAULT '';
)sql",
    // 7: a superseded lesson leaves the search index: search finds the version its packs hold now
    // (the old one is still read by id). Lessons already superseded leave it here.
    R"sql(
DROP TRIGGER lessons_ad;
CREATE TRIGGER lessons_ad AFTER DELETE ON lessons WHEN old.superseded_by = '' BEGIN
  INSERT INTO lessons_fts(lessons_fts, rowid, title, teacher, description, tags, subject, grade)
  VALUES ('delete', old.rowid, old.title, old.teacher, old.description, old.tags, old.subject, old.grade);
END;
CREATE TRIGGER lessons_superseded AFTER UPDATE OF superseded_by ON lessons
WHEN old.superseded_by = '' AND new.superseded_by != '' BEGIN
  INSERT INTO lessons_fts(lessons_fts, rowid, title, teacher, description, tags, subject, grade)
  VALUES ('delete', old.rowid, old.title, old.teacher, old.description, old.tags, old.subject, old.grade);
END;
INSERT INTO lessons_fts(lessons_fts, rowid, title, teacher, description, tags, subject, grade)
SELECT 'delete', rowid, title, teacher, description, tags, subject, grade FROM lessons WHERE superseded_by != '';
)sql",
};

}  // namespace lm::catalog
