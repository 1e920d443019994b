#pragma once
// The media half of a bundle: the rendition files and the poster, written into `dir`. A lesson
// shorter than two chunks (Ladder::chunk_seconds), or in a container without an index to seek by,
// is one decode pass (pipeline_pass.h). A longer one is a pass for its audio, beside one per chunk
// of its video, run `jobs` at a time, each chunk's rungs encoded on their own; then one branch per
// rung stitches its chunks and the shared AAC into the rendition file. So a long lesson keeps every
// core busy, the largest rung's encoder no longer a single stage that caps it, and its bytes still
// depend on the lesson alone.

#include <atomic>
#include <chrono>
#include <filesystem>
#include <optional>
#include <vector>

#include "common/status.h"
#include "transcoder/bundle.h"
#include "transcoder/detail/hashing_file.h"
#include "transcoder/detail/media_source.h"
#include "transcoder/detail/rendition.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

struct MediaPipelineResult {
  std::vector<RenditionOutput> renditions;  // video largest first, then audio-only
  std::optional<FileDigest> poster;
  double duration_seconds = 0;
};

struct MediaPipelineParams {
  const Ladder* ladder = nullptr;
  std::filesystem::path source_path;  // opened again by each chunk's pass
  std::filesystem::path dir;
  int piece_size_bytes = 0;
  int threads = 0;  // the decoder's and the preparing filters' threads; 0 = one per core
  int jobs = 0;     // a long lesson's chunks at once; 0 = half the cores, at least 1
  const ProgressFn* progress = nullptr;      // may be null
  const std::atomic<bool>* cancel = nullptr; // may be null
  std::chrono::steady_clock::time_point started;
};

// The first output frame of each chunk, in frames of `fps` (the first is 0): every
// `chunk_seconds`, at the frame where that segment's keyframe falls. One chunk for a lesson
// shorter than two.
std::vector<std::int64_t> ChunkStarts(double duration_seconds, int chunk_seconds, Rate fps);

// Hands the memory a transcode's passes freed back to the system (glibc keeps it in its threads'
// arenas). Called between a long lesson's chunks, and when a bundle is made, with its source
// closed: the origin's workers run many transcodes in one process.
void ReleaseFreedMemory();

Result<MediaPipelineResult> RunMediaPipeline(MediaSource& source, const MediaPipelineParams& params);

}  // namespace lm::transcoder
