#pragma once
// Serves the built web pages (web/dist) over HTTP: a few page paths mapped to their HTML file
// ("/admin" -> "admin.html") and every file under the root at an asset prefix ("/web/app.js"),
// with GET and HEAD, the right Content-Type, an ETag from size and mtime (If-None-Match -> 304) and
// `Cache-Control: no-cache`. No directory listing, no dot files, and no path may leave the root
// (".." and symlinks out are refused). Used by the catalog, the origin and the edge. Thread-safe;
// knows no sockets.

#include <filesystem>
#include <map>
#include <string>

#include "common/http/http_types.h"

namespace lm::http {

class StaticFiles {
 public:
  // `root`: the folder of built pages; `pages`: URL path -> file relative to `root`;
  // `asset_prefix`: where every file under `root` is served ("/web/").
  StaticFiles(std::filesystem::path root, std::map<std::string, std::string> pages,
              std::string asset_prefix = "/web/");

  bool Owns(const std::string& path) const;
  Reply Handle(const Request& request) const;

  // "text/html; charset=utf-8" for .html, "text/javascript; charset=utf-8" for .js, ...
  static std::string ContentTypeFor(const std::string& file_name);

 private:
  std::filesystem::path root_;
  std::map<std::string, std::string> pages_;
  std::string asset_prefix_;
};

}  // namespace lm::http
