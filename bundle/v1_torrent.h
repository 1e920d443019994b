#pragma once
// A v1-only twin of a bundle's hybrid torrent, for BitTorrent clients that cannot read hybrid
// torrents: aria2 1.36 and Transmission 3.00 (Debian 12) mis-parse the v2 file tree and announce a
// wrong info hash. The twin keeps the hybrid's v1 part as it is (the same files, pad files and
// piece hashes), so its pieces are the same bytes and the origin seeds both from one copy.

#include <string>

#include "common/status.h"

namespace lm::bundle {

// The bencoded v1-only torrent; kInvalidArgument if `hybrid_torrent` is not a torrent with v1, or
// a hybrid whose v1 and v2 parts describe different files.
Result<std::string> V1OnlyTorrent(const std::string& hybrid_torrent);

}  // namespace lm::bundle
