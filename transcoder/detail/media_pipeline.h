#pragma once
// The media half of a bundle: decode once, prepare frames once (rotate, deinterlace, constant
// rate), then fan shared frame references out to one branch per rendition, each scaling and
// encoding on its own thread; AAC is encoded once and its packets shared by every video
// rendition. Writes the rendition files and the poster into `dir`.

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
  std::filesystem::path dir;
  int piece_size_bytes = 0;
  int threads = 0;  // the decoder's and the preparing filters' threads; 0 = one per core
  const ProgressFn* progress = nullptr;      // may be null
  const std::atomic<bool>* cancel = nullptr; // may be null
  std::chrono::steady_clock::time_point started;
};

Result<MediaPipelineResult> RunMediaPipeline(MediaSource& source, const MediaPipelineParams& params);

}  // namespace lm::transcoder
