#include "transcoder/bundle.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <string_view>

#include "bundle/lesson_manifest.h"
#include "common/atomic_file.h"
#include "common/xxh3.h"
#include "transcoder/detail/document_type.h"
#include "transcoder/detail/hashing_file.h"
#include "transcoder/detail/hls_playlist.h"
#include "transcoder/detail/media_pipeline.h"
#include "transcoder/detail/media_source.h"
#include "transcoder/detail/torrent_maker.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

namespace fs = std::filesystem;

namespace {

constexpr char kDocumentSettings[] = "lm-doc1";

using Clock = std::chrono::steady_clock;

// A bundle being built: its manifest, and the digests of the files written so far (with the
// piece hashes the torrent is made from).
struct StagedBundle {
  bundle::LessonManifest manifest;
  std::vector<FileDigest> files;
};
double SecondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Result<Xxh3Digest> HashSource(const fs::path& input, std::int64_t* size) {
  std::ifstream in(input, std::ios::binary);
  if (!in) return ErrnoStatus("open " + input.string(), errno);
  Xxh3Hasher h;
  std::vector<char> buf(1 << 20);
  *size = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto n = in.gcount();
    if (n <= 0) break;
    h.Update(buf.data(), static_cast<size_t>(n));
    *size += n;
  }
  if (in.bad()) return IoError("read " + input.string() + " failed");
  return h.Digest();
}

Status ValidateOptions(const BundleOptions& o) {
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
  // x264's names: an unknown one would fail only when the first encoder opens, as an internal
  // error, after x264 printed a line of its own.
  static constexpr std::string_view kX264Presets[] = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                      "medium",    "slow",      "slower",   "veryslow", "placebo"};
  if (!o.x264_preset.empty() &&
      std::find(std::begin(kX264Presets), std::end(kX264Presets), o.x264_preset) == std::end(kX264Presets)) {
    return InvalidArgument("unknown x264 preset " + o.x264_preset + " (ultrafast ... placebo)", "preset");
  }
  return Status::Ok();
}

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

Status MakeDocument(const fs::path& input, const DocumentType& type, const fs::path& dir, StagedBundle& staged,
                    int piece_size) {
  const std::string name = "document." + type.extension;
  ASSIGN_OR_RETURN(auto out, HashingFile::Create(dir, name, piece_size));
  std::ifstream in(input, std::ios::binary);
  if (!in) return ErrnoStatus("open " + input.string(), errno);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) RETURN_IF_ERROR(out->Write(buf.data(), static_cast<size_t>(in.gcount())));
  }
  if (in.bad()) return IoError("read " + input.string() + " failed");
  ASSIGN_OR_RETURN(FileDigest d, out->Close());
  staged.manifest.document = name;
  staged.manifest.document_type = type.mime;
  staged.manifest.source.container = type.mime;
  staged.files.push_back(std::move(d));
  return Status::Ok();
}

