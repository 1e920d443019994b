#pragma once
// Decodes a file's video to its luma planes, for tests that look at the picture itself (combing,
// brightness), not only at what the stream says about it.

#include <cstdint>
#include <string>
#include <vector>

namespace lm::testing {

struct LumaFrame {
  int width = 0, height = 0;
  std::vector<std::uint8_t> y;  // width * height, row after row
  int At(int x, int row) const { return y[static_cast<std::size_t>(row) * width + x]; }
};

struct LumaFrames {
  std::string error;  // "" when every frame decoded
  std::vector<LumaFrame> frames;
};

// The first `max_frames` frames of the first video stream of `url` (every frame if 0). Only 8-bit
// YUV pictures (what the renditions and the test inputs are); anything else is an error.
LumaFrames DecodeLumaFrames(const std::string& url, int max_frames = 0);

}  // namespace lm::testing
