#pragma once
// Builds a bundle's lesson.torrent: a hybrid v1+v2 torrent named after the lesson id, every file
// padded to a piece boundary, from piece hashes computed while the files were written.

#include <string>
#include <vector>

#include "bundle/torrent_file.h"
#include "common/status.h"
#include "transcoder/detail/hashing_file.h"

namespace lm::transcoder {

struct TorrentSpec {
  std::string name;  // the torrent's root folder: the lesson id
  int piece_size_bytes = 256 * 1024;
  std::vector<std::string> web_seeds;
  std::vector<std::string> trackers;
};

Result<bundle::TorrentFile> MakeTorrent(const TorrentSpec& spec, const std::vector<FileDigest>& files);

}  // namespace lm::transcoder
