#include "transcoder/revision.h"

#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_info.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "common/atomic_file.h"
#include "common/xxh3.h"
#include "transcoder/detail/bundle_writer.h"

namespace lm::transcoder {

namespace fs = std::filesystem;

namespace {

// The sha1 of the file's last piece without padding, read from the file (at most one piece).
Result<lt::sha1_hash> LastPieceUnpadded(const fs::path& file, std::int64_t size, int piece) {
  const std::int64_t tail = size % piece == 0 ? std::min<std::int64_t>(size, piece) : size % piece;
  std::ifstream in(file, std::ios::binary);
  if (!in) return ErrnoStatus("open " + file.string(), errno);
  in.seekg(size - tail);
  std::string buf(static_cast<size_t>(tail), '\0');
  in.read(buf.data(), tail);
  if (in.gcount() != tail) return IoError("read " + file.string() + " failed");
  lt::hasher h(buf.data(), static_cast<int>(buf.size()));
  return h.final();
}

// Each file's digest (size, XXH3, piece hashes) from the old bundle's manifest and torrent.
Result<std::map<std::string, FileDigest>> DigestsOf(const fs::path& dir, const bundle::LessonManifest& m,
                                                    int* piece_size) {
  lt::error_code ec;
  const lt::torrent_info ti((dir / bundle::kLessonTorrentFile).string(), ec);
  if (ec) return InvalidArgument("lesson.torrent of " + m.id + " does not load: " + ec.message(), "lesson");
  const lt::file_storage& layout = ti.files();
  *piece_size = ti.piece_length();
  std::map<std::string, FileDigest> out;
  const std::string prefix = m.id + "/";
  for (const lt::file_index_t fi : layout.file_range()) {
    if (layout.pad_file_at(fi)) continue;
    const std::string path = layout.file_path(fi);
    if (path.rfind(prefix, 0) != 0) return InvalidArgument("lesson.torrent names a file outside " + m.id, "lesson");
    const std::string rel = path.substr(prefix.size());
    const bundle::BundleFile* listed = m.FindFile(rel);
    if (listed == nullptr) continue;  // lesson.json itself
    FileDigest d;
    d.path = rel;
    d.size_bytes = layout.file_size(fi);
    if (d.size_bytes != listed->size_bytes) return InvalidArgument("lesson.torrent and lesson.json disagree on " + rel, "lesson");
    d.xxh3.high = std::stoull(listed->xxh3_128.substr(0, 16), nullptr, 16);  // 32 hex digits: checked by the parser
    d.xxh3.low = std::stoull(listed->xxh3_128.substr(16), nullptr, 16);
    if (d.xxh3.Hex() != listed->xxh3_128) return InvalidArgument("bad digest of " + rel, "lesson");
    const int first = static_cast<int>(layout.file_offset(fi) / *piece_size);
    const int pieces = static_cast<int>((d.size_bytes + *piece_size - 1) / *piece_size);
    for (int k = 0; k < pieces; ++k) d.pieces.v1.push_back(ti.hash_for_piece(lt::piece_index_t(first + k)));
    ASSIGN_OR_RETURN(d.pieces.v1_last_unpadded, LastPieceUnpadded(dir / rel, d.size_bytes, *piece_size));
    d.pieces.size_bytes = d.size_bytes;
    if (pieces <= 1) {
      d.pieces.v2.push_back(layout.root(fi));
    } else {
      const auto layer = ti.piece_layer(fi);
      if (layer.size() != static_cast<std::ptrdiff_t>(pieces) * 32) {
        return InvalidArgument("lesson.torrent has no piece layer for " + rel, "lesson");
      }
      for (int k = 0; k < pieces; ++k) d.pieces.v2.emplace_back(layer.data() + 32 * k);
    }
    out[rel] = std::move(d);
  }
  return out;
}

}  // namespace

Result<BundleSummary> ReviseChapters(const fs::path& bundle_dir, const std::vector<bundle::Chapter>& chapters,
                                     const fs::path& root, const BundleOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(ValidateTorrentOptions(options));
  auto read = bundle::ReadLessonManifest(bundle_dir);
  if (!read.ok()) {
    if (read.status().code() == StatusCode::kNotFound) return Status(StatusCode::kNotFound, "no lesson bundle at " + bundle_dir.string());
    return InvalidArgument(read.status().message(), "lesson");
  }
  bundle::LessonManifest old = std::move(read).value();
  if (old.kind != bundle::BundleKind::kLesson) return InvalidArgument("a document has no chapters", "lesson");
  RETURN_IF_ERROR(bundle::ValidateChapters(chapters, old.duration_seconds));

  nlohmann::json change = nlohmann::json::array();
  for (const auto& c : chapters) change.push_back({c.start_seconds, c.end_seconds, c.title});
  const std::string id = Xxh3Of(old.id + "|chapters1|" + change.dump()).Hex();
  const fs::path out_dir = root / id;
  if (auto previous = ExistingBundle(out_dir, id)) return *previous;

  int piece_size = 0;
  ASSIGN_OR_RETURN(auto digests, DigestsOf(bundle_dir, old, &piece_size));
  ASSIGN_OR_RETURN(StagingDir staging, StagingDir::Create(out_dir));
  StagedBundle staged;
  for (const auto& f : old.files) {
    auto it = digests.find(f.path);
    if (it == digests.end()) return InvalidArgument("lesson.torrent lacks " + f.path, "lesson");
    std::error_code ec;
    fs::create_directories((staging.path() / f.path).parent_path(), ec);
    fs::create_hard_link(bundle_dir / f.path, staging.path() / f.path, ec);
    if (ec) fs::copy_file(bundle_dir / f.path, staging.path() / f.path, ec);
    if (ec) return IoError("link " + (bundle_dir / f.path).string() + ": " + ec.message());
    staged.files.push_back(it->second);
  }
  staged.manifest = old;
  staged.manifest.id = id;
  staged.manifest.chapters = chapters;
  staged.manifest.revises = old.id;
  BundleSummary summary;
  summary.id = id;
  summary.kind = old.kind;
  summary.dir = out_dir;
  summary.duration_seconds = old.duration_seconds;
  summary.renditions = old.renditions;
  BundleOptions torrent = options;
  torrent.piece_size_bytes = piece_size;
  RETURN_IF_ERROR(FinishBundle(staging.path(), staged, torrent, summary));
  RETURN_IF_ERROR(staging.Commit());
  summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return summary;
}

}  // namespace lm::transcoder
