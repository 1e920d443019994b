#pragma once
// The PostgreSQL catalog store's rows read back into the model: lessons (without manifest and
// torrent) and pack versions, by the column lists below.

#include "catalog/model.h"
#include "common/postgres_db.h"

namespace lm::catalog {

// Columns 0-13 of a lesson, in the order LessonFromRow reads them.
inline constexpr char kPgLessonColumns[] =
    "id, kind, title, teacher, school_id, subject, grade, description, tags_json, duration_s, info_hash_v1, "
    "info_hash_v2, total_bytes, created_at";

Lesson LessonFromRow(const pg::Rows& r, int row);
// pack_id, version, manifest, signature, published_at.
PackVersion PackVersionFromRow(const pg::Rows& r, int row);

}  // namespace lm::catalog
