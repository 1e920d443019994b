// One lesson clip through the whole pipeline, checked by reading every output back: renditions
// decode to the end with the source's duration, keyframes align, playlists' byte ranges land on
// fragments, lesson.json's hashes match the files, the torrent equals libtorrent's own.

#include "transcoder/bundle.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <libtorrent/torrent_info.hpp>
#include <set>
#include <map>
#include <regex>
#include <sstream>

#include "common/xxh3.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/media_probe.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/torrent_reference.h"
#include "tests/transcoder/leaves_nothing_check.h"

extern "C" {
#include <libavutil/log.h>
}

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;
using lm::testing::ReadFile;

constexpr double kSourceSeconds = 13.0;

class BundleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    av_log_set_level(AV_LOG_ERROR);
    tmp_ = new lm::testing::TempDir();
    source_ = tmp_->path() / "source.mp4";
    lm::testing::ClipSpec spec;
    spec.seconds = kSourceSeconds;
    spec.width = 640;
    spec.height = 360;
    ASSERT_TRUE(lm::testing::MakeClip(source_, spec));
    options_.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
    options_.web_seeds = {"http://127.0.0.1:8080/bundles"};
    options_.trackers = {"http://127.0.0.1:8080/announce"};
    bundle_ = tmp_->path() / "out" / "bundle";
    auto result = MakeBundle(source_, bundle_, options_);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    summary_ = new BundleSummary(*result);
  }
  static void TearDownTestSuite() {
    delete summary_;
    delete tmp_;
  }

  static nlohmann::json Manifest() { return nlohmann::json::parse(ReadFile(bundle_ / "lesson.json")); }

  static inline lm::testing::TempDir* tmp_ = nullptr;
  static inline fs::path source_;
  static inline fs::path bundle_;
  static inline BundleOptions options_;
  static inline BundleSummary* summary_ = nullptr;
};

std::vector<std::string> Names(const std::vector<RenditionSummary>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.name);
  return out;
}

TEST_F(BundleTest, BundleHoldsExactlyTheExpectedFiles) {
  ASSERT_NE(summary_, nullptr);
  std::set<std::string> files;
  for (const auto& e : fs::directory_iterator(bundle_)) files.insert(e.path().filename().string());
  EXPECT_EQ(files, (std::set<std::string>{"master.m3u8", "360p.mp4", "360p.m3u8", "240p.mp4", "240p.m3u8",
                                          "audio.mp4", "audio.m3u8", "poster.jpg", "lesson.json", "lesson.torrent"}));
  EXPECT_EQ(Names(summary_->renditions), (std::vector<std::string>{"360p", "240p", "audio"}));
  // Nothing but the bundle is left beside it.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(bundle_.parent_path())) ++entries;
  EXPECT_EQ(entries, 1u);
}

TEST_F(BundleTest, EveryRenditionDecodesToTheEndWithTheSourceDuration) {
  ASSERT_NE(summary_, nullptr);
  struct Expect {
    std::string file;
    int width, height;
    double fps;
  };
  for (const Expect& e : {Expect{"360p.mp4", 640, 360, 30}, Expect{"240p.mp4", 426, 240, 15}}) {
    SCOPED_TRACE(e.file);
    auto probe = lm::testing::ProbeAndDecode((bundle_ / e.file).string());
    ASSERT_TRUE(probe.opened) << probe.error;
    const auto* v = probe.Video();
    const auto* a = probe.Audio();
    ASSERT_NE(v, nullptr);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(v->codec, "h264");
    EXPECT_EQ(v->profile, "High");
    EXPECT_EQ(v->width, e.width);
    EXPECT_EQ(v->height, e.height);
    EXPECT_EQ(v->decode_errors, 0);
    EXPECT_EQ(v->frames_decoded, kSourceSeconds * e.fps);  // every frame, the last one too
    EXPECT_NEAR(v->end_s - v->first_pts_s, kSourceSeconds, 0.05);  // see KeyframesFall... on first_pts
    EXPECT_EQ(a->codec, "aac");
    EXPECT_EQ(a->channels, 2);
    EXPECT_EQ(a->sample_rate, 48000);
    EXPECT_EQ(a->decode_errors, 0);
    EXPECT_NEAR(a->end_s, kSourceSeconds, 0.1);
  }
  auto audio = lm::testing::ProbeAndDecode((bundle_ / "audio.mp4").string());
  ASSERT_TRUE(audio.opened);
  ASSERT_EQ(audio.streams.size(), 1u);
  EXPECT_EQ(audio.streams[0].codec, "aac");
  EXPECT_EQ(audio.streams[0].channels, 1);
  EXPECT_EQ(audio.streams[0].decode_errors, 0);
  EXPECT_NEAR(audio.streams[0].end_s, kSourceSeconds, 0.1);
  EXPECT_NEAR(summary_->duration_seconds, kSourceSeconds, 0.1);
}

