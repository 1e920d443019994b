#pragma once
// The order in which a school's box fetches the lessons it still lacks: the nearest needed-by
// date first (lessons without one last), then the order they were published. Boxes of one LAN
// group (the schools of one county LAN, `lan_group`) take the lessons of one date each in an
// order of their own, the same at every pass, so that they fetch different lessons over their
// slow WAN links first and trade them over the LAN, rather than all fetching the same few at
// once (the network lab measured each box's WAN traffic halved; tests/netlab/README.md).

#include <string>
#include <vector>

#include "edge/edge_store.h"

namespace lm::edge {

// Sorts `wanted` into download order. `school_id` and `lan_group` are this box's; with an empty
// lan_group (or no sharing) lessons of one date keep their published order.
void SortForDownload(std::vector<EdgeLesson*>& wanted, const std::string& school_id, const std::string& lan_group);

}  // namespace lm::edge
