#include "bundle/bundle_files.h"

#include <fstream>
#include <optional>
#include <regex>

#include "bundle/lesson_manifest.h"

namespace lm::bundle {

namespace fs = std::filesystem;
using http::Reply;
using http::Request;

namespace {

constexpr std::int64_t kMaxWholeFileBytes = 64 * 1024 * 1024;  // larger files are served by range
constexpr std::int64_t kMaxPadBytes = 16 * 1024 * 1024;  // the largest piece size a bundle uses

std::optional<std::string> ReadRange(const fs::path& path, std::int64_t offset, std::int64_t length) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(offset);
  std::string out(static_cast<size_t>(length), '\0');
  in.read(out.data(), length);
  if (in.gcount() != length) return std::nullopt;
  return out;
}

struct ByteRangeSpec {
  std::int64_t first = 0, last = 0;  // inclusive
};

// "bytes=a-b", "bytes=a-", "bytes=-n" against a file of `size` bytes. nullopt: unsatisfiable.
// Multiple ranges are not supported (the first is served).
std::optional<ByteRangeSpec> ParseRange(const std::string& header, std::int64_t size) {
  std::smatch m;
  static const std::regex kRange(R"(bytes=(\d*)-(\d*)(,.*)?)");
  if (!std::regex_match(header, m, kRange)) return std::nullopt;
  const std::string a = m[1], b = m[2];
  if (a.empty() && b.empty()) return std::nullopt;
  if (a.size() > 18 || b.size() > 18) return std::nullopt;
  ByteRangeSpec r;
  if (a.empty()) {  // the last n bytes
    const std::int64_t n = std::stoll(b);
    if (n == 0) return std::nullopt;
    r.first = std::max<std::int64_t>(0, size - n);
    r.last = size - 1;
  } else {
    r.first = std::stoll(a);
    r.last = b.empty() ? size - 1 : std::min<std::int64_t>(std::stoll(b), size - 1);
  }
  if (r.first >= size || r.first > r.last) return std::nullopt;
  return r;
}

}  // namespace

BundleFiles::BundleFiles(fs::path root, std::string base_path)
    : root_(std::move(root)), base_path_(std::move(base_path)) {}

bool BundleFiles::Owns(const std::string& path) const { return path.rfind(base_path_ + "/", 0) == 0; }

std::string BundleFiles::ContentTypeFor(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  if (ext == ".m3u8") return "application/vnd.apple.mpegurl";
  if (ext == ".mp4") return "video/mp4";
  if (ext == ".jpg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".json") return "application/json";
  if (ext == ".torrent") return "application/x-bittorrent";
  if (ext == ".pdf") return "application/pdf";
  if (ext == ".pptx") return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
  if (ext == ".docx") return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (ext == ".xlsx") return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return "application/octet-stream";
}

Reply BundleFiles::Handle(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    return http::ErrorReply(405, "method_not_allowed", "bundles are read with GET or HEAD");
  }
  std::smatch m;
  const std::string& path = req.path;
  static const std::regex shape("([0-9a-f]{32})/([A-Za-z0-9][A-Za-z0-9_.-]{0,100})");
  // BEP 47 pad files: zeros that align each file to a piece. libtorrent never asks for them;
  // clients that treat them as files (aria2) fetch them from the web seed like any other.
  static const std::regex pad_shape(R"(([0-9a-f]{32})/\.pad/([1-9][0-9]{0,7}))");
  const std::string rest = path.substr(base_path_.size() + 1);
  const bool pad = std::regex_match(rest, m, pad_shape);
  if (!pad && !std::regex_match(rest, m, shape)) return http::ErrorReply(404, "not_found", "no such bundle file");
  const std::string id = m[1], name = m[2];
  const fs::path dir = root_ / id;

  // The manifest says which files exist and what their content hash is.
  std::string etag;
  std::error_code ec;
  std::int64_t size = 0;
  if (pad) {
    size = std::stoll(name);
    if (size > kMaxPadBytes || !fs::is_regular_file(dir / "lesson.json", ec)) {
      return http::ErrorReply(404, "not_found", "no such bundle file");
    }
    etag = "\"pad-" + name + "\"";
  } else if (name != kLessonManifestFile && name != kLessonTorrentFile && name != kV1TwinTorrentFile) {
    const auto manifest = ReadLessonManifest(dir);
    if (!manifest.ok()) return http::ErrorReply(404, "not_found", "no such bundle");
    const BundleFile* file = manifest->FindFile(name);
    if (file == nullptr) return http::ErrorReply(404, "not_found", "no such file in bundle " + id);
    etag = "\"" + file->xxh3_128 + "\"";
  }
  if (!pad) {
    size = static_cast<std::int64_t>(fs::file_size(dir / name, ec));
    if (ec) return http::ErrorReply(404, "not_found", "no such bundle file");
  }

  Reply r;
  r.content_type = ContentTypeFor(name);
  r.headers.push_back({"Accept-Ranges", "bytes"});
  if (!etag.empty()) {
    r.headers.push_back({"ETag", etag});
    if (req.Header("if-none-match") == etag) {
      r.status = 304;
      return r;
    }
  }
  std::int64_t first = 0, length = size;
  const std::string range = req.Header("range");
  if (!range.empty() && (req.Header("if-range").empty() || req.Header("if-range") == etag)) {
    auto spec = ParseRange(range, size);
    if (!spec) {
      Reply bad = http::ErrorReply(416, "range_not_satisfiable", "the range is outside the file", "Range");
      bad.headers.push_back({"Content-Range", "bytes */" + std::to_string(size)});
      return bad;
    }
    first = spec->first;
    length = spec->last - spec->first + 1;
    r.status = 206;
    r.headers.push_back({"Content-Range", "bytes " + std::to_string(spec->first) + "-" + std::to_string(spec->last) +
                                              "/" + std::to_string(size)});
  }
  if (length > kMaxWholeFileBytes) {
    return http::ErrorReply(413, "too_large", "ask for this file by byte ranges of at most 64 MiB", "Range");
  }
  if (req.method == "HEAD") {
    r.headers.push_back({"Content-Length", std::to_string(length)});  // what a GET would carry
    return r;
  }
  if (pad) {
    r.body.assign(static_cast<size_t>(length), '\0');
    return r;
  }
  auto bytes = ReadRange(dir / name, first, length);
  if (!bytes) return http::ErrorReply(500, "io_error", "cannot read " + name);
  r.body = std::move(*bytes);
  return r;
}

}  // namespace lm::bundle
