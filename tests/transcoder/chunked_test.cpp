// A lesson at least two chunks long is encoded in chunks, several at once, and stitched: every
// rendition plays through the seams with no frame lost, doubled or broken, keyframes stay on the
// segment grid, the audio runs the whole length, and the bytes do not depend on how many chunks
// were encoded at once.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/testing/media_fixtures.h"
#include "tests/testing/media_probe.h"
#include "tests/testing/temp_dir.h"
#include "tests/transcoder/leaves_nothing_check.h"
#include "transcoder/bundle.h"
#include "transcoder/detail/media_pipeline.h"

extern "C" {
#include <libavutil/log.h>
}

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;
using lm::testing::ReadFile;

TEST(ChunkStartsTest, EveryChunkStartsOnTheFrameOfItsSegmentKeyframe) {
  EXPECT_EQ(ChunkStarts(20, 60, {30, 1}), (std::vector<std::int64_t>{0}));
  EXPECT_EQ(ChunkStarts(119.9, 60, {30, 1}), (std::vector<std::int64_t>{0}));  // the last chunk takes the rest
  EXPECT_EQ(ChunkStarts(120, 60, {30, 1}), (std::vector<std::int64_t>{0, 1800}));
  EXPECT_EQ(ChunkStarts(200, 60, {25, 1}), (std::vector<std::int64_t>{0, 1500, 3000}));
  // 29.97 fps: frame 1798 is at 59.993 s, inside the tenth segment; 1799 (60.027 s) starts the
  // eleventh and is its keyframe.
  EXPECT_EQ(ChunkStarts(130, 60, {30000, 1001}), (std::vector<std::int64_t>{0, 1799}));
  EXPECT_EQ(ChunkStarts(0, 60, {30, 1}), (std::vector<std::int64_t>{0}));  // duration unknown: one pass
}

class ChunkedTranscodeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    av_log_set_level(AV_LOG_ERROR);
    tmp_ = new lm::testing::TempDir();
    lm::testing::ClipSpec spec;
    spec.seconds = 19;  // three chunks of 6 s, the last taking the rest: 0-6, 6-12, 12-19 s
    spec.extra = "-vf noise=alls=12:allf=t -g 45";  // source keyframes every 1.5 s, off the chunks' grid
    ASSERT_TRUE(lm::testing::MakeClip(*tmp_ / "lesson.mp4", spec));
    options_.x264_preset = "ultrafast";
    options_.chunk_seconds = 6;
  }
  static void TearDownTestSuite() { delete tmp_; }

  static inline lm::testing::TempDir* tmp_ = nullptr;
  static inline BundleOptions options_;
};