Status MakeLesson(MediaSource& source, const Ladder& ladder, const fs::path& dir, const BundleOptions& options,
                  const ProgressFn& progress, const std::atomic<bool>* cancel, Clock::time_point started,
                  StagedBundle& staged, BundleSummary& summary) {
  const SourceInfo& info = source.info();
  MediaPipelineParams params;
  params.ladder = &ladder;
  params.dir = dir;
  params.piece_size_bytes = options.piece_size_bytes;
  params.encoder_threads = options.encoder_threads;
  params.progress = &progress;
  params.cancel = cancel;
  params.started = started;
  ASSIGN_OR_RETURN(MediaPipelineResult media, RunMediaPipeline(source, params));

  const int piece = options.piece_size_bytes;
  for (auto& r : media.renditions) {
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
  if (media.poster) {
    manifest.poster = media.poster->path;
    staged.files.push_back(std::move(*media.poster));
  }
  summary.duration_seconds = media.duration_seconds;
  manifest.duration_seconds = media.duration_seconds;
  manifest.renditions = summary.renditions;
  manifest.settings = ladder.Fingerprint();
  manifest.source.container = info.container;
  manifest.source.video_codec = info.video_codec;
  manifest.source.width = info.display_width;
  manifest.source.height = info.display_height;
  manifest.source.rotation = info.rotation_degrees;
  manifest.source.interlaced = info.interlaced;
  manifest.source.audio_codec = info.audio_codec;
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

// Where the bundle goes, once its id is known.
using OutDirFor = std::function<fs::path(const std::string& id)>;

Result<BundleSummary> BuildBundle(const fs::path& input, const OutDirFor& out_dir_for, const BundleOptions& options,
                                  const ProgressFn& progress, const std::atomic<bool>* cancel) {
  const auto started = Clock::now();
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(Ladder ladder, LadderByName(options.ladder));
  if (!options.x264_preset.empty()) ladder.x264_preset = options.x264_preset;

  struct stat sb {};
  if (::stat(input.c_str(), &sb) != 0) return ErrnoStatus("input " + input.string(), errno);
  if (!S_ISREG(sb.st_mode)) return InvalidArgument("input is not a regular file: " + input.string(), "input");
  if (sb.st_size == 0) return UnsupportedInput("input is empty (0 bytes)");

  std::int64_t source_size = 0;
  ASSIGN_OR_RETURN(Xxh3Digest source_hash, HashSource(input, &source_size));

  // Decide the kind by content: documents by their magic, media by libavformat.
  std::optional<DocumentType> document = SniffDocument(input);
  std::unique_ptr<MediaSource> media;
  if (!document) {
    auto opened = MediaSource::Open(input);
    if (!opened.ok()) {
      if (opened.status().code() == StatusCode::kUnsupportedInput) {
        return UnsupportedInput("neither media nor a known document: " + opened.status().message());
      }
      return opened.status();
    }
    media = std::move(opened).value();
  }
  const std::string settings = document ? std::string(kDocumentSettings) : ladder.Fingerprint();
  const std::string id = Xxh3Of(source_hash.Hex() + "|" + settings).Hex();

  const fs::path out_dir = out_dir_for(id);
  BundleSummary summary;
  summary.id = id;
  summary.kind = document ? BundleKind::kDocument : BundleKind::kLesson;
  summary.dir = out_dir;

  // The same upload with the same settings is already here: nothing to do.
  if (auto previous = ExistingBundle(out_dir, id)) {
    previous->wall_seconds = SecondsSince(started);
    return *previous;
  }

  ASSIGN_OR_RETURN(StagingDir staging, StagingDir::Create(out_dir));
  StagedBundle staged;
  bundle::LessonManifest& manifest = staged.manifest;
  manifest.id = id;
  manifest.kind = summary.kind;
  manifest.metadata = options.metadata;
  manifest.source.xxh3_128 = source_hash.Hex();
  manifest.source.size_bytes = source_size;
  if (document) {
    RETURN_IF_ERROR(MakeDocument(input, *document, staging.path(), staged, options.piece_size_bytes));
  } else {
    RETURN_IF_ERROR(
        MakeLesson(*media, ladder, staging.path(), options, progress, cancel, started, staged, summary));
  }
  if (cancel && cancel->load()) return Cancelled();
  RETURN_IF_ERROR(FinishBundle(staging.path(), staged, options, summary));
  RETURN_IF_ERROR(staging.Commit());
  summary.wall_seconds = SecondsSince(started);
  return summary;
}

}  // namespace

Result<BundleSummary> MakeBundle(const fs::path& input, const fs::path& out_dir, const BundleOptions& options,
                                 const ProgressFn& progress, const std::atomic<bool>* cancel) {
  return BuildBundle(input, [&](const std::string&) { return out_dir; }, options, progress, cancel);
}

Result<BundleSummary> MakeBundleUnder(const fs::path& input, const fs::path& root, const BundleOptions& options,
                                      const ProgressFn& progress, const std::atomic<bool>* cancel) {
  return BuildBundle(input, [&](const std::string& id) { return root / id; }, options, progress, cancel);
}

}  // namespace lm::transcoder
