// What the transcoder makes of an upload before encoding it: courseware recognised by content
// (SniffDocument), otherwise the media probe (MediaSource::Open: streams, display size after
// rotation and sample aspect, frame rate, interlacing), the ladder planned for it (OutputRate,
// PlanVideoRungs) and the first packets decoded (MediaSource::Run). The input is the upload's
// bytes; the seeds are small versions of the odd-input table's files (tests/transcoder/
// odd_inputs_test.cpp). libav* itself is not instrumented: this checks our code around it.
// Properties: an upload that is not media is kUnsupportedInput (exit code 3), never another
// error; a probed source has a stream, a video of at least 16x16, a rotation of a quarter turn, a
// display size that is positive; every planned rung has an even size of at least 2x2 and no larger
// than the source, and a frame rate from 1 to 30; decoded frames have finite times.

extern "C" {
#include <libavutil/log.h>
}

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>

#include "tests/fuzz/fuzz_check.h"
#include "transcoder/detail/document_type.h"
#include "transcoder/detail/media_source.h"
#include "transcoder/ladder.h"

namespace fs = std::filesystem;
using lm::transcoder::MediaSource;

namespace {

const fs::path& UploadPath() {
  static const fs::path path = lm::fuzz::TempDir("probe") / "upload";
  return path;
}

void CheckPlan(const lm::transcoder::SourceInfo& info) {
  static const lm::transcoder::Ladder ladder = *lm::transcoder::LadderByName("lesson");
  const lm::transcoder::Rate fps = lm::transcoder::OutputRate(info.avg_fps, ladder.max_fps);
  FUZZ_CHECK(fps.num > 0 && fps.den > 0 && fps.value() >= 1 && fps.value() <= ladder.max_fps,
             "the output rate is from 1 to the ladder's cap");
  const auto rungs = lm::transcoder::PlanVideoRungs(ladder, info.display_width, info.display_height, fps);
  FUZZ_CHECK(!rungs.empty(), "a video gets at least one rung");
  const int source_short = std::min(info.display_width, info.display_height);
  for (const auto& r : rungs) {
    FUZZ_CHECK(r.width >= 2 && r.height >= 2 && r.width % 2 == 0 && r.height % 2 == 0, "a rung's size is even");
    FUZZ_CHECK(std::min(r.width, r.height) <= std::max(source_short + 1, ladder.video.back().short_side),
               "a rung is never larger than the source, but for the smallest");
    FUZZ_CHECK(r.fps.den > 0 && r.fps.value() > 0 && r.fps.value() <= ladder.max_fps, "a rung's rate is within the cap");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  av_log_set_level(AV_LOG_QUIET);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fs::path& path = UploadPath();
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    FUZZ_CHECK(f != nullptr && std::fwrite(data, 1, size, f) == size && std::fclose(f) == 0, "the upload is written");
  }
  if (const auto document = lm::transcoder::SniffDocument(path)) {
    FUZZ_CHECK(!document->mime.empty() && !document->extension.empty(), "a document has a type");
    return 0;
  }
  auto source = MediaSource::Open(path);
  if (!source.ok()) {
    FUZZ_CHECK(source.status().code() == lm::StatusCode::kUnsupportedInput, "what is not media is kUnsupportedInput");
    return 0;
  }
  const auto& info = (*source)->info();
  FUZZ_CHECK(info.has_video || info.has_audio, "a source has a stream");
  if (info.has_video) {
    FUZZ_CHECK(info.coded_width >= 16 && info.coded_height >= 16, "a video is at least 16x16");
    FUZZ_CHECK(info.rotation_degrees % 90 == 0 && info.rotation_degrees >= 0 && info.rotation_degrees < 360,
               "a rotation is a quarter turn");
    FUZZ_CHECK(info.display_width > 0 && info.display_height > 0, "a display size is positive");
    CheckPlan(info);
  }
  int packets = 0;
  const lm::Status st = (*source)->Run(
      [](MediaSource::Kind, AVFrame*, double seconds) {
        FUZZ_CHECK(std::isfinite(seconds), "a frame's time is finite");
        return lm::Status::Ok();
      },
      [&packets] { return ++packets <= 32 ? MediaSource::Next::kRead : MediaSource::Next::kStop; });
  FUZZ_CHECK(st.ok() || st.code() == lm::StatusCode::kUnsupportedInput,
             "decoding ends, stops when told, or finds nothing decodable");
  return 0;
}
