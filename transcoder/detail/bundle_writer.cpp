#include "transcoder/detail/bundle_writer.h"

#include <chrono>

#include "transcoder/detail/hls_playlist.h"
#include "transcoder/detail/torrent_maker.h"

namespace lm::transcoder {

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// Web seeds for a multi-file torrent name a folder; BEP 19 appends the torrent name to URLs that
// end in '/'.
std::vector<std::string> WebSeedsFor(const std::vector<std::string>& urls) {
  std::vector<std::string> out;
  for (auto u : urls) {
    if (u.back() != '/') u += '/';
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

Status StageRenditions(const fs::path& dir, std::vector<RenditionOutput>& renditions, std::optional<FileDigest> poster,
                       int piece, StagedBundle& staged, BundleSummary& summary) {
  for (auto& r : renditions) {
    FillBandwidth(r.segments, r.summary);
    staged.files.push_back(std::move(r.media));
    ASSIGN_OR_RETURN(FileDigest pl,
                     WriteHashedFile(dir, r.summary.playlist, MediaPlaylist(r.summary.file, r.init, r.segments), piece));
    staged.files.push_back(std::move(pl));
    summary.renditions.push_back(r.summary);
  }
  ASSIGN_OR_RETURN(FileDigest master, WriteHashedFile(dir, "master.m3u8", MasterPlaylist(summary.renditions), piece));
  staged.files.insert(staged.files.begin(), std::move(master));
  bundle::LessonManifest& manifest = staged.manifest;
  manifest.master_playlist = "master.m3u8";
  if (poster) {
    manifest.poster = poster->path;
    staged.files.push_back(std::move(*poster));
  }
  manifest.renditions = summary.renditions;
  return Status::Ok();
}

Status ValidateTorrentOptions(const BundleOptions& o) {
  const int p = o.piece_size_bytes;
  if (p < 16 * 1024 || (p & (p - 1)) != 0) {
    return InvalidArgument("piece size must be a power of two of at least 16 KiB", "piece_size");
  }
  for (const auto& url : o.web_seeds) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
      return InvalidArgument("web seed must be an http(s) URL: " + url, "web_seed");
    }
  }
  for (const auto& url : o.trackers) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0 && url.rfind("udp://", 0) != 0) {
      return InvalidArgument("tracker must be an http(s) or udp URL: " + url, "tracker");
    }
  }
  return Status::Ok();
}

// Adds lesson.json and lesson.torrent to the staged bundle and fills the summary's torrent fields.
Status FinishBundle(const fs::path& dir, StagedBundle& staged, const BundleOptions& options,
                    BundleSummary& summary) {
  const auto t0 = Clock::now();
  bundle::LessonManifest& manifest = staged.manifest;
  manifest.files.clear();
  for (const auto& f : staged.files) manifest.files.push_back({f.path, f.size_bytes, f.xxh3.Hex()});
  ASSIGN_OR_RETURN(FileDigest manifest_digest,
                   WriteHashedFile(dir, bundle::kLessonManifestFile, bundle::WriteLessonManifest(manifest),
                                   options.piece_size_bytes));
  std::vector<FileDigest> torrent_files = staged.files;
  torrent_files.push_back(std::move(manifest_digest));
  TorrentSpec spec;
  spec.name = manifest.id;
  spec.piece_size_bytes = options.piece_size_bytes;
  spec.web_seeds = WebSeedsFor(options.web_seeds);
  spec.trackers = options.trackers;
  ASSIGN_OR_RETURN(bundle::TorrentFile torrent, MakeTorrent(spec, torrent_files));
  ASSIGN_OR_RETURN(FileDigest torrent_digest, WriteHashedFile(dir, bundle::kLessonTorrentFile, torrent.bytes, options.piece_size_bytes));
  summary.info_hash_v1 = torrent.info_hash_v1;
  summary.info_hash_v2 = torrent.info_hash_v2;
  summary.total_bytes = 0;
  summary.hash_seconds += SecondsSince(t0);
  for (const auto& f : torrent_files) {
    summary.total_bytes += f.size_bytes;
    summary.hash_seconds += f.hash_seconds;
  }
  summary.total_bytes += torrent_digest.size_bytes;
  return Status::Ok();
}

// The bundle with lesson id `id` if `dir` already holds it whole (a readable lesson.json with that
// id and a readable lesson.torrent), else nullopt.
std::optional<BundleSummary> ExistingBundle(const fs::path& dir, const std::string& id) {
  auto manifest = bundle::ReadLessonManifest(dir);
  if (!manifest.ok() || manifest->id != id) return std::nullopt;
  auto torrent = bundle::ReadTorrentFile(dir / bundle::kLessonTorrentFile);
  if (!torrent.ok()) return std::nullopt;
  std::error_code ec;
  const auto manifest_bytes = fs::file_size(dir / bundle::kLessonManifestFile, ec);
  if (ec) return std::nullopt;
  BundleSummary s;
  s.id = id;
  s.kind = manifest->kind;
  s.dir = dir;
  s.duration_seconds = manifest->duration_seconds;
  s.renditions = manifest->renditions;
  s.total_bytes = manifest->TotalBytes() + static_cast<std::int64_t>(torrent->bytes.size()) +
                  static_cast<std::int64_t>(manifest_bytes);
  s.info_hash_v1 = torrent->info_hash_v1;
  s.info_hash_v2 = torrent->info_hash_v2;
  s.reused = true;
  return s;
}

}  // namespace lm::transcoder
