#pragma once
// A .torrent file and the info hashes that name it: what the origin seeds and registers, what the
// catalog stores and the signed pack manifest names, what the edge checks before adding a lesson.
// libtorrent stays inside the .cpp. Pure functions; reentrant.

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace lm::bundle {

struct TorrentFile {
  std::string bytes;         // bencoded .torrent
  std::string info_hash_v1;  // 40 hex digits; "" for a v2-only torrent
  std::string info_hash_v2;  // 64 hex digits; "" for a v1-only torrent
  std::vector<std::string> web_seeds;  // BEP 19 base URLs (url-list): base + name + "/" + path is a file
};

// kInvalidArgument if `bytes` is not a torrent libtorrent can load, or one with neither v1 piece
// hashes nor a v2 file tree.
Result<TorrentFile> ParseTorrent(std::string bytes);
// Reads and parses a .torrent file (at most 16 MiB).
Result<TorrentFile> ReadTorrentFile(const std::filesystem::path& path);

}  // namespace lm::bundle
