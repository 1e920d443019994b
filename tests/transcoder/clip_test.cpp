// Clips cut from a lesson bundle, checked by reading them back: every rendition decodes whole with
// the range's duration, the first and last pictures are the parent's at the range's ends, keyframes
// stay aligned, a segment the range holds whole is the parent's bytes (copied, not re-encoded), and
// lesson.json names the parent and hashes every file.

#include "transcoder/clip.h"
#include "transcoder/revision.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "bundle/torrent_file.h"
#include "common/av_handles.h"
#include "common/xxh3.h"
#include "tests/testing/luma_frames.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/media_probe.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/torrent_reference.h"

extern "C" {
#include <libavutil/log.h>
}

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;

constexpr double kSourceSeconds = 13.0;
// On a segment boundary (6 s) and off one at both ends: partial first and last segments.
constexpr double kPartialStart = 3.0, kPartialEnd = 12.4;

class ClipTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    av_log_set_level(AV_LOG_ERROR);
    tmp_ = new lm::testing::TempDir();
    const fs::path source = tmp_->path() / "source.mp4";
    lm::testing::ClipSpec spec;
    spec.seconds = kSourceSeconds;
    spec.width = 640;
    spec.height = 360;
    ASSERT_TRUE(lm::testing::MakeClip(source, spec));
    BundleOptions options;
    options.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
    parent_ = tmp_->path() / "parent";
    auto parent = MakeBundle(source, parent_, options);
    ASSERT_TRUE(parent.ok()) << parent.status().ToString();
    parent_id_ = parent->id;
    ClipOptions clip_options;
    clip_options.web_seeds = {"http://127.0.0.1:8080/bundles"};
    auto exact = MakeClip(parent_, {6.0, 12.0, "分数的意义"}, tmp_->path() / "exact", clip_options);
    ASSERT_TRUE(exact.ok()) << exact.status().ToString();
    exact_ = new ClipSummary(*exact);
    auto partial = MakeClip(parent_, {kPartialStart, kPartialEnd, "练习"}, tmp_->path() / "partial", clip_options);
    ASSERT_TRUE(partial.ok()) << partial.status().ToString();
    partial_ = new ClipSummary(*partial);
  }
  static void TearDownTestSuite() {
    delete exact_;
    delete partial_;
    delete tmp_;
  }

  static inline lm::testing::TempDir* tmp_ = nullptr;
  static inline fs::path parent_;
  static inline std::string parent_id_;
  static inline ClipSummary* exact_ = nullptr;
  static inline ClipSummary* partial_ = nullptr;
};

// Every packet of one stream type, in file order, with its time relative to the track's first.
struct Packet {
  double t;
  std::string bytes;
  bool key;
};
std::vector<Packet> ReadPackets(const fs::path& file, AVMediaType type) {
  std::vector<Packet> out;
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, file.c_str(), nullptr, nullptr) < 0) return out;
  av::InputPtr in(raw);
  av::PacketPtr pkt = av::NewPacket();
  std::int64_t first = AV_NOPTS_VALUE;
  while (av_read_frame(in.get(), pkt.get()) >= 0) {
    const AVStream* st = in->streams[pkt->stream_index];
    if (st->codecpar->codec_type == type) {
      if (first == AV_NOPTS_VALUE) first = pkt->pts;
      out.push_back({static_cast<double>(pkt->pts - first) * av_q2d(st->time_base),
                     std::string(reinterpret_cast<const char*>(pkt->data), static_cast<size_t>(pkt->size)),
                     (pkt->flags & AV_PKT_FLAG_KEY) != 0});
    }
    av_packet_unref(pkt.get());
  }
  return out;
}

double LumaPsnr(const lm::testing::LumaFrame& a, const lm::testing::LumaFrame& b) {
  if (a.width != b.width || a.height != b.height) return 0;
  double se = 0;
  for (size_t i = 0; i < a.y.size(); ++i) {
    const double d = static_cast<double>(a.y[i]) - b.y[i];
    se += d * d;
  }
  const double mse = se / static_cast<double>(a.y.size());
  return mse == 0 ? 99.0 : 10.0 * std::log10(255.0 * 255.0 / mse);
}

