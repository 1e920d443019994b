#pragma once
// Cuts micro-courses (微课) out of a lesson bundle: each range becomes a bundle of its own, with
// the parent's ladder, playlists, poster, lesson.json and hybrid torrent, made without transcoding
// the lesson again. Whole segments (GOPs whose keyframes are aligned across renditions) are copied
// packet for packet with timestamps rebased to the range's start; only a segment the range cuts
// through is decoded and its frames inside the range re-encoded with the ladder's H.264 settings.
// AAC is copied. The clip's lesson.json names its parent and range; its id is fixed by the parent's
// id and the range. Reentrant: the origin may cut several clips at once, each on its own thread.

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "transcoder/bundle.h"

namespace lm::transcoder {

struct ClipRange {
  double start_seconds = 0;  // on the parent's timeline
  double end_seconds = 0;    // past the parent's end = to its end
  std::string title;         // empty = the parent's title
};

struct ClipOptions {
  std::vector<std::string> web_seeds;  // as BundleOptions
  std::vector<std::string> trackers;
  int piece_size_bytes = 256 * 1024;
};

struct ClipSummary {
  BundleSummary bundle;
  // The range as cut: snapped to the frame grid of the parent's lowest frame rate (so that every
  // rendition has a frame at both ends) and capped at the parent's end.
  double start_seconds = 0;
  double end_seconds = 0;
  int segments_copied = 0;     // GOPs copied, over all video renditions
  int segments_reencoded = 0;  // GOPs re-encoded (the partial first and last), over all video renditions
};

// "05:10-12:40", "310-760.5", "1:02:03-1:10:00": a range as [H:]MM:SS or seconds (lm::ParseTimeRange).
// kInvalidArgument (field "at") for anything else or an end not after its start.
Result<std::pair<double, double>> ParseClipRange(std::string_view text);

// The clip's lesson id: 32 hex digits, from the parent's id and the range as cut (milliseconds).
std::string ClipLessonId(const std::string& parent_id, double start_seconds, double end_seconds);

// Cuts `range` out of the lesson bundle in `parent_dir` into a bundle at `out_dir`.
// Errors: kNotFound / kInvalidArgument (field "parent") for a directory that holds no lesson
// bundle or a document, kUnsupportedInput for a bundle of another pipeline version,
// kInvalidArgument (field "at") for a range outside the lesson or shorter than a second, kIo.
Result<ClipSummary> MakeClip(const std::filesystem::path& parent_dir, const ClipRange& range,
                             const std::filesystem::path& out_dir, const ClipOptions& options);

// MakeClip with the clip at `root`/<clip id> (the origin's layout); a clip already there is reused.
Result<ClipSummary> MakeClipUnder(const std::filesystem::path& parent_dir, const ClipRange& range,
                                  const std::filesystem::path& root, const ClipOptions& options);

}  // namespace lm::transcoder
