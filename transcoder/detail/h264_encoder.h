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
  int threads = 0;             // 0 = libx264's own choice
};

// An open encoder, time base one tick per frame (1/fps).
Result<av::CodecPtr> OpenH264Encoder(const H264Settings& settings);

}  // namespace lm::transcoder
