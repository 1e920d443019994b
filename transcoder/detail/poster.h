#pragma once
// The lesson's poster: one frame, scaled to fit within a box, encoded as a baseline JPEG.

#include <string>

#include "common/av_handles.h"
#include "common/status.h"

namespace lm::transcoder {

// Returns the JPEG bytes. The frame keeps its aspect (square pixels assumed after filtering).
Result<std::string> EncodePosterJpeg(const AVFrame* frame, int max_width, int max_height);

}  // namespace lm::transcoder
