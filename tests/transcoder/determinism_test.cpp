// A transcode is deterministic: the same source and settings make the same bundle, byte for byte,
// whatever the thread counts, so a job redone by another worker seeds the torrent the catalog
// registered and its web seed serves bytes that pass the registered pieces.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/testing/media_fixtures.h"
#include "tests/testing/temp_dir.h"
#include "transcoder/bundle.h"

extern "C" {
#include <libavutil/log.h>
}

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;
using lm::testing::FileDifferences;
using lm::testing::ReadDirectory;

// A 720p clip with camera-like noise, so that every rung of the ladder is made and rate control
// (VBV) has work to do, transcoded with the ladder's own settings at two thread counts.
TEST(DeterminismTest, SameSourceTwiceAtDifferentThreadCountsGivesTheSameBundleByteForByte) {
  av_log_set_level(AV_LOG_ERROR);
  lm::testing::TempDir tmp;
  lm::testing::ClipSpec spec;
  spec.seconds = 4;
  spec.width = 1280;
  spec.height = 720;
  spec.extra = "-vf noise=alls=24:allf=t+u";
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "lesson.mp4", spec));

  BundleOptions options;
  options.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
  options.web_seeds = {"http://127.0.0.1:8080/bundles"};
  options.trackers = {"http://127.0.0.1:8080/announce"};
  options.threads = 1;
  auto first = MakeBundle(tmp / "lesson.mp4", tmp / "worker1" / "b", options);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  options.threads = 3;
  auto second = MakeBundle(tmp / "lesson.mp4", tmp / "worker2" / "b", options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();

  EXPECT_EQ(first->id, second->id);
  EXPECT_EQ(first->info_hash_v1, second->info_hash_v1);
  EXPECT_EQ(first->info_hash_v2, second->info_hash_v2);
  const auto a = ReadDirectory(tmp / "worker1" / "b");
  const auto b = ReadDirectory(tmp / "worker2" / "b");
  std::vector<std::string> names;
  for (const auto& [name, bytes] : a) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"240p.m3u8", "240p.mp4", "360p.m3u8", "360p.mp4", "480p.m3u8",
                                             "480p.mp4", "720p.m3u8", "720p.mp4", "audio.m3u8", "audio.mp4",
                                             "lesson.json", "lesson.torrent", "master.m3u8", "poster.jpg"}));
  EXPECT_EQ(FileDifferences(a, b), std::vector<std::string>{});
  // Nothing in the torrent says when it was made.
  ASSERT_TRUE(a.count("lesson.torrent"));
  EXPECT_EQ(a.at("lesson.torrent").find("creation date"), std::string::npos);
}

}  // namespace
}  // namespace lm::transcoder
