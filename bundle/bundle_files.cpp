#include "bundle/bundle_files.h"

#include <sys/stat.h>

#include "common/http/file_reply.h"
#include "common/text_checks.h"

namespace lm::bundle {

namespace fs = std::filesystem;
using http::Reply;
using http::Request;

namespace {

constexpr std::int64_t kMaxPadBytes = 16 * 1024 * 1024;  // the largest piece size a bundle uses
constexpr std::size_t kMaxCachedManifests = 1024;       // more bundles than this: start again

// A bundle file's name as lesson.json may list it: [A-Za-z0-9][A-Za-z0-9_.-]{0,100}.
bool IsFileName(std::string_view name) {
  if (name.empty() || name.size() > 101 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

Reply NoSuchFile() { return http::ErrorReply(404, "not_found", "no such bundle file"); }

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

std::shared_ptr<const LessonManifest> BundleFiles::Manifest(const std::string& id) const {
  const fs::path path = root_ / id / kLessonManifestFile;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return nullptr;
  {
    std::lock_guard lock(mu_);
    if (auto it = manifests_.find(id); it != manifests_.end() && it->second.size == st.st_size &&
                                       it->second.mtime.tv_sec == st.st_mtim.tv_sec &&
                                       it->second.mtime.tv_nsec == st.st_mtim.tv_nsec) {
      return it->second.manifest;
    }
  }
  auto parsed = ReadLessonManifest(root_ / id);
  if (!parsed.ok()) return nullptr;
  auto manifest = std::make_shared<const LessonManifest>(std::move(*parsed));
  std::lock_guard lock(mu_);
  if (manifests_.size() >= kMaxCachedManifests) manifests_.clear();
  manifests_[id] = CachedManifest{st.st_mtim, st.st_size, manifest};
  return manifest;
}

Reply BundleFiles::Handle(const Request& req) const {
  if (req.method != "GET" && req.method != "HEAD") {
    Reply r = http::ErrorReply(405, "method_not_allowed", "bundles are read with GET or HEAD");
    r.headers.push_back({"Allow", "GET, HEAD"});
    return r;
  }
  // <id>/<file>, or <id>/.pad/<n>: a BEP 47 pad file of n zeros, which align each file to a piece.
  // libtorrent never asks for them; clients that treat them as files (aria2) fetch them from the
  // web seed like any other.
  const std::string_view rest = std::string_view(req.path).substr(base_path_.size() + 1);
  if (rest.size() < 34 || rest[32] != '/' || !IsLowerHex(rest.substr(0, 32), 32)) return NoSuchFile();
  const std::string id(rest.substr(0, 32));
  const std::string name(rest.substr(33));
  const fs::path dir = root_ / id;

  if (name.rfind(".pad/", 0) == 0) {
    const std::string count = name.substr(5);
    std::error_code ec;
    if (!IsDecimal(count, 8, true) || std::stoll(count) > kMaxPadBytes ||
        !fs::is_regular_file(dir / kLessonManifestFile, ec)) {
      return NoSuchFile();
    }
    http::ReplyFile zeros;
    zeros.size = static_cast<std::uint64_t>(std::stoll(count));
    zeros.etag = "\"pad-" + count + "\"";
    zeros.content_type = "application/octet-stream";
    return http::FileReply(req, std::move(zeros));
  }
  if (!IsFileName(name)) return NoSuchFile();

  // The manifest says which files exist and what their content hash is.
  std::string etag;
  if (name != kLessonManifestFile && name != kLessonTorrentFile && name != kV1TwinTorrentFile) {
    const auto manifest = Manifest(id);
    if (manifest == nullptr) return http::ErrorReply(404, "not_found", "no such bundle");
    const BundleFile* file = manifest->FindFile(name);
    if (file == nullptr) return http::ErrorReply(404, "not_found", "no such file in bundle " + id);
    etag = "\"" + file->xxh3_128 + "\"";
  }
  auto file = http::OpenReplyFile(dir / name);
  if (!file.ok()) return file.status().code() == StatusCode::kNotFound ? NoSuchFile() : http::ErrorReply(file.status());
  file->etag = std::move(etag);
  file->content_type = ContentTypeFor(name);
  return http::FileReply(req, std::move(*file));
}

}  // namespace lm::bundle
