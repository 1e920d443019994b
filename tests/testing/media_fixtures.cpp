#include "tests/testing/media_fixtures.h"

#include <cstdlib>

namespace lm::testing {

bool RunFfmpeg(const std::string& args) {
  const std::string cmd = "ffmpeg -hide_banner -loglevel error -nostdin -y " + args;
  return std::system(cmd.c_str()) == 0;
}

bool MakeClip(const std::filesystem::path& path, const ClipSpec& s) {
  std::string args;
  const std::string dur = std::to_string(s.seconds);
  if (s.video) {
    args += "-f lavfi -i testsrc2=size=" + std::to_string(s.width) + "x" + std::to_string(s.height) +
            ":rate=" + s.fps + ":duration=" + dur + " ";
  }
  if (s.audio) args += "-f lavfi -i sine=frequency=440:sample_rate=44100:duration=" + dur + " ";
  if (s.video) args += s.video_codec + " ";
  if (s.audio) args += s.audio_codec + " ";
  args += s.extra + " '" + path.string() + "'";
  return RunFfmpeg(args);
}

}  // namespace lm::testing
