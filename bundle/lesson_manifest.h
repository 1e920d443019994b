#pragma once
// lesson.json, the manifest of a lesson bundle (schema 1), as types: the lesson's metadata, its
// renditions, and every file of the bundle with its size and XXH3-128. The transcoder writes it
// with WriteLessonManifest; the origin, the catalog and the edge read it with ParseLessonManifest,
// which refuses a manifest that is malformed or names a path outside its bundle. Plain values.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm::bundle {

inline constexpr int kLessonManifestSchema = 1;
inline constexpr char kLessonManifestFile[] = "lesson.json";
inline constexpr char kLessonTorrentFile[] = "lesson.torrent";
inline constexpr char kV1TwinTorrentFile[] = "lesson.v1.torrent";
// The most bytes the files of one bundle (or of one pack manifest) may add up to: far more than
// any lesson, and small enough that sums of sizes never overflow.
inline constexpr std::int64_t kMaxBundleBytes = std::int64_t{1} << 50;  // 1 PiB

enum class BundleKind { kLesson, kDocument };
const char* BundleKindName(BundleKind kind);  // "lesson" | "document"

struct LessonMetadata {
  std::string title;
  std::string teacher;
  std::string subject;
  std::string grade;
};

// One rung of the ladder (or the audio-only rendition).
struct Rendition {
  std::string name;      // "720p", "audio"
  std::string file;      // "720p.mp4"
  std::string playlist;  // "720p.m3u8"
  int width = 0;         // 0 for audio-only
  int height = 0;
  double fps = 0;
  std::int64_t bandwidth = 0;          // peak segment bit rate, bit/s (HLS BANDWIDTH)
  std::int64_t average_bandwidth = 0;  // bit/s
  std::string codecs;                  // RFC 6381, e.g. "avc1.64001f,mp4a.40.2"
  std::int64_t size_bytes = 0;
  int segments = 0;

  bool is_video() const { return width > 0; }
};

// What the upload was, for the record.
struct SourceInfo {
  std::string xxh3_128;
  std::int64_t size_bytes = 0;
  std::string container;      // media: demuxer name; document: MIME type
  std::string video_codec;    // empty if none
  int width = 0, height = 0;  // display size
  int rotation = 0;
  bool interlaced = false;
  std::string audio_codec;    // empty if none
};

// One file of the bundle; `path` is relative to the bundle root.
struct BundleFile {
  std::string path;
  std::int64_t size_bytes = 0;
  std::string xxh3_128;  // 32 lower-case hex digits
};

// A clip's origin: the lesson it was cut from and the range, in that lesson's seconds.
struct ClipParent {
  std::string lesson_id;
  double start_seconds = 0;
  double end_seconds = 0;
};

// A named part of a lesson, shown by the classroom player; seconds into the lesson.
struct Chapter {
  double start_seconds = 0;
  double end_seconds = 0;
  std::string title;
};

// kInvalidArgument naming the field ("chapters[2].title") unless every chapter has a non-empty
// title of at most 200 bytes and start < end <= duration (plus a tenth of a second), and the
// chapters are sorted by start and do not overlap. At most 500 chapters.
Status ValidateChapters(const std::vector<Chapter>& chapters, double duration_seconds);

// A duration for ParseChapterList before the media are known (a tus upload's metadata): every
// check but "within the lesson".
inline constexpr double kDurationNotYetKnown = 1e300;

// A chapter list as teachers send it and lesson.json holds it, one reader for all: the body of
// PUT /v1/lessons/{lesson}/chapters (its "chapters"), the "chapters" metadata of a tus upload and
// lesson.json's "chapters": a JSON array [{"start_s": 0, "end_s": 310, "title": "导入"}, ...].
// kInvalidArgument naming the field ("chapters", "chapters[1].end_s") for text that is not such
// an array or chapters that ValidateChapters refuses against `duration_seconds`.
Result<std::vector<Chapter>> ParseChapterList(std::string_view json_text, double duration_seconds);

// `chapters` as the JSON array ParseChapterList reads.
std::string WriteChapterList(const std::vector<Chapter>& chapters);

struct LessonManifest {
  std::string id;  // 32 lower-case hex digits
  BundleKind kind = BundleKind::kLesson;
  LessonMetadata metadata;
  double duration_seconds = 0;
  SourceInfo source;
  // Lessons only:
  std::string settings;  // the ladder's fingerprint
  std::string master_playlist;
  std::string poster;  // "" if none
  std::vector<Rendition> renditions;
  std::vector<Chapter> chapters;     // "chapters"; empty if none
  std::optional<ClipParent> parent;  // "parent"; set for a clip cut from another lesson
  std::string revises;               // "revises": the lesson this bundle is a new version of, or ""
  // Documents only:
  std::string document;       // the file
  std::string document_type;  // its MIME type

  std::vector<BundleFile> files;

  std::int64_t TotalBytes() const;
  // The entry for `path`, or null.
  const BundleFile* FindFile(std::string_view path) const;
};

// Pretty-printed JSON with keys in a fixed order, ending in a newline.
std::string WriteLessonManifest(const LessonManifest& manifest);

// kInvalidArgument (naming the field) for text that is not a schema-1 manifest: bad JSON, a
// missing or mistyped key, an id that is not 32 hex digits, a digest that is not one, a negative
// size or sizes adding up to more than kMaxBundleBytes, a video size over 65535, a path that is
// absolute, has "." or ".." parts, backslashes or control characters, the same path twice, or a
// rendition, playlist, poster or document that the file list does not hold.
Result<LessonManifest> ParseLessonManifest(std::string_view json_text);

// Reads and parses `bundle_dir`/lesson.json.
Result<LessonManifest> ReadLessonManifest(const std::filesystem::path& bundle_dir);

// A relative path that stays inside its root: non-empty parts of [A-Za-z0-9._-] and non-ASCII
// UTF-8 (no "." or ".." part, no leading dot), joined by '/', at most 255 bytes.
bool IsSafeBundlePath(std::string_view path);

}  // namespace lm::bundle