TEST_F(ClipTest, ARangeOnSegmentBoundariesIsTheParentsBytesCopied) {
  ASSERT_NE(exact_, nullptr);
  EXPECT_EQ(exact_->segments_reencoded, 0);
  EXPECT_EQ(exact_->segments_copied, 2);  // one segment in each of 360p and 240p
  for (const char* name : {"360p", "240p", "audio"}) {
    const AVMediaType type = std::string(name) == "audio" ? AVMEDIA_TYPE_AUDIO : AVMEDIA_TYPE_VIDEO;
    const auto parent = ReadPackets(parent_ / (std::string(name) + ".mp4"), type);
    const auto clip = ReadPackets(exact_->bundle.dir / (std::string(name) + ".mp4"), type);
    std::vector<std::string> expected, got;
    for (const auto& p : parent) {
      if (p.t >= 6.0 - 1e-6 && p.t < 12.0 - 1e-6) expected.push_back(p.bytes);
    }
    for (const auto& p : clip) got.push_back(p.bytes);
    ASSERT_FALSE(expected.empty()) << name;
    EXPECT_EQ(got.size(), expected.size()) << name;
    EXPECT_TRUE(got == expected) << name << ": the clip's samples are not the parent's bytes";
  }
  // The clip is one 6 s segment per rendition, its media timeline starting at 0.
  auto probed = lm::testing::ProbeAndDecode((exact_->bundle.dir / "360p.mp4").string());
  ASSERT_NE(probed.Video(), nullptr);
  EXPECT_EQ(probed.Video()->decode_errors, 0);
  EXPECT_EQ(probed.Video()->frames_decoded, 180);
  EXPECT_NEAR(probed.Video()->end_s - probed.Video()->first_pts_s, 6.0, 1.0 / 30);
  EXPECT_EQ(probed.Video()->keyframes_s.size(), 1u);
}

