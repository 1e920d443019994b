#pragma once
// Reads a media file back with libav and decodes every frame: what tests assert on.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace lm::testing {

struct ProbedStream {
  std::string type;   // "video" / "audio"
  std::string codec;  // "h264", "aac"
  int width = 0, height = 0;
  int channels = 0, sample_rate = 0;
  std::string profile;         // "High", "LC"
  std::int64_t bit_rate = 0;   // as the container declares it (bit/s), 0 if it does not
  int frames_decoded = 0;
  int decode_errors = 0;
  double first_pts_s = 0;
  double end_s = 0;                  // last pts + duration
  std::vector<double> keyframes_s;   // pts of key packets (video)
  double avg_fps = 0;
  std::string pix_fmt;               // of the decoded frames: "yuv420p" (8-bit), "yuv420p10le", ...
  int interlaced_frames = 0;         // decoded frames flagged interlaced
  std::vector<double> frame_times_s; // presentation time of every decoded frame, in order (video)
};

struct ProbedFile {
  bool opened = false;
  std::string error;
  std::string format;
  double duration_s = 0;
  std::vector<ProbedStream> streams;
  const ProbedStream* Video() const;
  const ProbedStream* Audio() const;
};

// Opens `url` (a path, or "file.m3u8" for HLS) and decodes it to the end.
ProbedFile ProbeAndDecode(const std::string& url);

}  // namespace lm::testing
