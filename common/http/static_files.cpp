#include "common/http/static_files.h"

#include <sstream>

#include "common/http/file_reply.h"

namespace lm::http {

namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxFileBytes = 32u * 1024 * 1024;  // web pages and their bundles are far smaller

Reply NotFound() { return ErrorReply(404, "not_found", "no such page"); }

// A relative path of plain segments: no "", ".", "..", dot files, backslashes or NULs.
bool IsPlainRelative(const std::string& rel) {
  if (rel.empty() || rel.size() > 512) return false;
  size_t i = 0;
  while (i <= rel.size()) {
    size_t j = rel.find('/', i);
    if (j == std::string::npos) j = rel.size();
    const std::string_view seg(rel.data() + i, j - i);
    if (seg.empty() || seg.front() == '.') return false;
    for (char c : seg) {
      if (c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) return false;
    }
    i = j + 1;
  }
  return true;
}

// Whether `path` (canonical) is `root` (canonical) or lies below it.
bool IsUnder(const fs::path& path, const fs::path& root) {
  auto r = root.begin(), p = path.begin();
  for (; r != root.end(); ++r, ++p) {
    if (p == path.end() || *p != *r) return false;
  }
  return true;
}

}  // namespace

StaticFiles::StaticFiles(fs::path root, std::map<std::string, std::string> pages, std::string asset_prefix)
    : root_(std::move(root)), pages_(std::move(pages)), asset_prefix_(std::move(asset_prefix)) {}

bool StaticFiles::Owns(const std::string& path) const {
  return pages_.count(path) > 0 || path.rfind(asset_prefix_, 0) == 0;
}

std::string StaticFiles::ContentTypeFor(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json" || ext == ".map") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

Reply StaticFiles::Handle(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    Reply r = ErrorReply(405, "method_not_allowed", "pages are read with GET or HEAD");
    r.headers.push_back({"Allow", "GET, HEAD"});
    return r;
  }
  std::string rel;
  if (auto page = pages_.find(req.path); page != pages_.end()) {
    rel = page->second;
  } else if (req.path.rfind(asset_prefix_, 0) == 0) {
    rel = req.path.substr(asset_prefix_.size());
  } else {
    return NotFound();  // neither a page nor an asset (a router that sent it here is wrong)
  }
  if (!IsPlainRelative(rel)) return NotFound();
  std::error_code ec;
  const fs::path root = fs::canonical(root_, ec);
  if (ec) return ErrorReply(503, "unavailable", "the web pages are not built (web_dir " + root_.string() + ")");
  const fs::path file = fs::canonical(root / rel, ec);
  if (ec || !IsUnder(file, root) || !fs::is_regular_file(file, ec)) return NotFound();  // directories too
  const std::uintmax_t size = fs::file_size(file, ec);
  if (ec || size > kMaxFileBytes) return NotFound();
  const auto mtime = fs::last_write_time(file, ec).time_since_epoch().count();
  std::ostringstream etag;
  etag << "\"" << std::hex << size << "-" << mtime << "\"";

  auto opened = OpenReplyFile(file);
  if (!opened.ok()) return NotFound();
  opened->etag = etag.str();
  opened->content_type = ContentTypeFor(file.filename().string());
  return FileReply(req, std::move(*opened), {{"Cache-Control", "no-cache"}, {"X-Content-Type-Options", "nosniff"}});
}

}  // namespace lm::http
