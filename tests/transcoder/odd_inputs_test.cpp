// Bad and odd uploads, table-driven: each case makes its input, runs the pipeline, and checks the
// outcome: a clear error and nothing written, or a bundle whose renditions are what that input
// should give.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>

#include "tests/testing/luma_frames.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/media_probe.h"
#include "tests/testing/temp_dir.h"
#include "transcoder/bundle.h"

extern "C" {
#include <libavutil/log.h>
}

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;
using lm::testing::ClipSpec;
using lm::testing::MakeClip;
using lm::testing::RunFfmpeg;

// Makes the input at the given path; false if the tools could not.
using MakeInput = std::function<bool(const fs::path&)>;

struct OddCase {
  std::string name;
  std::string file_name;
  MakeInput make;
  StatusCode expected = StatusCode::kOk;
  std::vector<std::string> renditions;  // when ok: names, in order
  std::string message_has;              // when failing: part of the message
  int top_width = 0, top_height = 0;    // when ok and video: the first rendition's size
  BundleKind kind = BundleKind::kLesson;
  double top_fps = 0;                   // when ok and video: the first rendition's frame rate
};

void PrintTo(const OddCase& c, std::ostream* os) { *os << c.name; }

bool WriteBytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

// An Office Open XML package (a ZIP with [Content_Types].xml and the main part), made with
// Python's zipfile so the test does not depend on an office suite.
bool MakeOfficeZip(const fs::path& p, const std::string& main_part, bool content_types = true) {
  std::string script = "import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w',zipfile.ZIP_DEFLATED)\n";
  if (content_types) script += "z.writestr('[Content_Types].xml','<Types/>')\n";
  script += "z.writestr('" + main_part + "','<x>分数</x>')\nz.close()\n";
  const fs::path py = p.string() + ".py";
  if (!WriteBytes(py, script)) return false;
  return std::system(("python3 '" + py.string() + "' '" + p.string() + "'").c_str()) == 0;
}

ClipSpec Small(double seconds = 3) {
  ClipSpec s;
  s.seconds = seconds;
  s.width = 320;
  s.height = 240;
  return s;
}

