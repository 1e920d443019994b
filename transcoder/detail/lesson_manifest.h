#pragma once
// lesson.json: the bundle's manifest (schema 1). Lists the lesson's metadata, renditions and every
// file of the bundle with its size and XXH3-128; edges verify downloads against it.

#include <optional>
#include <string>
#include <vector>

#include "transcoder/bundle.h"
#include "transcoder/detail/hashing_file.h"

namespace lm::transcoder {

inline constexpr int kLessonManifestSchema = 1;

struct ManifestSource {
  std::string xxh3_128;
  std::int64_t size_bytes = 0;
  std::string container;     // media: demuxer name; document: MIME type
  std::string video_codec;   // empty if none
  int width = 0, height = 0;  // display size
  int rotation = 0;
  bool interlaced = false;
  std::string audio_codec;   // empty if none
};

struct ManifestInput {
  std::string id;
  BundleKind kind = BundleKind::kLesson;
  LessonMetadata metadata;
  std::string ladder_fingerprint;
  double duration_seconds = 0;
  ManifestSource source;
  std::vector<RenditionSummary> renditions;
  std::string master_playlist;  // "" for documents
  std::string poster;           // "" if none
  std::string document;         // documents: the file; "" otherwise
  std::string document_type;    // MIME type of the document
  std::vector<FileDigest> files;
};

// Pretty-printed JSON, keys in a fixed order.
std::string LessonManifestJson(const ManifestInput& in);

// What an existing lesson.json says about its bundle (id, kind, duration, renditions, total file
// bytes); nullopt if it cannot be read.
std::optional<BundleSummary> ReadManifestSummary(const std::string& json_text);

}  // namespace lm::transcoder
