#pragma once
// Serves the files of finished bundles over HTTP, for direct playback and as the torrents' web
// seed (BEP 19): GET/HEAD /bundles/{lesson id}/{file} with byte ranges and conditional requests as
// common/http/file_reply.h does them, an ETag from the file's XXH3-128 in lesson.json, and the right
// Content-Type; the bytes go out by sendfile. Only files listed in the bundle's lesson.json are
// served (and lesson.json, lesson.torrent, lesson.v1.torrent, and BEP 47 pad files as zeros), so no
// path can leave the bundle. Each bundle's parsed lesson.json is kept while the file is unchanged,
// so a request costs a stat, not a parse. Thread-safe; knows no sockets.

#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "bundle/lesson_manifest.h"
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
  struct CachedManifest {
    std::timespec mtime{};
    std::int64_t size = 0;
    std::shared_ptr<const LessonManifest> manifest;
  };
  // The bundle's lesson.json, parsed once per version of the file; null if it has none or a bad one.
  std::shared_ptr<const LessonManifest> Manifest(const std::string& id) const;

  std::filesystem::path root_;
  std::string base_path_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, CachedManifest> manifests_;  // by lesson id
};

}  // namespace lm::bundle
