#pragma once
// Turns one upload (a recorded lesson or a courseware document) into a lesson bundle:
//   media:    master.m3u8, <rung>.mp4 + <rung>.m3u8 per rendition, poster.jpg, lesson.json, lesson.torrent
//   document: document.<ext>, lesson.json, lesson.torrent
// The bundle is built under a temporary name beside the output directory and renamed into place
// when complete, so the output directory only ever holds a whole bundle.
// MakeBundle is reentrant: the origin may run several at once, each on its own thread.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/status.h"

namespace lm::transcoder {

// The manifest's types, as the transcoder names them.
using LessonMetadata = bundle::LessonMetadata;
using RenditionSummary = bundle::Rendition;
using BundleKind = bundle::BundleKind;

struct BundleOptions {
  std::string ladder = "lesson";      // see ladder.h
  std::string x264_preset;            // empty = the ladder's
  LessonMetadata metadata;
  // lesson.json's chapters, as the teacher gave them with the upload. A chapter that runs past the
  // end of the media ends where they end (a teacher rounds the last chapter's end up); one that
  // starts at or after the end is kInvalidArgument naming it ("chapters[3].start_s"). Chapters
  // are part of the lesson id. A document takes none.
  std::vector<bundle::Chapter> chapters;
  std::vector<std::string> web_seeds; // BEP 19 base URLs; the torrent's name (the lesson id) is appended
  std::vector<std::string> trackers;
  int piece_size_bytes = 256 * 1024;  // small pieces for flaky links
  // Threads of the decoder and of the filters that prepare decoded frames; 0 = one per core. The
  // bundle's bytes never depend on it (nor on the machine or its load): a job redone by another
  // worker makes the same bundle, byte for byte. Each H.264 encoder runs on its rung's own thread.
  int threads = 0;
  // A long lesson's chunks (ladder.h): their length, 0 = the ladder's (part of the lesson id), and
  // how many are encoded at once, 0 = half the cores (the bytes never depend on it).
  int chunk_seconds = 0;
  int jobs = 0;
};

struct Progress {
  double done_seconds = 0;   // media time written by the slowest rendition
  double total_seconds = 0;  // 0 if unknown
  double wall_seconds = 0;
};
// Called from the thread that called MakeBundle, a few times a second at most.
using ProgressFn = std::function<void(const Progress&)>;

struct BundleSummary {
  std::string id;  // 32 hex digits; same source bytes + same settings = same id
  BundleKind kind = BundleKind::kLesson;
  std::filesystem::path dir;
  double duration_seconds = 0;
  std::vector<RenditionSummary> renditions;
  std::int64_t total_bytes = 0;
  double wall_seconds = 0;
  double hash_seconds = 0;  // time spent hashing outputs and building the torrent
  std::string info_hash_v1;  // hex
  std::string info_hash_v2;  // hex
  bool reused = false;       // the output directory already held this bundle; nothing was redone
};

// `cancel` may be null; when it becomes true the call returns kCancelled and leaves nothing behind.
// Errors: kUnsupportedInput for an input that is not readable media or a known document,
// kInvalidArgument for bad options, kIo for disk failures, kCancelled.
Result<BundleSummary> MakeBundle(const std::filesystem::path& input, const std::filesystem::path& out_dir,
                                 const BundleOptions& options, const ProgressFn& progress = {},
                                 const std::atomic<bool>* cancel = nullptr);

// MakeBundle with the bundle at `root`/<lesson id>: content-addressed, so the same upload with the
// same settings is one bundle however often it arrives (the origin's layout).
Result<BundleSummary> MakeBundleUnder(const std::filesystem::path& input, const std::filesystem::path& root,
                                      const BundleOptions& options, const ProgressFn& progress = {},
                                      const std::atomic<bool>* cancel = nullptr);

}  // namespace lm::transcoder