// One test for the partial clip, so that the parent is transcoded once for all its checks.
TEST_F(ClipTest, APartialRangeIsReencodedAtItsEndsOnlyAndPlaysAsTheParentDid) {
  ASSERT_NE(partial_, nullptr);
  {
    SCOPED_TRACE("partial first and last segments re-encoded, the rest copied");
    EXPECT_EQ(partial_->start_seconds, kPartialStart);
    EXPECT_NEAR(partial_->end_seconds, kPartialEnd, 1e-9);
    EXPECT_EQ(partial_->segments_copied, 2);     // 6-12 s in 360p and 240p
    EXPECT_EQ(partial_->segments_reencoded, 4);  // 3-6 s and 12-12.4 s in each
    // The copied middle is still the parent's bytes.
    const auto parent = ReadPackets(parent_ / "360p.mp4", AVMEDIA_TYPE_VIDEO);
    const auto clip = ReadPackets(partial_->bundle.dir / "360p.mp4", AVMEDIA_TYPE_VIDEO);
    std::vector<std::string> expected, got;
    for (const auto& p : parent) {
      if (p.t >= 6.0 - 1e-6 && p.t < 12.0 - 1e-6) expected.push_back(p.bytes);
    }
    for (const auto& p : clip) {
      if (p.t >= 3.0 - 1e-6 && p.t < 9.0 - 1e-6) got.push_back(p.bytes);
    }
    EXPECT_TRUE(got == expected);
  }
  {
    SCOPED_TRACE("every rendition decodes whole with the range duration");
    const double seconds = kPartialEnd - kPartialStart;
    for (const auto& [name, fps] : std::map<std::string, double>{{"360p", 30}, {"240p", 15}}) {
      auto p = lm::testing::ProbeAndDecode((partial_->bundle.dir / (name + ".mp4")).string());
      ASSERT_TRUE(p.opened) << name << ": " << p.error;
      ASSERT_NE(p.Video(), nullptr) << name;
      EXPECT_EQ(p.Video()->decode_errors, 0) << name;
      EXPECT_EQ(p.Video()->frames_decoded, static_cast<int>(std::lround(seconds * fps))) << name;
      EXPECT_NEAR(p.Video()->end_s - p.Video()->first_pts_s, seconds, 1.0 / fps) << name;
      ASSERT_NE(p.Audio(), nullptr) << name;
      EXPECT_EQ(p.Audio()->decode_errors, 0) << name;
      EXPECT_NEAR(p.Audio()->end_s - p.Audio()->first_pts_s, seconds, 0.05) << name;
      // The HLS playlist plays it too.
      auto hls = lm::testing::ProbeAndDecode((partial_->bundle.dir / (name + ".m3u8")).string());
      ASSERT_NE(hls.Video(), nullptr) << name << ": " << hls.error;
      EXPECT_EQ(hls.Video()->decode_errors, 0) << name;
      EXPECT_EQ(hls.Video()->frames_decoded, p.Video()->frames_decoded) << name;
    }
    auto audio = lm::testing::ProbeAndDecode((partial_->bundle.dir / "audio.mp4").string());
    ASSERT_NE(audio.Audio(), nullptr);
    EXPECT_EQ(audio.Audio()->decode_errors, 0);
    EXPECT_NEAR(audio.Audio()->end_s - audio.Audio()->first_pts_s, seconds, 0.05);
    EXPECT_NEAR(partial_->bundle.duration_seconds, seconds, 1.0 / 15);
  }
  {
    SCOPED_TRACE("keyframes stay aligned across renditions");
    auto hi = lm::testing::ProbeAndDecode((partial_->bundle.dir / "360p.mp4").string());
    auto lo = lm::testing::ProbeAndDecode((partial_->bundle.dir / "240p.mp4").string());
    ASSERT_TRUE(hi.Video() && lo.Video());
    // The re-encoded 3-6 s, the copied 6-12 s, the re-encoded 12-12.4 s.
    const std::vector<double> expected = {0.0, 3.0, 9.0};
    ASSERT_EQ(hi.Video()->keyframes_s.size(), expected.size());
    ASSERT_EQ(lo.Video()->keyframes_s.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_NEAR(hi.Video()->keyframes_s[i] - hi.Video()->first_pts_s, expected[i], 0.5 / 30) << i;
      EXPECT_NEAR(lo.Video()->keyframes_s[i] - lo.Video()->first_pts_s, expected[i], 0.5 / 30) << i;
    }
    // The playlists cut the same segments.
    const auto m = bundle::ReadLessonManifest(partial_->bundle.dir);
    ASSERT_TRUE(m.ok());
    for (const auto& r : m->renditions) EXPECT_EQ(r.segments, 3) << r.name;
  }
  {
    SCOPED_TRACE("first and last pictures are the parent ones at the range ends");
    for (const auto& [name, fps] : std::map<std::string, double>{{"360p", 30}, {"240p", 15}}) {
      const auto parent = lm::testing::DecodeLumaFrames((parent_ / (name + ".mp4")).string(),
                                                        static_cast<int>(std::lround(kPartialEnd * fps)) + 2);
      const auto clip = lm::testing::DecodeLumaFrames((partial_->bundle.dir / (name + ".mp4")).string());
      ASSERT_EQ(parent.error, "") << name;
      ASSERT_EQ(clip.error, "") << name;
      ASSERT_FALSE(clip.frames.empty());
      const size_t first = static_cast<size_t>(std::lround(kPartialStart * fps));
      const size_t last = static_cast<size_t>(std::lround(kPartialEnd * fps)) - 1;
      ASSERT_GT(parent.frames.size(), last + 1);
      // Re-encoded from the decoded parent at the ladder's rate: close to it, and much closer than
      // the picture one frame away (the test pattern moves every frame).
      const double first_psnr = LumaPsnr(clip.frames.front(), parent.frames[first]);
      const double last_psnr = LumaPsnr(clip.frames.back(), parent.frames[last]);
      EXPECT_GT(first_psnr, 30) << name;
      EXPECT_GT(last_psnr, 30) << name;
      EXPECT_GT(first_psnr, LumaPsnr(clip.frames.front(), parent.frames[first + 1]) + 3) << name;
      EXPECT_GT(last_psnr, LumaPsnr(clip.frames.back(), parent.frames[last - 1]) + 3) << name;
    }
  }
}





