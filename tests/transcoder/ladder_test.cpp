#include "transcoder/ladder.h"

#include <gtest/gtest.h>

namespace lm::transcoder {
namespace {

struct Size {
  std::string name;
  int w, h;
  double fps;
  bool operator==(const Size&) const = default;
};

std::vector<Size> Plan(int w, int h, Rate fps) {
  auto ladder = LadderByName("lesson");
  std::vector<Size> out;
  for (const auto& r : PlanVideoRungs(*ladder, w, h, fps)) out.push_back({r.rung.name, r.width, r.height, r.fps.value()});
  return out;
}

void PrintTo(const Size& s, std::ostream* os) { *os << s.name << " " << s.w << "x" << s.h << "@" << s.fps; }

TEST(LadderTest, FullHdGetsEveryRungAndLowRungAt15) {
  EXPECT_EQ(Plan(1920, 1080, {30, 1}), (std::vector<Size>{{"720p", 1280, 720, 30},
                                                          {"480p", 854, 480, 30},
                                                          {"360p", 640, 360, 30},
                                                          {"240p", 426, 240, 15}}));
}

TEST(LadderTest, NeverUpscales) {
  // 854x480 is a hair wider than 16:9, so its 240p rung rounds to 428 wide.
  EXPECT_EQ(Plan(854, 480, {25, 1}),
            (std::vector<Size>{{"480p", 854, 480, 25}, {"360p", 640, 360, 25}, {"240p", 428, 240, 15}}));
}

TEST(LadderTest, PortraitKeepsShortSide) {
  EXPECT_EQ(Plan(1080, 1920, {30, 1}).front(), (Size{"720p", 720, 1280, 30}));
}

TEST(LadderTest, OddSizesGiveEvenDimensions) {
  auto rungs = Plan(1921, 1081, {30, 1});
  ASSERT_EQ(rungs.size(), 4u);
  EXPECT_EQ(rungs[0], (Size{"720p", 1280, 720, 30}));
  for (const auto& r : rungs) {
    EXPECT_EQ(r.w % 2, 0);
    EXPECT_EQ(r.h % 2, 0);
  }
}

TEST(LadderTest, SmallSourceGetsOneRungAtItsOwnSize) {
  EXPECT_EQ(Plan(200, 150, {30, 1}), (std::vector<Size>{{"240p", 200, 150, 15}}));
}

TEST(LadderTest, NtscLowRungStaysInStep) {
  auto ladder = LadderByName("lesson");
  auto rungs = PlanVideoRungs(*ladder, 640, 360, {30000, 1001});
  EXPECT_EQ(rungs.back().fps, (Rate{15000, 1001}));
}

TEST(LadderTest, OutputRateSnapsAndCaps) {
  EXPECT_EQ(OutputRate({2997, 100}, 30), (Rate{30000, 1001}));
  EXPECT_EQ(OutputRate({60, 1}, 30), (Rate{30, 1}));
  EXPECT_EQ(OutputRate({60000, 1001}, 30), (Rate{30000, 1001}));
  EXPECT_EQ(OutputRate({0, 0}, 30), (Rate{25, 1}));
  EXPECT_EQ(OutputRate({2427, 100}, 30), (Rate{24, 1}));  // a VFR phone clip averaging 24.27
  EXPECT_EQ(OutputRate({120, 1}, 30), (Rate{30, 1}));
}

TEST(LadderTest, FingerprintChangesWithSettings) {
  auto a = *LadderByName("lesson");
  auto b = a;
  b.x264_preset = "medium";
  EXPECT_NE(a.Fingerprint(), b.Fingerprint());
  EXPECT_EQ(a.Fingerprint(), LadderByName("lesson")->Fingerprint());
  EXPECT_FALSE(LadderByName("nope").ok());
}

}  // namespace
}  // namespace lm::transcoder

namespace lm::transcoder {
namespace {

TEST(LadderFromFingerprintTest, RecoversTheLadderABundleWasMadeWith) {
  auto ladder = LadderByName("lesson");
  ASSERT_TRUE(ladder.ok());
  ladder->x264_preset = "ultrafast";
  ladder->chunk_seconds = 30;
  auto back = LadderFromFingerprint(ladder->Fingerprint());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Fingerprint(), ladder->Fingerprint());
  EXPECT_EQ(back->x264_preset, "ultrafast");
  EXPECT_EQ(back->segment_seconds, 6);
  EXPECT_EQ(back->chunk_seconds, 30);
  // A bundle made before chunks were in the settings: the same encoders, so a clip can be cut of it.
  auto before_chunks = LadderFromFingerprint(
      "lm1;lesson;seg=6;x264=faster/main;maxfps=30;720p:720@1800k/0;480p:480@900k/0;360p:360@500k/0;"
      "240p:240@200k/15;av=96k/2ch/48000;ao=48k/1ch/48000");
  ASSERT_TRUE(before_chunks.ok()) << before_chunks.status().ToString();
  EXPECT_EQ(before_chunks->x264_preset, "faster");
  EXPECT_EQ(before_chunks->x264_profile, "main");
  for (const char* bad : {"", "lm-doc1", "lm999;lesson;seg=6;x264=veryfast/high", "lm1;cinema;seg=6;x264=a/b",
                          "lm1;lesson;seg=6;x264=veryfast/high;maxfps=30;chunk=0",
                          "lm1;lesson;seg=6;x264=veryfast/high;maxfps=30;chunk=60",  // rungs missing
                          "lm1;lesson;seg=6;x264=veryfast/high;maxfps=30;720p:720@1800k/0"}) {
    EXPECT_EQ(LadderFromFingerprint(bad).status().code(), StatusCode::kUnsupportedInput) << bad;
  }
}

}  // namespace
}  // namespace lm::transcoder
