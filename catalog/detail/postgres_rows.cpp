#include "catalog/detail/postgres_rows.h"

#include "catalog/detail/stored_text.h"

namespace lm::catalog {

Lesson LessonFromRow(const pg::Rows& r, int i) {
  Lesson l;
  l.id = r.Text(i, 0);
  l.kind = r.Text(i, 1);
  l.title = r.Text(i, 2);
  l.teacher = r.Text(i, 3);
  l.school_id = r.Text(i, 4);
  l.subject = r.Text(i, 5);
  l.grade = r.Text(i, 6);
  l.description = r.Text(i, 7);
  l.tags = TagsFromJson(r.Text(i, 8));
  l.duration_s = r.Double(i, 9);
  l.info_hash_v1 = r.Text(i, 10);
  l.info_hash_v2 = r.Text(i, 11);
  l.total_bytes = r.Int(i, 12);
  l.created_at = r.Int(i, 13);
  return l;
}

PackVersion PackVersionFromRow(const pg::Rows& r, int i) {
  return PackVersion{r.Int(i, 0), r.Int(i, 1), r.Text(i, 2), r.Text(i, 3), r.Int(i, 4)};
}

}  // namespace lm::catalog