TEST_F(BundleTest, KeyframesFallAtTheSameTimesInEveryRendition) {
  ASSERT_NE(summary_, nullptr);
  auto hi = lm::testing::ProbeAndDecode((bundle_ / "360p.mp4").string());
  auto lo = lm::testing::ProbeAndDecode((bundle_ / "240p.mp4").string());
  ASSERT_TRUE(hi.Video() && lo.Video());
  // One keyframe per 6 s segment, at 0, 6 and 12 s.
  ASSERT_EQ(hi.Video()->keyframes_s.size(), 3u);
  ASSERT_EQ(lo.Video()->keyframes_s.size(), 3u);
  // libav's mov demuxer starts a track whose B-frames need negative composition offsets at the
  // reorder delay (different per frame rate); players start at the fragment's decode time. Compare
  // keyframes relative to each track's first presentation time.
  for (size_t i = 0; i < 3; ++i) {
    const double hi_t = hi.Video()->keyframes_s[i] - hi.Video()->first_pts_s;
    const double lo_t = lo.Video()->keyframes_s[i] - lo.Video()->first_pts_s;
    EXPECT_NEAR(hi_t, 6.0 * i, 0.5 / 30);
    EXPECT_NEAR(lo_t, hi_t, 0.5 / 30);
  }
}

struct PlaylistEntry {
  double duration;
  std::int64_t length, offset;
};

struct MediaPlaylistView {
  std::int64_t init_length = -1, init_offset = -1;
  std::vector<PlaylistEntry> segments;
  bool ended = false;
};

MediaPlaylistView ParseMediaPlaylist(const std::string& text, const std::string& file) {
  MediaPlaylistView v;
  std::istringstream in(text);
  std::string line;
  double pending = -1;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, std::regex(R"re(#EXT-X-MAP:URI="(.+)",BYTERANGE="(\d+)@(\d+)")re"))) {
      EXPECT_EQ(m[1], file);
      v.init_length = std::stoll(m[2]);
      v.init_offset = std::stoll(m[3]);
    } else if (std::regex_match(line, m, std::regex(R"(#EXTINF:([0-9.]+),)"))) {
      pending = std::stod(m[1]);
    } else if (std::regex_match(line, m, std::regex(R"(#EXT-X-BYTERANGE:(\d+)@(\d+))"))) {
      v.segments.push_back({pending, std::stoll(m[1]), std::stoll(m[2])});
    } else if (line == "#EXT-X-ENDLIST") {
      v.ended = true;
    } else if (!line.empty() && line[0] != '#') {
      EXPECT_EQ(line, file);
    }
  }
  return v;
}

std::string BoxTypeAt(const std::string& bytes, std::int64_t offset) {
  if (offset + 8 > static_cast<std::int64_t>(bytes.size())) return "";
  return bytes.substr(static_cast<size_t>(offset) + 4, 4);
}