TEST_F(ChunkedTranscodeTest, SeamsLoseNoFrameAndKeepTheSegmentGrid) {
  BundleOptions options = options_;
  options.jobs = 2;
  auto chunked = MakeBundle(*tmp_ / "lesson.mp4", *tmp_ / "chunked", options);
  ASSERT_TRUE(chunked.ok()) << chunked.status().ToString();
  options.chunk_seconds = 0;  // the ladder's 60 s: one pass
  auto whole = MakeBundle(*tmp_ / "lesson.mp4", *tmp_ / "whole", options);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  EXPECT_NE(chunked->id, whole->id);  // the chunk length is part of the settings
  EXPECT_FALSE(fs::exists(*tmp_ / "chunked" / ".chunks"));
  EXPECT_NEAR(chunked->duration_seconds, whole->duration_seconds, 0.001);

  for (const std::string name : {"360p", "240p"}) {
    SCOPED_TRACE(name);
    auto c = lm::testing::ProbeAndDecode((*tmp_ / "chunked" / (name + ".mp4")).string());
    auto w = lm::testing::ProbeAndDecode((*tmp_ / "whole" / (name + ".mp4")).string());
    ASSERT_NE(c.Video(), nullptr);
    ASSERT_NE(w.Video(), nullptr);
    EXPECT_EQ(c.Video()->decode_errors, 0);
    const double fps = name == "240p" ? 15 : 30;
    EXPECT_EQ(c.Video()->frames_decoded, static_cast<int>(std::lround(19 * fps)));
    // The same frames at the same times as one pass makes, so none lost or doubled at a seam.
    EXPECT_EQ(c.Video()->frame_times_s, w.Video()->frame_times_s);
    const auto& times = c.Video()->frame_times_s;
    for (size_t i = 1; i < times.size(); ++i) {
      ASSERT_NEAR(times[i] - times[i - 1], 1 / fps, 1e-3) << "at frame " << i;
    }
    std::vector<double> keys;
    for (double k : c.Video()->keyframes_s) keys.push_back(std::round((k - c.Video()->first_pts_s) * 1000) / 1000);
    EXPECT_EQ(keys, (std::vector<double>{0, 6, 12, 18}));
    ASSERT_NE(c.Audio(), nullptr);
    EXPECT_NEAR(c.Audio()->end_s, w.Audio()->end_s, 1e-6);
    EXPECT_EQ(c.Audio()->frames_decoded, w.Audio()->frames_decoded);
  }
  // The audio-only rendition comes from its own pass, the same as from one pass.
  EXPECT_EQ(ReadFile(*tmp_ / "chunked" / "audio.mp4"), ReadFile(*tmp_ / "whole" / "audio.mp4"));
  EXPECT_EQ(ReadFile(*tmp_ / "chunked" / "poster.jpg"), ReadFile(*tmp_ / "whole" / "poster.jpg"));
}

TEST_F(ChunkedTranscodeTest, TheBytesDoNotDependOnHowManyChunksRunAtOnce) {
  BundleOptions options = options_;
  options.jobs = 1;
  options.threads = 1;
  auto one = MakeBundle(*tmp_ / "lesson.mp4", *tmp_ / "jobs1", options);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  options.jobs = 4;
  options.threads = 0;
  auto four = MakeBundle(*tmp_ / "lesson.mp4", *tmp_ / "jobs4", options);
  ASSERT_TRUE(four.ok()) << four.status().ToString();
  EXPECT_EQ(one->id, four->id);
  EXPECT_EQ(one->info_hash_v2, four->info_hash_v2);
  EXPECT_EQ(lm::testing::FileDifferences(lm::testing::ReadDirectory(*tmp_ / "jobs1"),
                                        lm::testing::ReadDirectory(*tmp_ / "jobs4")),
            std::vector<std::string>{});
}

// Cancelled while its chunks are being encoded: kCancelled soon, and no bundle, staging directory
// or chunk spool left behind.
TEST_F(ChunkedTranscodeTest, CancelStopsEveryChunkAndLeavesNothingBehind) {
  BundleOptions options = options_;
  options.x264_preset = "veryfast";
  ExpectCancelLeavesNothing(*tmp_ / "lesson.mp4", *tmp_ / "cancelled", options, 19.0, /*before_start=*/false);
}

// The disk fills while chunks are being encoded: the write error of the chunk that failed first,
// rather than the others' being stopped, and no chunk spool left behind.
TEST_F(ChunkedTranscodeTest, AWriteThatFailsInAChunkGivesItsErrorAndLeavesNothing) {
  BundleOptions options = options_;
  options.jobs = 2;
  ExpectFailedWriteLeavesNothing(*tmp_ / "lesson.mp4", *tmp_ / "disk-full", options);
}

TEST_F(ChunkedTranscodeTest, AChunkLengthOffTheSegmentGridIsRefusedByName) {
  BundleOptions options = options_;
  options.chunk_seconds = 5;
  auto r = MakeBundle(*tmp_ / "lesson.mp4", *tmp_ / "bad", options);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("chunk_seconds"), std::string::npos) << r.status().message();
  EXPECT_FALSE(fs::exists(*tmp_ / "bad"));
}

}  // namespace
}  // namespace lm::transcoder
