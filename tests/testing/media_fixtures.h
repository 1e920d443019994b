#pragma once
// Makes small test inputs with the ffmpeg command-line tool from synthetic sources (lavfi), so
// tests never depend on files they did not make.

#include <filesystem>
#include <string>

namespace lm::testing {

// Runs `ffmpeg -hide_banner -loglevel error -y <args>`; true on exit status 0.
bool RunFfmpeg(const std::string& args);

struct ClipSpec {
  double seconds = 8;
  int width = 640;
  int height = 360;
  std::string fps = "30";
  bool video = true;
  bool audio = true;
  std::string video_codec = "-c:v libx264 -preset ultrafast -pix_fmt yuv420p";
  std::string audio_codec = "-c:a aac -b:a 64k";
  std::string extra;  // more output options, e.g. "-metadata:s:v rotate=90"
};

// A lesson-like clip: a moving test pattern and a tone. Returns false if ffmpeg failed.
bool MakeClip(const std::filesystem::path& path, const ClipSpec& spec);

}  // namespace lm::testing

namespace lm::testing {

// Copies `in` to `out` (MP4) adding a display matrix that turns the video `degrees` clockwise,
// as a phone held upright writes it.
bool RemuxWithRotation(const std::filesystem::path& in, const std::filesystem::path& out, int degrees);

}  // namespace lm::testing