TEST_F(BundleTest, PlaylistByteRangesPointAtFragments) {
  ASSERT_NE(summary_, nullptr);
  for (const std::string name : {"360p", "240p", "audio"}) {
    SCOPED_TRACE(name);
    const std::string media = ReadFile(bundle_ / (name + ".mp4"));
    const auto pl = ParseMediaPlaylist(ReadFile(bundle_ / (name + ".m3u8")), name + ".mp4");
    EXPECT_TRUE(pl.ended);
    EXPECT_EQ(pl.init_offset, 0);
    EXPECT_EQ(BoxTypeAt(media, 0), "ftyp");
    EXPECT_EQ(BoxTypeAt(media, 28), "moov");  // ftyp is 28 bytes with our brands
    ASSERT_EQ(pl.segments.size(), 3u);        // 6 + 6 + 1 s
    std::int64_t expected_offset = pl.init_length;
    double total = 0;
    for (const auto& s : pl.segments) {
      EXPECT_EQ(s.offset, expected_offset);  // contiguous, no gaps
      EXPECT_EQ(BoxTypeAt(media, s.offset), "moof");
      expected_offset = s.offset + s.length;
      total += s.duration;
    }
    EXPECT_EQ(expected_offset, static_cast<std::int64_t>(media.size()));
    EXPECT_NEAR(pl.segments[0].duration, 6.0, 0.05);
    EXPECT_NEAR(total, kSourceSeconds, 0.1);
  }
  // libav's own HLS demuxer plays the byte-range playlist through.
  auto hls = lm::testing::ProbeAndDecode((bundle_ / "240p.m3u8").string());
  ASSERT_TRUE(hls.opened) << hls.error;
  ASSERT_NE(hls.Video(), nullptr);
  EXPECT_EQ(hls.Video()->decode_errors, 0);
  EXPECT_NEAR(hls.Video()->frames_decoded, kSourceSeconds * 15, 2);
}

TEST_F(BundleTest, MasterPlaylistListsEveryRendition) {
  ASSERT_NE(summary_, nullptr);
  const std::string master = ReadFile(bundle_ / "master.m3u8");
  std::regex inf(R"re(#EXT-X-STREAM-INF:BANDWIDTH=(\d+),AVERAGE-BANDWIDTH=(\d+)(,RESOLUTION=(\d+)x(\d+),FRAME-RATE=([0-9.]+))?,CODECS="([^"]+)"\n(\S+)\n)re");
  std::vector<std::string> uris, codecs, resolutions;
  for (auto it = std::sregex_iterator(master.begin(), master.end(), inf); it != std::sregex_iterator(); ++it) {
    uris.push_back((*it)[8]);
    codecs.push_back((*it)[7]);
    resolutions.push_back((*it)[4].str() + "x" + (*it)[5].str());
    EXPECT_GE(std::stoll((*it)[1]), std::stoll((*it)[2]));  // peak >= average
  }
  EXPECT_EQ(uris, (std::vector<std::string>{"360p.m3u8", "240p.m3u8", "audio.m3u8"}));
  EXPECT_EQ(resolutions, (std::vector<std::string>{"640x360", "426x240", "x"}));
  EXPECT_EQ(codecs[2], "mp4a.40.2");
  EXPECT_TRUE(std::regex_match(codecs[0], std::regex(R"(avc1\.64[0-9a-f]{4},mp4a\.40\.2)"))) << codecs[0];
}

TEST_F(BundleTest, ManifestListsEveryFileWithItsHash) {
  ASSERT_NE(summary_, nullptr);
  const auto j = Manifest();
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["id"], summary_->id);
  EXPECT_EQ(j["kind"], "lesson");
  EXPECT_EQ(j["title"], "分数的初步认识");
  EXPECT_EQ(j["teacher"], "王老师");
  EXPECT_EQ(j["subject"], "数学");
  EXPECT_EQ(j["grade"], "三年级");
  EXPECT_NEAR(j["duration_s"].get<double>(), kSourceSeconds, 0.1);
  EXPECT_EQ(j["poster"], "poster.jpg");
  EXPECT_EQ(j["source"]["xxh3_128"], Xxh3Of(ReadFile(source_)).Hex());
  ASSERT_EQ(j["renditions"].size(), 3u);
  EXPECT_EQ(j["renditions"][0]["name"], "360p");
  EXPECT_EQ(j["renditions"][0]["width"], 640);
  EXPECT_EQ(j["renditions"][1]["fps"], 15.0);
  EXPECT_EQ(j["renditions"][2]["kind"], "audio");

  std::set<std::string> listed;
  for (const auto& f : j["files"]) {
    const std::string path = f["path"];
    SCOPED_TRACE(path);
    const std::string bytes = ReadFile(bundle_ / path);
    EXPECT_EQ(f["size"].get<std::int64_t>(), static_cast<std::int64_t>(bytes.size()));
    EXPECT_EQ(f["xxh3_128"], Xxh3Of(bytes).Hex());
    listed.insert(path);
  }
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(bundle_)) on_disk.insert(e.path().filename().string());
  on_disk.erase("lesson.json");
  on_disk.erase("lesson.torrent");
  EXPECT_EQ(listed, on_disk);
}

