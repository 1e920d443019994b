#include "edge/download_order.h"

#include <algorithm>

#include "common/xxh3.h"

namespace lm::edge {

void SortForDownload(std::vector<EdgeLesson*>& wanted, const std::string& school_id, const std::string& lan_group) {
  std::sort(wanted.begin(), wanted.end(), [](const EdgeLesson* a, const EdgeLesson* b) {
    if (a->needed_by.empty() != b->needed_by.empty()) return !a->needed_by.empty();
    if (a->needed_by != b->needed_by) return a->needed_by < b->needed_by;
    if (a->added_at != b->added_at) return a->added_at < b->added_at;
    return a->id < b->id;
  });
  if (lan_group.empty()) return;
  // Within a date, by a hash of the school and the lesson: a box's own order, in which a lesson
  // arriving or leaving moves no other.
  auto key = [&](const EdgeLesson* l) { return Xxh3Of(school_id + "/" + l->id).Hex(); };
  for (auto first = wanted.begin(); first != wanted.end();) {
    const auto last =
        std::find_if(first, wanted.end(), [&](const EdgeLesson* l) { return l->needed_by != (*first)->needed_by; });
    std::stable_sort(first, last, [&](const EdgeLesson* a, const EdgeLesson* b) { return key(a) < key(b); });
    first = last;
  }
}

}  // namespace lm::edge