TEST_F(ClipTest, LessonJsonNamesTheParentAndHashesEveryFile) {
  ASSERT_NE(partial_, nullptr);
  const fs::path dir = partial_->bundle.dir;
  auto m = bundle::ReadLessonManifest(dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->id, ClipLessonId(parent_id_, kPartialStart, kPartialEnd));
  EXPECT_EQ(m->id, partial_->bundle.id);
  EXPECT_NE(m->id, exact_->bundle.id);
  EXPECT_EQ(m->metadata.title, "练习");
  EXPECT_EQ(m->metadata.teacher, "王老师");
  ASSERT_TRUE(m->parent.has_value());
  EXPECT_EQ(m->parent->lesson_id, parent_id_);
  EXPECT_EQ(m->parent->start_seconds, kPartialStart);
  EXPECT_NEAR(m->parent->end_seconds, kPartialEnd, 1e-9);
  EXPECT_FALSE(m->poster.empty());
  for (const auto& f : m->files) {
    const std::string bytes = lm::testing::ReadFile(dir / f.path);
    EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), f.size_bytes) << f.path;
    EXPECT_EQ(Xxh3Of(bytes).Hex(), f.xxh3_128) << f.path;
  }
  auto torrent = bundle::ReadTorrentFile(dir / "lesson.torrent");
  ASSERT_TRUE(torrent.ok()) << torrent.status().ToString();
  EXPECT_EQ(torrent->info_hash_v2, partial_->bundle.info_hash_v2);
  // The same range again is the same bundle, left as it is.
  auto again = MakeClip(parent_, {kPartialStart, kPartialEnd, "练习"}, dir, {});
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->bundle.reused);
  EXPECT_EQ(again->bundle.id, m->id);
}

TEST_F(ClipTest, ChaptersMakeANewVersionWithTheSameMediaAndACorrectTorrent) {
  ASSERT_FALSE(parent_id_.empty());
  const fs::path root = tmp_->path() / "revised";
  BundleOptions options;
  options.web_seeds = {"http://127.0.0.1:8080/bundles"};
  const std::vector<bundle::Chapter> chapters = {{0, 6, "复习"}, {6, 13, "新课"}};
  auto revised = ReviseChapters(parent_, chapters, root, options);
  ASSERT_TRUE(revised.ok()) << revised.status().ToString();
  EXPECT_NE(revised->id, parent_id_);
  const fs::path dir = root / revised->id;
  auto m = bundle::ReadLessonManifest(dir);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->revises, parent_id_);
  ASSERT_EQ(m->chapters.size(), 2u);
  EXPECT_EQ(m->chapters[1].title, "新课");
  // The media are the parent's files, not copies made by decoding.
  for (const char* file : {"360p.mp4", "240p.mp4", "audio.mp4", "poster.jpg"}) {
    EXPECT_TRUE(fs::equivalent(dir / file, parent_ / file)) << file;
  }
  // The torrent, built from the old torrent's hashes, is what libtorrent makes reading the files.
  EXPECT_EQ(lm::testing::InfoHashesOfTorrent(lm::testing::ReadFile(dir / "lesson.torrent")),
            lm::testing::LibtorrentInfoHashesOf(dir, 256 * 1024, "lesson.torrent"));
  // The same chapters again: the same version; bad chapters name the field.
  auto again = ReviseChapters(parent_, chapters, root, options);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->reused);
  auto bad = ReviseChapters(parent_, {{0, 20, "太长"}}, root, options);
  EXPECT_EQ(bad.status().field(), "chapters[0].end_s");
}

TEST_F(ClipTest, BadRangesAndParentsAreRefusedNamingTheProblem) {
  ASSERT_NE(partial_, nullptr);
  auto r = ParseClipRange("05:10-12:40");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 310);
  EXPECT_EQ(r->second, 760);
  r = ParseClipRange("1:02:03.5-3730");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->first, 3723.5);
  EXPECT_EQ(r->second, 3730);
  for (const char* bad : {"", "5", "5-", "-5", "12:40-05:10", "1:70-2:00", "a-b", "1-2-3", "1:2:3:4-9"}) {
    auto parsed = ParseClipRange(bad);
    EXPECT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().field(), "at") << bad;
  }
  const fs::path out = tmp_->path() / "bad";
  auto past = MakeClip(parent_, {20, 30, ""}, out, {});
  EXPECT_EQ(past.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(past.status().field(), "at");
  auto tiny = MakeClip(parent_, {5, 5.5, ""}, out, {});
  EXPECT_EQ(tiny.status().field(), "at");
  EXPECT_EQ(MakeClip(tmp_->path() / "nothing", {1, 5, ""}, out, {}).status().code(), StatusCode::kNotFound);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace lm::transcoder