TEST_F(BundleTest, TorrentEqualsWhatLibtorrentComputesFromDisk) {
  ASSERT_NE(summary_, nullptr);
  // libtorrent names a torrent after its folder: lay the bundle out under the lesson id.
  const fs::path ref = tmp_->path() / "ref" / summary_->id;
  fs::create_directories(ref.parent_path());
  fs::copy(bundle_, ref, fs::copy_options::recursive);
  const auto reference = lm::testing::LibtorrentInfoHashesOf(ref, options_.piece_size_bytes, "lesson.torrent");
  const auto ours = lm::testing::InfoHashesOfTorrent(ReadFile(bundle_ / "lesson.torrent"));
  EXPECT_EQ(ours, reference);
  EXPECT_EQ(summary_->info_hash_v1, reference.v1);
  EXPECT_EQ(summary_->info_hash_v2, reference.v2);
  EXPECT_FALSE(reference.v1.empty());
  EXPECT_FALSE(reference.v2.empty());
}

// The torrent as lesson.json's neighbours promise it: 256 KiB pieces, the web seeds and trackers
// given, every file of the bundle but lesson.torrent itself.
TEST_F(BundleTest, TorrentHasQuarterMebibytePiecesWebSeedsAndTrackers) {
  ASSERT_NE(summary_, nullptr);
  lt::error_code ec;
  const lt::torrent_info ti((bundle_ / "lesson.torrent").string(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(ti.piece_length(), 256 * 1024);
  std::vector<std::string> trackers, seeds;
  for (const auto& t : ti.trackers()) trackers.push_back(t.url);
  for (const auto& w : ti.web_seeds()) seeds.push_back(w.url);
  EXPECT_EQ(trackers, options_.trackers);
  ASSERT_EQ(seeds.size(), 1u);
  EXPECT_EQ(seeds[0].rfind(options_.web_seeds[0], 0), 0u) << seeds[0];
  std::set<std::string> in_torrent;
  const auto& files = ti.files();
  for (const lt::file_index_t i : files.file_range()) {
    if (!files.pad_file_at(i)) in_torrent.insert(fs::path(files.file_path(i)).filename().string());
  }
  std::set<std::string> in_manifest;
  const auto manifest = Manifest();
  for (const auto& f : manifest["files"]) in_manifest.insert(f["path"].get<std::string>());
  in_manifest.insert("lesson.json");
  EXPECT_EQ(in_torrent, in_manifest);
}

// Audio as the README states it: AAC-LC, 96 kbit/s stereo in every video rung, 48 kbit/s mono alone.
TEST_F(BundleTest, AudioIsAacLcAtTheStatedRates) {
  ASSERT_NE(summary_, nullptr);
  struct Expect {
    std::string file;
    int channels;
    std::int64_t bit_rate;
  };
  for (const Expect& e : {Expect{"360p.mp4", 2, 96000}, Expect{"240p.mp4", 2, 96000}, Expect{"audio.mp4", 1, 48000}}) {
    SCOPED_TRACE(e.file);
    auto probe = lm::testing::ProbeAndDecode((bundle_ / e.file).string());
    ASSERT_NE(probe.Audio(), nullptr);
    EXPECT_EQ(probe.Audio()->codec, "aac");
    EXPECT_EQ(probe.Audio()->profile, "LC");
    EXPECT_EQ(probe.Audio()->channels, e.channels);
    EXPECT_EQ(probe.Audio()->sample_rate, 48000);
    // The rate the file declares for its audio track (esds), within 20 %.
    EXPECT_NEAR(static_cast<double>(probe.Audio()->bit_rate), static_cast<double>(e.bit_rate), 0.2 * e.bit_rate)
        << "declared " << probe.Audio()->bit_rate;
  }
}

// The full ladder from an HD source: 720p, 480p, 360p and 240p keyframes at the same times, and
// every playlist, audio-only included, cut into fragments of the same durations.
TEST(BundleLadderTest, KeyframesAndFragmentsAlignAcrossTheWholeLadder) {
  av_log_set_level(AV_LOG_ERROR);
  lm::testing::TempDir tmp;
  lm::testing::ClipSpec spec;
  spec.seconds = 7;
  spec.width = 1280;
  spec.height = 720;
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "hd.mp4", spec));
  BundleOptions options;
  options.x264_preset = "ultrafast";
  auto result = MakeBundle(tmp / "hd.mp4", tmp / "b", options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(Names(result->renditions), (std::vector<std::string>{"720p", "480p", "360p", "240p", "audio"}));
  std::vector<double> reference;
  for (const std::string name : {"720p", "480p", "360p", "240p"}) {
    SCOPED_TRACE(name);
    auto probe = lm::testing::ProbeAndDecode((tmp / "b" / (name + ".mp4")).string());
    ASSERT_NE(probe.Video(), nullptr);
    std::vector<double> keys;
    for (double k : probe.Video()->keyframes_s) keys.push_back(k - probe.Video()->first_pts_s);
    ASSERT_EQ(keys.size(), 2u);  // 0 and 6 s
    if (reference.empty()) reference = keys;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      EXPECT_NEAR(keys[i], 6.0 * static_cast<double>(i), 0.5 / 30);
      EXPECT_NEAR(keys[i], reference[i], 0.5 / 30);
    }
  }
  std::vector<double> durations;
  for (const std::string name : {"720p", "480p", "360p", "240p", "audio"}) {
    SCOPED_TRACE(name);
    const auto pl = ParseMediaPlaylist(lm::testing::ReadFile(tmp / "b" / (name + ".m3u8")), name + ".mp4");
    ASSERT_EQ(pl.segments.size(), 2u);  // 6 + 1 s
    if (durations.empty()) {
      for (const auto& seg : pl.segments) durations.push_back(seg.duration);
    }
    for (std::size_t i = 0; i < pl.segments.size(); ++i) {
      EXPECT_NEAR(pl.segments[i].duration, durations[i], 1024.0 / 48000 + 0.001);  // within one AAC frame
    }
  }
  EXPECT_NEAR(durations[0], 6.0, 0.05);
}

