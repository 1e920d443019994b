// lessonmesh-transcode as a teacher or a script runs it: a bundle and exit 0 (with --json, a
// summary on stdout; --piece-size reaches the torrent), and for each failure the README's exit
// code with one line on stderr: 1 an internal error (no thread to be had), 2 a bad option, 3 input
// that is not media, 4 a missing input, 5 interrupted by SIGINT, with nothing left behind.

#include <gtest/gtest.h>
#include <libtorrent/torrent_info.hpp>
#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tests/testing/child_process.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::ChildProcess;
using lm::testing::TempDir;

std::string Binary() { return std::string(LM_BIN_DIR) + "/lessonmesh-transcode"; }

struct Ran {
  std::optional<int> status;
  std::string out, err;
};

// `env`: NAME=VALUE settings for the program's environment.
Ran Transcode(const TempDir& tmp, std::vector<std::string> args, double seconds = 120,
              const std::vector<std::string>& env = {}) {
  args.insert(args.begin(), Binary());
  if (!env.empty()) {
    args.insert(args.begin(), env.begin(), env.end());
    args.insert(args.begin(), "env");
  }
  ChildProcess child;
  Ran ran;
  if (std::string e = child.Start(args, tmp / "transcode.out", tmp / "transcode.err"); !e.empty()) {
    ran.err = e;
    return ran;
  }
  ran.status = child.Wait(seconds);
  child.Stop(0);
  ran.out = child.out();
  ran.err = child.err();
  return ran;
}

std::size_t Lines(const std::string& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

bool IsEmptyDir(const fs::path& dir) { return fs::is_directory(dir) && fs::is_empty(dir); }

TEST(TranscodeMainTest, MakesABundleWithJsonSummaryAndPieceSize) {
  TempDir tmp;
  lm::testing::ClipSpec spec;
  spec.seconds = 3;
  spec.width = 320;
  spec.height = 240;
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "lesson.mp4", spec));
  fs::create_directories(tmp / "out");
  const Ran ran = Transcode(tmp, {(tmp / "lesson.mp4").string(), "-o", (tmp / "out" / "b").string(), "--title",
                                  "分数的初步认识", "--preset", "ultrafast", "--piece-size", "65536", "--web-seed",
                                  "http://origin.example.cn:8070/bundles", "--tracker",
                                  "http://origin.example.cn:8070/announce", "--json"});
  ASSERT_EQ(ran.status, 0) << ran.err;
  const json summary = json::parse(ran.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << ran.out;
  const json manifest = json::parse(lm::testing::ReadFile(tmp / "out" / "b" / "lesson.json"));
  EXPECT_EQ(summary["id"], manifest["id"]);
  EXPECT_EQ(summary["kind"], "lesson");
  EXPECT_EQ(summary["reused"], false);
  ASSERT_EQ(summary["renditions"].size(), 2u);  // 240p and audio
  EXPECT_EQ(summary["renditions"][0]["name"], "240p");
  EXPECT_EQ(summary["renditions"][0]["width"], 320);
  lt::error_code ec;
  const lt::torrent_info torrent((tmp / "out" / "b" / "lesson.torrent").string(), ec);
  ASSERT_FALSE(ec) << ec.message();
  EXPECT_EQ(torrent.piece_length(), 65536);
  EXPECT_EQ(lm::testing::ReadFile(tmp / "out" / "b" / "lesson.torrent").find("origin.example.cn:8070/announce") !=
                std::string::npos,
            true);
  ASSERT_EQ(torrent.web_seeds().size(), 1u);
  EXPECT_EQ(torrent.web_seeds()[0].url.rfind("http://origin.example.cn:8070/bundles", 0), 0u)
      << torrent.web_seeds()[0].url;
  // Nothing but the bundle beside it.
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp / "out"), fs::directory_iterator()), 1);

  // Again into the same directory: the same id, nothing done.
  const Ran again = Transcode(tmp, {(tmp / "lesson.mp4").string(), "-o", (tmp / "out" / "b").string(), "--preset",
                                    "ultrafast", "--piece-size", "65536", "--json"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_EQ(json::parse(again.out)["reused"], true);
}

std::map<std::string, std::string> ReadDir(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) files[e.path().filename().string()] = lm::testing::ReadFile(e.path());
  return files;
}

// A job redone by another worker: the same bundle, byte for byte, at other thread counts and
// whatever the heap held before (MALLOC_PERTURB_ fills what malloc hands out with a pattern: code
// that reads memory it never wrote then sees other bytes than in a fresh process). A 16:9 source
// makes the 426- and 854-wide rungs, whose widths are not multiples of 16.
TEST(TranscodeMainTest, SameInputGivesTheSameBundleAtAnyThreadCountAndHeapContent) {
  TempDir tmp;
  lm::testing::ClipSpec spec;
  spec.seconds = 3;
  spec.width = 1280;
  spec.height = 720;
  spec.extra = "-vf noise=alls=24:allf=t+u";
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "lesson.mp4", spec));
  fs::create_directories(tmp / "out");
  const Ran first = Transcode(tmp, {(tmp / "lesson.mp4").string(), "-o", (tmp / "out" / "a").string(), "--threads",
                                    "1", "--json"});
  ASSERT_EQ(first.status, 0) << first.err;
  const Ran second = Transcode(tmp, {(tmp / "lesson.mp4").string(), "-o", (tmp / "out" / "b").string(), "--threads",
                                     "4", "--json"},
                               120, {"MALLOC_PERTURB_=85"});
  ASSERT_EQ(second.status, 0) << second.err;
  const json a = json::parse(first.out), b = json::parse(second.out);
  EXPECT_EQ(a["id"], b["id"]);
  EXPECT_EQ(a["info_hash_v1"], b["info_hash_v1"]);
  EXPECT_EQ(a["info_hash_v2"], b["info_hash_v2"]);
  const auto files_a = ReadDir(tmp / "out" / "a");
  const auto files_b = ReadDir(tmp / "out" / "b");
  ASSERT_EQ(files_a.size(), 14u);  // 4 video rungs and audio (.mp4, .m3u8), master, poster, lesson.json, .torrent
  std::vector<std::string> differ;
  for (const auto& [name, bytes] : files_a) {
    auto other = files_b.find(name);
    if (other == files_b.end() || other->second != bytes) differ.push_back(name);
  }
  EXPECT_EQ(differ, std::vector<std::string>{});
}

