#pragma once
// The ladder's H.264 encoder (libx264) for one rung, opened with the settings every rendition of a
// lesson uses (rate control, keyframe interval left to forcing, no scene cuts, global headers), so
// that a clip's re-encoded stretches match the copied ones. Plain function; reentrant.

#include <string>

#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

struct H264Settings {
  PlannedRung rung;
  std::string x264_preset;
  std::string x264_profile;
  double segment_seconds = 6;  // keyframes are forced at segment starts; the GOP limit stays out of their way
};

// An open encoder, time base one tick per frame (1/fps). Deterministic: the same frames in give
// the same bytes out on any machine and at any load (libx264 runs on the calling thread only; see
// the .cpp), so a job redone elsewhere makes the same bundle.
Result<av::CodecPtr> OpenH264Encoder(const H264Settings& settings);

}  // namespace lm::transcoder
