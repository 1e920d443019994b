#pragma once
// What libtorrent itself makes of a folder on disk: the reference our streamed hashes must equal.

#include <filesystem>
#include <string>

namespace lm::testing {

struct InfoHashes {
  std::string v1;  // hex
  std::string v2;  // hex
  bool operator==(const InfoHashes&) const = default;
};

// Builds a hybrid torrent of `root` (named after its folder, skipping files named `skip`) with
// libtorrent's add_files + set_piece_hashes, reading the files from disk.
InfoHashes LibtorrentInfoHashesOf(const std::filesystem::path& root, int piece_size, const std::string& skip);

// Info hashes of a .torrent file's bytes.
InfoHashes InfoHashesOfTorrent(const std::string& torrent_bytes);

}  // namespace lm::testing