TEST(TranscodeMainTest, FailuresExitWithTheirCodeAndOneLine) {
  TempDir tmp;
  lm::testing::WriteFile(tmp / "notes.mp4", "第三单元 分数的初步认识\n不是视频。\n");
  lm::testing::WriteFile(tmp / "empty.mp4", "");
  lm::testing::ClipSpec spec;
  spec.seconds = 1;
  spec.width = 320;
  spec.height = 240;
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "clip.mp4", spec));
  struct Case {
    std::string name;
    std::vector<std::string> args;
    int code;
  };
  const std::string out = (tmp / "out" / "b").string();
  const std::vector<Case> cases = {
      {"unknown option", {(tmp / "notes.mp4").string(), "-o", out, "--colour", "red"}, 2},
      {"no output", {(tmp / "notes.mp4").string()}, 2},
      {"bad piece size", {(tmp / "notes.mp4").string(), "-o", out, "--piece-size", "1000"}, 2},
      {"unknown preset", {(tmp / "clip.mp4").string(), "-o", out, "--preset", "quick"}, 2},
      {"not media", {(tmp / "notes.mp4").string(), "-o", out}, 3},
      {"empty", {(tmp / "empty.mp4").string(), "-o", out}, 3},
      {"missing input", {(tmp / "nope.mp4").string(), "-o", out}, 4},
  };
  fs::create_directories(tmp / "out");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const Ran ran = Transcode(tmp, c.args, 60);
    EXPECT_EQ(ran.status, c.code) << ran.err;
    EXPECT_EQ(Lines(ran.err), 1u) << ran.err;
    EXPECT_EQ(ran.err.rfind("lessonmesh-transcode: ", 0), 0u) << ran.err;
    EXPECT_TRUE(ran.out.empty()) << ran.out;
    EXPECT_TRUE(IsEmptyDir(tmp / "out")) << "a failure left files behind";
  }
}

// Code 1 is for what neither the teacher nor the input caused: here the machine gives no thread
// (LD_PRELOAD makes pthread_create fail). Before, the exception escaped and the program aborted.
TEST(TranscodeMainTest, NoThreadExitsWithCodeOneAndLeavesNothing) {
#ifdef LM_SANITIZE
  GTEST_SKIP() << "the sanitizers' runtime intercepts pthread_create itself";
#endif
  TempDir tmp;
  lm::testing::ClipSpec spec;
  spec.seconds = 1;
  spec.width = 320;
  spec.height = 240;
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "lesson.mp4", spec));
  fs::create_directories(tmp / "out");
  const Ran ran = Transcode(tmp, {(tmp / "lesson.mp4").string(), "-o", (tmp / "out" / "b").string()}, 60,
                            {std::string("LD_PRELOAD=") + LM_NO_THREADS_PRELOAD});
  EXPECT_EQ(ran.status, 1) << ran.err;
  EXPECT_EQ(Lines(ran.err), 1u) << ran.err;
  EXPECT_EQ(ran.err.rfind("lessonmesh-transcode: ", 0), 0u) << ran.err;
  EXPECT_NE(ran.err.find("thread"), std::string::npos) << ran.err;
  EXPECT_TRUE(ran.out.empty()) << ran.out;
  EXPECT_TRUE(IsEmptyDir(tmp / "out")) << "a failure left files behind";
}

TEST(TranscodeMainTest, SigintStopsWithCodeFiveAndLeavesNothing) {
  TempDir tmp;
  lm::testing::ClipSpec spec;
  spec.seconds = 60;
  spec.width = 640;
  spec.height = 360;
  ASSERT_TRUE(lm::testing::MakeClip(tmp / "lesson.mp4", spec));
  fs::create_directories(tmp / "out");
  ChildProcess child;
  ASSERT_EQ(child.Start({Binary(), (tmp / "lesson.mp4").string(), "-o", (tmp / "out" / "b").string()},
                        tmp / "transcode.out", tmp / "transcode.err"),
            "");
  // Interrupted once it is at work: its staging directory exists beside the output.
  ASSERT_TRUE(lm::testing::WaitFor([&] { return !fs::is_empty(tmp / "out") || child.Wait(0).has_value(); }, 60));
  ASSERT_FALSE(child.Wait(0).has_value()) << "it ended before it could be interrupted: " << child.err();
  child.Signal(SIGINT);
  EXPECT_EQ(child.Wait(60), 5) << child.err();
  const std::string err = child.err();
  EXPECT_NE(err.find("lessonmesh-transcode: "), std::string::npos) << err;
  EXPECT_TRUE(IsEmptyDir(tmp / "out")) << "an interrupted transcode left files behind";
}

}  // namespace
}  // namespace lm::transcoder
