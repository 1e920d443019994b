#include "edge/download_order.h"

#include <algorithm>
#include <unordered_map>

#include "common/xxh3.h"

namespace lm::edge {

void SortForDownload(std::vector<EdgeLesson*>& wanted, const std::string& school_id, const std::string& lan_group) {
  // With a LAN group, lessons of one date go by a hash of the school and the lesson: a box's own
  // order, in which a lesson arriving or leaving moves no other. Hashed once, not per comparison.
  std::unordered_map<const EdgeLesson*, std::string> own_order;
  if (!lan_group.empty()) {
    for (const EdgeLesson* l : wanted) own_order.emplace(l, Xxh3Of(school_id + "/" + l->id).Hex());
  }
  std::sort(wanted.begin(), wanted.end(), [&](const EdgeLesson* a, const EdgeLesson* b) {
    if (a->needed_by.empty() != b->needed_by.empty()) return !a->needed_by.empty();
    if (a->needed_by != b->needed_by) return a->needed_by < b->needed_by;
    if (!own_order.empty()) {
      const std::string& ka = own_order.at(a);
      const std::string& kb = own_order.at(b);
      if (ka != kb) return ka < kb;
    }
    if (a->added_at != b->added_at) return a->added_at < b->added_at;
    return a->id < b->id;
  });
}

}  // namespace lm::edge
