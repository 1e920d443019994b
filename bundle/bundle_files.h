#pragma once
// Serves the files of finished bundles over HTTP, for direct playback and as the torrents' web
// seed (BEP 19): GET/HEAD /bundles/{lesson id}/{file} with single byte ranges (206/416), an ETag
// from the file's XXH3-128 in lesson.json (If-None-Match -> 304), and the right Content-Type.
// Only files listed in the bundle's lesson.json are served (and lesson.json, lesson.torrent,
// lesson.v1.torrent, and BEP 47 pad files as zeros), so no path can leave the bundle.
// Thread-safe; knows no sockets.

#include <filesystem>
#include <string>

#include "common/http/http_types.h"

namespace lm::bundle {

class BundleFiles {
 public:
  // `root` holds one directory per lesson id; `base_path` is the URL prefix ("/bundles").
  BundleFiles(std::filesystem::path root, std::string base_path = "/bundles");

  bool Owns(const std::string& path) const;
  http::Reply Handle(const http::Request& request) const;

  // "application/vnd.apple.mpegurl" for .m3u8, "video/mp4" for .mp4, ...
  static std::string ContentTypeFor(const std::string& file_name);

 private:
  std::filesystem::path root_;
  std::string base_path_;
};

}  // namespace lm::bundle
