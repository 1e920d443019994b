#include "transcoder/bundle.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string_view>

#include "bundle/lesson_manifest.h"
#include "common/atomic_file.h"
#include "common/xxh3.h"
#include "transcoder/detail/bundle_writer.h"
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

// The teacher's chapters on media of `duration_seconds`: an end past the end is cut to it; a
// chapter that starts at or after the end (plus `slack_seconds`) is refused, naming it.
Result<std::vector<bundle::Chapter>> FitChapters(std::vector<bundle::Chapter> chapters, double duration_seconds,
                                                 double slack_seconds = 0) {
  for (size_t i = 0; i < chapters.size(); ++i) {
    bundle::Chapter& c = chapters[i];
    if (c.start_seconds >= duration_seconds + slack_seconds) {
      const std::string field = "chapters[" + std::to_string(i) + "].start_s";
      char text[160];
      std::snprintf(text, sizeof(text), " (%.1f s) is not before the end of the lesson (%.1f s)", c.start_seconds,
                    duration_seconds);
      return InvalidArgument(field + text, field);
    }
    c.end_seconds = std::min(c.end_seconds, duration_seconds + slack_seconds);
  }
  RETURN_IF_ERROR(bundle::ValidateChapters(chapters, duration_seconds + slack_seconds));
  return chapters;
}

Status ValidateOptions(const BundleOptions& o) {
  RETURN_IF_ERROR(ValidateTorrentOptions(o));
  RETURN_IF_ERROR(bundle::ValidateChapters(o.chapters, bundle::kDurationNotYetKnown));
  // x264's names: an unknown one would fail only when the first encoder opens, as an internal
  // error, after x264 printed a line of its own.
  static constexpr std::string_view kX264Presets[] = {"ultrafast", "superfast", "veryfast", "faster", "fast",
                                                      "medium",    "slow",      "slower",   "veryslow", "placebo"};
  if (!o.x264_preset.empty() &&
      std::find(std::begin(kX264Presets), std::end(kX264Presets), o.x264_preset) == std::end(kX264Presets)) {
    return InvalidArgument("unknown x264 preset " + o.x264_preset + " (ultrafast ... placebo)", "preset");
  }
  if (o.chunk_seconds < 0) return InvalidArgument("chunk_seconds must not be negative", "chunk_seconds");
  if (o.jobs < 0) return InvalidArgument("jobs must not be negative", "jobs");
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

Status MakeLesson(const fs::path& input, MediaSource& source, const Ladder& ladder, const fs::path& dir, const BundleOptions& options,
                  const ProgressFn& progress, const std::atomic<bool>* cancel, Clock::time_point started,
                  StagedBundle& staged, BundleSummary& summary) {
  const SourceInfo& info = source.info();
  MediaPipelineParams params;
  params.ladder = &ladder;
  params.source_path = input;
  params.dir = dir;
  params.piece_size_bytes = options.piece_size_bytes;
  params.threads = options.threads;
  params.jobs = options.jobs;
  params.progress = &progress;
  params.cancel = cancel;
  params.started = started;
  ASSIGN_OR_RETURN(MediaPipelineResult media, RunMediaPipeline(source, params));

  RETURN_IF_ERROR(StageRenditions(dir, media.renditions, std::move(media.poster), options.piece_size_bytes, staged, summary));
  bundle::LessonManifest& manifest = staged.manifest;
  summary.duration_seconds = media.duration_seconds;
  manifest.duration_seconds = media.duration_seconds;
  ASSIGN_OR_RETURN(manifest.chapters, FitChapters(options.chapters, media.duration_seconds));
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

// Where the bundle goes, once its id is known.
using OutDirFor = std::function<fs::path(const std::string& id)>;

Result<BundleSummary> BuildBundle(const fs::path& input, const OutDirFor& out_dir_for, const BundleOptions& options,
                                  const ProgressFn& progress, const std::atomic<bool>* cancel) {
  const auto started = Clock::now();
  RETURN_IF_ERROR(ValidateOptions(options));
  ASSIGN_OR_RETURN(Ladder ladder, LadderByName(options.ladder));
  if (!options.x264_preset.empty()) ladder.x264_preset = options.x264_preset;
  if (options.chunk_seconds > 0) ladder.chunk_seconds = options.chunk_seconds;
  if (ladder.chunk_seconds % ladder.segment_seconds != 0) {
    return InvalidArgument("chunk_seconds " + std::to_string(ladder.chunk_seconds) + " is not a whole number of " +
                               std::to_string(ladder.segment_seconds) + " s segments",
                           "chunk_seconds");
  }

  struct stat sb {};
  if (::stat(input.c_str(), &sb) != 0) return ErrnoStatus("input " + input.string(), errno);
  if (!S_ISREG(sb.st_mode)) return InvalidArgument("input is not a regular file: " + input.string(), "input");
  if (sb.st_size == 0) return UnsupportedInput("input is empty (0 bytes)");

  std::int64_t source_size = 0;
  ASSIGN_OR_RETURN(Xxh3Digest source_hash, HashSource(input, &source_size));

  // Decide the kind by content: documents by their magic, media by libavformat.
  std::optional<DocumentType> document = SniffDocument(input);
  // Declared before the source, so run after it is closed (its decoder holds a pool of pictures).
  struct ReleaseMemoryOnReturn {
    ~ReleaseMemoryOnReturn() { ReleaseFreedMemory(); }
  } release_memory_on_return;
  std::unique_ptr<MediaSource> media;
  if (!document) {
    auto opened = MediaSource::Open(input, options.threads);
    if (!opened.ok()) {
      if (opened.status().code() == StatusCode::kUnsupportedInput) {
        return UnsupportedInput("neither media nor a known document: " + opened.status().message());
      }
      return opened.status();
    }
    media = std::move(opened).value();
  }
  if (!options.chapters.empty()) {
    if (document) return InvalidArgument("a document has no chapters", "chapters");
    // Refused before hours of encoding when the container knows its duration (with a second to
    // spare: containers round), fitted to the renditions' real duration once they are written.
    const double declared = media->info().duration_seconds;
    if (declared > 0) RETURN_IF_ERROR(FitChapters(options.chapters, declared, /*slack_seconds=*/1.0).status());
  }
  std::string settings = document ? std::string(kDocumentSettings) : ladder.Fingerprint();
  if (!options.chapters.empty()) settings += "|chapters1|" + bundle::WriteChapterList(options.chapters);
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
        MakeLesson(input, *media, ladder, staging.path(), options, progress, cancel, started, staged, summary));
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