TEST_F(BundleTest, SameInputSameIdAndRerunIsANoOp) {
  ASSERT_NE(summary_, nullptr);
  const auto before = fs::last_write_time(bundle_ / "lesson.json");
  auto again = MakeBundle(source_, bundle_, options_);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_TRUE(again->reused);
  EXPECT_EQ(again->id, summary_->id);
  // The no-op still reports the bundle as made.
  EXPECT_EQ(again->info_hash_v1, summary_->info_hash_v1);
  EXPECT_EQ(again->info_hash_v2, summary_->info_hash_v2);
  EXPECT_EQ(again->total_bytes, summary_->total_bytes);
  EXPECT_EQ(Names(again->renditions), Names(summary_->renditions));
  EXPECT_DOUBLE_EQ(again->duration_seconds, summary_->duration_seconds);
  EXPECT_EQ(fs::last_write_time(bundle_ / "lesson.json"), before);

  // A copy of the same bytes under another name is the same lesson.
  const fs::path copy = tmp_->path() / "renamed-upload.bin";
  fs::copy_file(source_, copy);
  BundleOptions other = options_;
  other.metadata.title = "another title does not change the id";
  auto same = MakeBundle(copy, tmp_->path() / "out2" / "b", other);
  ASSERT_TRUE(same.ok()) << same.status().ToString();
  EXPECT_EQ(same->id, summary_->id);
  EXPECT_FALSE(same->reused);

  // Different settings: a different lesson id.
  other.x264_preset = "ultrafast";
  auto different = MakeBundle(source_, tmp_->path() / "out3" / "b", other);
  ASSERT_TRUE(different.ok()) << different.status().ToString();
  EXPECT_NE(different->id, summary_->id);
}

// Cancelled at the first progress report (a job cancelled mid-transcode), or before it starts
// (a stop that came first): the result says so and nothing is left, no bundle, no staging dir.
TEST_F(BundleTest, CancelLeavesNothingBehind) {
  for (const bool before_start : {false, true}) {
    SCOPED_TRACE(before_start ? "cancelled before the start" : "cancelled at the first progress report");
    ExpectCancelLeavesNothing(source_, tmp_->path() / (before_start ? "cancelled-early" : "cancelled"), options_,
                              kSourceSeconds, before_start);
  }
}

// The disk fills mid-transcode: the write's error, and nothing left behind.
TEST_F(BundleTest, AWriteThatFailsMidTranscodeGivesItsErrorAndLeavesNothing) {
  ExpectFailedWriteLeavesNothing(source_, tmp_->path() / "disk-full", options_);
}

}  // namespace
}  // namespace lm::transcoder
