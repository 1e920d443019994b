#pragma once
// The networks an edge's bandwidth schedule leaves uncapped (key lan_networks), written as CIDR:
// each becomes the first and last address libtorrent's peer class filter takes. Pure function.

#include <string>
#include <utility>

#include "common/status.h"

namespace lm::edge {

// "10.0.0.0/8" -> its first and last address; kInvalidArgument (field "lan_networks") otherwise.
Result<std::pair<std::string, std::string>> NetworkRange(const std::string& cidr);

}  // namespace lm::edge