std::vector<OddCase> Cases() {
  std::vector<OddCase> c;
  c.push_back({"ZeroBytes", "empty.mp4", [](const fs::path& p) { return WriteBytes(p, ""); },
               StatusCode::kUnsupportedInput, {}, "empty"});
  c.push_back({"RandomBytes", "noise.mp4",
               [](const fs::path& p) {
                 std::mt19937 rng(7);
                 std::string s(256 * 1024, '\0');
                 for (auto& ch : s) ch = static_cast<char>(rng());
                 return WriteBytes(p, s);
               },
               StatusCode::kUnsupportedInput, {}, "neither media nor a known document"});
  c.push_back({"TruncatedMp4", "cut.mp4",
               [](const fs::path& p) {
                 const fs::path whole = p.string() + ".whole.mp4";
                 if (!MakeClip(whole, Small())) return false;
                 const std::string bytes = lm::testing::ReadFile(whole);
                 return WriteBytes(p, bytes.substr(0, bytes.size() / 2));  // moov is at the end: gone
               },
               StatusCode::kUnsupportedInput, {}, "neither media nor a known document"});
  c.push_back({"TextRenamedMp4", "notes.mp4",
               [](const fs::path& p) {
                 return WriteBytes(p, "第三单元 分数的初步认识\n教学目标：认识几分之一。\nThis is not a video.\n");
               },
               StatusCode::kUnsupportedInput, {}, "neither media nor a known document"});
  c.push_back({"OnePixelVideo", "dot.mkv",
               [](const fs::path& p) {
                 return RunFfmpeg("-f lavfi -i testsrc2=size=16x16:rate=10:duration=1 -vf scale=1:1 -c:v ffv1 '" + p.string() +
                                  "'");
               },
               StatusCode::kUnsupportedInput, {}, "1x1"});
  c.push_back({"OddSize1921x1081", "odd.mkv",
               [](const fs::path& p) {
                 return RunFfmpeg("-f lavfi -i testsrc2=size=1921x1081:rate=30:duration=1 -f lavfi -i "
                                  "sine=duration=1 -c:v ffv1 -pix_fmt yuv420p -c:a flac '" + p.string() + "'");
               },
               StatusCode::kOk, {"720p", "480p", "360p", "240p", "audio"}, "", 1280, 720, BundleKind::kLesson, 30});
  c.push_back({"RotatedPortraitPhone", "phone.mp4",
               [](const fs::path& p) {
                 ClipSpec s = Small();
                 s.width = 640;
                 s.height = 360;
                 const fs::path upright = p.string() + ".landscape.mp4";
                 return MakeClip(upright, s) && lm::testing::RemuxWithRotation(upright, p, 90);
               },
               StatusCode::kOk, {"360p", "240p", "audio"}, "", 360, 640, BundleKind::kLesson, 30});
  c.push_back({"AudioOnly", "talk.m4a",
               [](const fs::path& p) {
                 ClipSpec s = Small();
                 s.video = false;
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"audio"}, ""});
  c.push_back({"SurroundWav", "hall.wav",
               [](const fs::path& p) {
                 return RunFfmpeg("-f lavfi -i sine=frequency=300:sample_rate=22050:duration=2 -ac 6 -c:a pcm_s16le '" +
                                  p.string() + "'");
               },
               StatusCode::kOk, {"audio"}, ""});
  c.push_back({"VideoOnly", "silent.mp4",
               [](const fs::path& p) {
                 ClipSpec s = Small();
                 s.audio = false;
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"240p"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"VariableFrameRate", "vfr.mkv",
               [](const fs::path& p) {
                 ClipSpec s = Small(4);
                 s.extra = "-vf \"select='not(eq(mod(n\\,7)\\,3))*not(eq(mod(n\\,5)\\,1))'\" -fps_mode vfr";
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"240p", "audio"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"InterlacedMpeg2Ts", "classroom.ts",
               [](const fs::path& p) {
                 ClipSpec s = Small();
                 s.width = 720;
                 s.height = 576;
                 s.fps = "25";
                 s.video_codec = "-c:v mpeg2video -b:v 4M -flags +ilme+ildct -top 1 -vf tinterlace=mode=interleave_top,fieldorder=tff";
                 s.audio_codec = "-c:a mp2";
                 s.extra = "-aspect 16:9 -f mpegts";  // broadcast PAL: anamorphic 16:9
                 return MakeClip(p, s);
               },
               // tinterlace weaves two frames into one: the source has 12.5 interlaced frames a second,
               // which the ladder snaps to 12.
               StatusCode::kOk, {"480p", "360p", "240p", "audio"}, "", 854, 480, BundleKind::kLesson, 12});
  c.push_back({"Hevc10Bit", "hevc10.mkv",
               [](const fs::path& p) {
                 ClipSpec s = Small();
                 s.video_codec = "-c:v libx265 -preset ultrafast -pix_fmt yuv420p10le -x265-params log-level=error";
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"240p", "audio"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"Vp9WebM", "lesson.webm",
               [](const fs::path& p) {
                 ClipSpec s = Small(2);
                 s.video_codec = "-c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 300k";
                 s.audio_codec = "-c:a libopus";
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"240p", "audio"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"Av1Mkv", "lesson-av1.mkv",
               [](const fs::path& p) {
                 ClipSpec s = Small(1);
                 s.video_codec = "-c:v libaom-av1 -cpu-used 8 -row-mt 1 -b:v 200k";
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"240p", "audio"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"FlvFromScreenRecorder", "screen.flv",
               [](const fs::path& p) { return MakeClip(p, Small(2)); },
               StatusCode::kOk, {"240p", "audio"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"AviMpeg4", "old-camera.avi",
               [](const fs::path& p) {
                 ClipSpec s = Small(2);
                 s.video_codec = "-c:v mpeg4";
                 s.audio_codec = "-c:a pcm_s16le";
                 return MakeClip(p, s);
               },
               StatusCode::kOk, {"240p", "audio"}, "", 320, 240, BundleKind::kLesson, 15});
  c.push_back({"PdfCourseware", "slides.bin",
               [](const fs::path& p) {
                 return WriteBytes(p, "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
               },
               StatusCode::kOk, {}, "", 0, 0, BundleKind::kDocument});
  c.push_back({"PptxCourseware", "lesson-slides.dat",
               [](const fs::path& p) { return MakeOfficeZip(p, "ppt/presentation.xml"); },
               StatusCode::kOk, {}, "", 0, 0, BundleKind::kDocument});
  c.push_back({"DocxLessonPlan", "plan.pptx",  // misnamed: the content says Word
               [](const fs::path& p) { return MakeOfficeZip(p, "word/document.xml"); },
               StatusCode::kOk, {}, "", 0, 0, BundleKind::kDocument});
  c.push_back({"PlainZipIsNotCourseware", "archive.zip",
               [](const fs::path& p) { return MakeOfficeZip(p, "readme.txt", /*content_types=*/false); },
               StatusCode::kUnsupportedInput, {}, "neither media nor a known document"});
  c.push_back({"PngNamedMp4", "diagram.mp4",
               [](const fs::path& p) {
                 return RunFfmpeg("-f lavfi -i testsrc2=size=64x64:duration=0.1 -frames:v 1 -f image2 -c:v png '" +
                                  p.string() + "'");
               },
               StatusCode::kOk, {}, "", 0, 0, BundleKind::kDocument});
  return c;
}

class OddInputTest : public ::testing::TestWithParam<OddCase> {
 protected:
  static void SetUpTestSuite() { av_log_set_level(AV_LOG_QUIET); }
};

TEST_P(OddInputTest, GivesTheExpectedOutcome) {
  const OddCase& c = GetParam();
  lm::testing::TempDir tmp;
  const fs::path input = tmp / c.file_name;
  ASSERT_TRUE(c.make(input)) << "could not make the input";
  const fs::path out_parent = tmp / "bundles";
  fs::create_directories(out_parent);
  BundleOptions options;
  options.x264_preset = "ultrafast";
  auto result = MakeBundle(input, out_parent / "b", options);

  if (c.expected != StatusCode::kOk) {
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), c.expected) << result.status().ToString();
    EXPECT_NE(result.status().message().find(c.message_has), std::string::npos) << result.status().message();
    EXPECT_TRUE(fs::is_empty(out_parent)) << "a failed input left files behind";
    return;
  }
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->kind, c.kind);
  std::vector<std::string> names;
  for (const auto& r : result->renditions) names.push_back(r.name);
  EXPECT_EQ(names, c.renditions);
  const auto manifest = nlohmann::json::parse(lm::testing::ReadFile(out_parent / "b" / "lesson.json"));
  if (c.kind == BundleKind::kDocument) {
    EXPECT_EQ(manifest["kind"], "document");
    const std::string doc = manifest["document"]["file"];
    if (c.name == "PptxCourseware") { EXPECT_EQ(doc, "document.pptx"); }
    if (c.name == "DocxLessonPlan") { EXPECT_EQ(doc, "document.docx"); }
    if (c.name == "PdfCourseware") { EXPECT_EQ(doc, "document.pdf"); }
    EXPECT_EQ(lm::testing::ReadFile(out_parent / "b" / doc), lm::testing::ReadFile(input));
    return;
  }
  // Every rendition read back from its file: what the summary and lesson.json claim is what the
  // file holds. Video: H.264, 8-bit 4:2:0 (also from 10-bit HEVC), progressive (also from an
  // interlaced source), the listed size, every frame one frame interval after the last.
  ASSERT_EQ(manifest["renditions"].size(), result->renditions.size());
  for (std::size_t i = 0; i < result->renditions.size(); ++i) {
    const RenditionSummary& r = result->renditions[i];
    SCOPED_TRACE(r.name);
    EXPECT_EQ(manifest["renditions"][i]["name"], r.name);
    auto probe = lm::testing::ProbeAndDecode((out_parent / "b" / r.file).string());
    ASSERT_TRUE(probe.opened) << probe.error;
    if (r.width > 0) {
      ASSERT_NE(probe.Video(), nullptr);
      const auto& v = *probe.Video();
      EXPECT_EQ(v.decode_errors, 0);
      EXPECT_EQ(v.codec, "h264");
      // 8-bit 4:2:0 whatever the source: no High 10 from 10-bit HEVC. (These cases use x264's
      // ultrafast preset, Constrained Baseline; bundle_test checks High with the default one.)
      EXPECT_EQ(v.profile.find("10"), std::string::npos) << v.profile;
      EXPECT_EQ(v.pix_fmt, "yuv420p");
      EXPECT_EQ(v.interlaced_frames, 0);
      EXPECT_EQ(v.width, r.width);
      EXPECT_EQ(v.height, r.height);
      EXPECT_EQ(manifest["renditions"][i]["width"], v.width);
      EXPECT_EQ(manifest["renditions"][i]["height"], v.height);
      ASSERT_GT(r.fps, 0);
      ASSERT_GE(v.frame_times_s.size(), 2u);
      EXPECT_NEAR(v.frame_times_s.size() / r.fps, result->duration_seconds, 2.0 / r.fps);
      int uneven = 0;
      for (std::size_t f = 1; f < v.frame_times_s.size(); ++f) {
        const double interval = v.frame_times_s[f] - v.frame_times_s[f - 1];
        if (std::abs(interval - 1 / r.fps) > 0.002 && ++uneven <= 3) {
          ADD_FAILURE() << "frame " << f << " comes " << interval << " s after the last, not " << 1 / r.fps;
        }
      }
      EXPECT_EQ(uneven, 0);
    } else {
      ASSERT_NE(probe.Audio(), nullptr);
      EXPECT_EQ(probe.Video(), nullptr);
      EXPECT_EQ(probe.Audio()->decode_errors, 0);
      EXPECT_GT(probe.Audio()->frames_decoded, 0);
    }
  }
  if (c.name == "InterlacedMpeg2Ts") { EXPECT_EQ(manifest["source"]["video"]["interlaced"], true); }
  if (c.name == "RotatedPortraitPhone") { EXPECT_EQ(manifest["source"]["video"]["rotation"], 90); }
  if (c.top_width > 0) {
    EXPECT_EQ(result->renditions.front().width, c.top_width);
    EXPECT_EQ(result->renditions.front().height, c.top_height);
    EXPECT_DOUBLE_EQ(result->renditions.front().fps, c.top_fps);
    // The poster decodes, one picture the way the top rendition stands (portrait stays portrait).
    auto poster = lm::testing::ProbeAndDecode((out_parent / "b" / "poster.jpg").string());
    ASSERT_TRUE(poster.opened) << poster.error;
    ASSERT_NE(poster.Video(), nullptr);
    EXPECT_EQ(poster.Video()->frames_decoded, 1);
    EXPECT_EQ(poster.Video()->decode_errors, 0);
    EXPECT_EQ(poster.Video()->width > poster.Video()->height, c.top_width > c.top_height)
        << poster.Video()->width << "x" << poster.Video()->height;
  } else {
    EXPECT_FALSE(fs::exists(out_parent / "b" / "poster.jpg"));
  }
}

INSTANTIATE_TEST_SUITE_P(Uploads, OddInputTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<OddCase>& info) { return info.param.name; });

// A variable-frame-rate phone clip comes out at a constant rate: every frame interval equal, read
// from the decoded frames (not the container's average, which a VFR file can also show).
TEST(OddInputTiming, VariableFrameRateBecomesConstant) {
  av_log_set_level(AV_LOG_QUIET);
  lm::testing::TempDir tmp;
  ClipSpec s = Small(4);
  s.extra = "-vf \"select='not(eq(mod(n\\,7)\\,3))*not(eq(mod(n\\,5)\\,1))'\" -fps_mode vfr";
  ASSERT_TRUE(MakeClip(tmp / "vfr.mkv", s));
  // The source really is variable: its frame intervals differ.
  auto source = lm::testing::ProbeAndDecode((tmp / "vfr.mkv").string());
  ASSERT_NE(source.Video(), nullptr);
  std::set<long> source_intervals_ms;
  for (std::size_t f = 1; f < source.Video()->frame_times_s.size(); ++f) {
    source_intervals_ms.insert(std::lround(1000 * (source.Video()->frame_times_s[f] - source.Video()->frame_times_s[f - 1])));
  }
  ASSERT_GT(source_intervals_ms.size(), 1u);
  BundleOptions options;
  options.x264_preset = "ultrafast";
  auto result = MakeBundle(tmp / "vfr.mkv", tmp / "b", options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  auto probe = lm::testing::ProbeAndDecode((tmp / "b" / "240p.mp4").string());
  ASSERT_NE(probe.Video(), nullptr);
  const auto& times = probe.Video()->frame_times_s;
  EXPECT_NEAR(static_cast<double>(times.size()), 4 * 15, 2);
  ASSERT_GE(times.size(), 2u);
  for (std::size_t f = 1; f < times.size(); ++f) {
    ASSERT_NEAR(times[f] - times[f - 1], 1.0 / 15, 0.002) << "frame " << f;
  }
}

// How combed a picture is: each row against the mean of its two neighbours, over each row against
// the mean of the rows two away. In a frame woven from two fields of different instants the
// neighbours are the other field, and wherever the picture moved they differ from the row far more
// than the rows two away (the same field) do. In a progressive picture the neighbours are the
// closer: about 0.5 at a sharp edge.
double CombingRatio(const lm::testing::LumaFrame& f) {
  double near = 0, far = 0;
  for (int row = 2; row + 2 < f.height; ++row) {
    for (int x = 0; x < f.width; ++x) {
      near += std::abs(2 * f.At(x, row) - f.At(x, row - 1) - f.At(x, row + 1));
      far += std::abs(2 * f.At(x, row) - f.At(x, row - 2) - f.At(x, row + 2));
    }
  }
  return far > 0 ? near / far : 0;
}

struct CombingRange {
  std::size_t frames = 0;
  double least = 1e9, most = 0;
};

CombingRange MeasureCombing(const fs::path& file) {
  auto decoded = lm::testing::DecodeLumaFrames(file.string());
  EXPECT_EQ(decoded.error, "") << file;
  CombingRange range;
  range.frames = decoded.frames.size();
  for (const auto& f : decoded.frames) {
    range.least = std::min(range.least, CombingRatio(f));
    range.most = std::max(range.most, CombingRatio(f));
  }
  return range;
}

// A classroom camera's interlaced picture is deinterlaced: no rendition shows combing. The flag
// check in the table above (no frame flagged interlaced) passes without any deinterlacing too;
// this looks at the pixels.
TEST(OddInputPicture, InterlacedCameraComesOutWithoutCombing) {
  av_log_set_level(AV_LOG_QUIET);
  lm::testing::TempDir tmp;
  // A 480i camera: a pattern scrolling sideways, filmed 50 times a second, every two pictures
  // woven into one frame (top field the earlier), coded as interlaced MPEG-2. 480 lines, so the
  // 480p rendition is not scaled vertically, which would blur combing away.
  ClipSpec s = Small(3);
  s.width = 640;
  s.height = 480;
  s.fps = "50";
  s.video_codec = "-c:v mpeg2video -b:v 8M -flags +ilme+ildct -top 1 "
                  "-vf scroll=horizontal=0.01,tinterlace=mode=interleave_top,fieldorder=tff";
  s.audio_codec = "-c:a mp2";
  s.extra = "-f mpegts";
  ASSERT_TRUE(MakeClip(tmp / "camera.ts", s));
  // The input really is combed, in every frame (measured 4.4 to 6.0).
  const CombingRange source = MeasureCombing(tmp / "camera.ts");
  ASSERT_EQ(source.frames, 75u);
  ASSERT_GT(source.least, 3.0);

  BundleOptions options;
  options.x264_preset = "ultrafast";
  auto result = MakeBundle(tmp / "camera.ts", tmp / "b", options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->renditions.front().height, 480);
  // Measured, deinterlaced: 0.43 to 0.57 in 480p, 0.46 to 0.58 in 360p, 0.51 to 0.56 in 240p.
  // With bwdif taken out of the pipeline: 2.6 to 5.3 in 480p, 0.74 to 0.83 in 360p (the scaler
  // blurs the comb), 0.58 to 0.65 in 240p (two rows become one: no comb left to see).
  constexpr double kMostCombing = 0.7;
  int video = 0;
  for (const auto& r : result->renditions) {
    if (r.width == 0) continue;
    SCOPED_TRACE(r.name);
    ++video;
    const CombingRange out = MeasureCombing(tmp / "b" / r.file);
    EXPECT_GE(out.frames, 45u);
    EXPECT_LT(out.most, kMostCombing) << "least combed frame " << out.least;
  }
  EXPECT_EQ(video, 3);  // 480p, 360p, 240p
}

}  // namespace
}  // namespace lm::transcoder
