#include "transcoder/clip.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>

extern "C" {
#include <libavutil/rational.h>
}

#include "bundle/lesson_manifest.h"
#include "common/atomic_file.h"
#include "common/time_range.h"
#include "common/xxh3.h"
#include "transcoder/detail/bundle_writer.h"
#include "transcoder/detail/poster.h"
#include "transcoder/detail/rendition_cutter.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

namespace fs = std::filesystem;

namespace {

constexpr double kMinClipSeconds = 1.0;

using Clock = std::chrono::steady_clock;

Result<bundle::LessonManifest> ReadParent(const fs::path& parent_dir) {
  auto manifest = bundle::ReadLessonManifest(parent_dir);
  if (!manifest.ok()) {
    if (manifest.status().code() == StatusCode::kNotFound) {
      return Status(StatusCode::kNotFound, "no lesson bundle at " + parent_dir.string());
    }
    return InvalidArgument(manifest.status().message(), "parent");
  }
  if (manifest->kind != bundle::BundleKind::kLesson || manifest->renditions.empty()) {
    return InvalidArgument(parent_dir.string() + " is a document, not a lesson", "parent");
  }
  return manifest;
}

// Snaps seconds to the frame grid of `fps`.
double Snap(double seconds, double fps) { return std::round(seconds * fps) / fps; }

// Where the clip goes, once its id is known.
using OutDirFor = std::function<fs::path(const std::string& id)>;

Result<ClipSummary> BuildClip(const fs::path& parent_dir, const ClipRange& range, const OutDirFor& out_dir_for,
                              const ClipOptions& options) {
  const auto started = Clock::now();
  BundleOptions torrent_options;
  torrent_options.web_seeds = options.web_seeds;
  torrent_options.trackers = options.trackers;
  torrent_options.piece_size_bytes = options.piece_size_bytes;
  RETURN_IF_ERROR(ValidateTorrentOptions(torrent_options));
  ASSIGN_OR_RETURN(bundle::LessonManifest parent, ReadParent(parent_dir));
  ASSIGN_OR_RETURN(Ladder ladder, LadderFromFingerprint(parent.settings));

  // The range, snapped to the coarsest frame grid so that every rendition has a frame at both ends.
  double min_fps = 0;
  for (const auto& r : parent.renditions) {
    if (r.is_video() && r.fps > 0) min_fps = min_fps == 0 ? r.fps : std::min(min_fps, r.fps);
  }
  const double grid_fps = min_fps > 0 ? min_fps : 1000.0;
  if (!(range.start_seconds >= 0) || !(range.end_seconds > range.start_seconds)) {
    return InvalidArgument("the range must start at 0 or later and end after its start", "at");
  }
  const double start = Snap(range.start_seconds, grid_fps);
  const double end = std::min(Snap(range.end_seconds, grid_fps), parent.duration_seconds);
  if (end - start < kMinClipSeconds) {
    char msg[160];
    std::snprintf(msg, sizeof(msg), "the range %.3f-%.3f s holds less than a second of the %.3f s lesson",
                  range.start_seconds, range.end_seconds, parent.duration_seconds);
    return InvalidArgument(msg, "at");
  }

  ClipSummary clip;
  clip.start_seconds = start;
  clip.end_seconds = end;
  const std::string id = ClipLessonId(parent.id, start, end);
  const fs::path out_dir = out_dir_for(id);
  BundleSummary& summary = clip.bundle;
  summary.id = id;
  summary.dir = out_dir;
  if (auto previous = ExistingBundle(out_dir, id)) {
    clip.bundle = *previous;
    clip.bundle.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
    return clip;
  }

  // Segments start where the parent's do, on the clip's timeline.
  std::vector<double> segment_starts = {0};
  const double seg = ladder.segment_seconds;
  for (double k = std::ceil(start / seg); k * seg < end - 0.5 / grid_fps; k += 1) {
    if (k * seg - start > 0.5 / grid_fps) segment_starts.push_back(k * seg - start);
  }

  ASSIGN_OR_RETURN(StagingDir staging, StagingDir::Create(out_dir));
  std::vector<RenditionOutput> outputs;
  av::FramePtr poster;
  int poster_w = 0, poster_h = 0;
  double duration = 0;
  for (const auto& r : parent.renditions) {
    CutParams p;
    p.parent_file = parent_dir / r.file;
    p.parent = r;
    p.dir = staging.path();
    p.piece_size_bytes = options.piece_size_bytes;
    p.start_seconds = start;
    p.end_seconds = end;
    p.segment_starts = segment_starts;
    if (r.is_video()) {
      auto rung = std::find_if(ladder.video.begin(), ladder.video.end(), [&](const VideoRung& v) { return v.name == r.name; });
      if (rung == ladder.video.end()) return UnsupportedInput("rendition " + r.name + " is not in the ladder " + ladder.name);
      H264Settings h;
      h.rung.rung = *rung;
      h.rung.width = r.width;
      h.rung.height = r.height;
      const AVRational q = av_d2q(r.fps, 1001000);
      h.rung.fps = {q.num, q.den};
      h.x264_preset = ladder.x264_preset;
      h.x264_profile = ladder.x264_profile;
      h.segment_seconds = seg;
      p.encoder = h;
      p.want_poster = !poster;
    }
    auto cut = CutRendition(p);
    if (!cut.ok()) return cut.status().WithContext("rendition " + r.name);
    if (cut->poster) {
      poster = std::move(cut->poster);
      poster_w = r.width;
      poster_h = r.height;
    }
    clip.segments_copied += cut->gops_copied;
    clip.segments_reencoded += cut->gops_reencoded;
    const auto& segs = cut->output.segments;
    if (!segs.empty()) duration = std::max(duration, segs.back().start_seconds + segs.back().duration_seconds);
    outputs.push_back(std::move(cut->output));
  }

  std::optional<FileDigest> poster_file;
  if (poster) {
    ASSIGN_OR_RETURN(std::string jpeg, EncodePosterJpeg(poster.get(), poster_w, poster_h));
    ASSIGN_OR_RETURN(FileDigest d, WriteHashedFile(staging.path(), "poster.jpg", jpeg, options.piece_size_bytes));
    poster_file = std::move(d);
  }
  StagedBundle staged;
  RETURN_IF_ERROR(StageRenditions(staging.path(), outputs, std::move(poster_file), options.piece_size_bytes, staged, summary));
  bundle::LessonManifest& m = staged.manifest;
  m.id = id;
  m.kind = bundle::BundleKind::kLesson;
  m.metadata = parent.metadata;
  if (!range.title.empty()) m.metadata.title = range.title;
  m.duration_seconds = duration;
  m.source = parent.source;
  m.settings = parent.settings;
  m.parent = bundle::ClipParent{parent.id, start, end};
  // The parent's chapters that overlap the clip, on the clip's timeline.
  for (const auto& c : parent.chapters) {
    const double s = std::max(c.start_seconds, start) - start, e = std::min(c.end_seconds, end) - start;
    if (e - s >= 0.5) m.chapters.push_back({s, std::min(e, duration), c.title});
  }
  summary.kind = bundle::BundleKind::kLesson;
  summary.duration_seconds = duration;
  RETURN_IF_ERROR(FinishBundle(staging.path(), staged, torrent_options, summary));
  RETURN_IF_ERROR(staging.Commit());
  summary.wall_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return clip;
}

}  // namespace

Result<std::pair<double, double>> ParseClipRange(std::string_view text) { return ParseTimeRange(text); }

std::string ClipLessonId(const std::string& parent_id, double start_seconds, double end_seconds) {
  return Xxh3Of(parent_id + "|clip1|" + std::to_string(std::llround(start_seconds * 1000)) + "-" +
                std::to_string(std::llround(end_seconds * 1000)))
      .Hex();
}

Result<ClipSummary> MakeClip(const fs::path& parent_dir, const ClipRange& range, const fs::path& out_dir,
                             const ClipOptions& options) {
  return BuildClip(parent_dir, range, [&](const std::string&) { return out_dir; }, options);
}

Result<ClipSummary> MakeClipUnder(const fs::path& parent_dir, const ClipRange& range, const fs::path& root,
                                  const ClipOptions& options) {
  return BuildClip(parent_dir, range, [&](const std::string& id) { return root / id; }, options);
}

}  // namespace lm::transcoder
