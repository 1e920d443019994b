#pragma once
// SQL that takes a catalog database's search triggers back to what schema 6 had (before a
// superseded lesson left the search index), for the tests that rebuild an older schema: lessons'
// superseded_by can be dropped only once no trigger names it.

namespace lm::catalog {

inline constexpr char kSearchTriggersOfSchema6[] =
    "DROP TRIGGER lessons_superseded; DROP TRIGGER lessons_ad; "
    "CREATE TRIGGER lessons_ad AFTER DELETE ON lessons BEGIN "
    "INSERT INTO lessons_fts(lessons_fts, rowid, title, teacher, description, tags, subject, grade) "
    "VALUES ('delete', old.rowid, old.title, old.teacher, old.description, old.tags, old.subject, old.grade); END; ";

}  // namespace lm::catalog
