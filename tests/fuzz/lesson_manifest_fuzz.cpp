// lesson.json as the origin, the catalog and the edge read it (bundle::ParseLessonManifest). Any
// bytes are either refused as kInvalidArgument or give a manifest that keeps the promises the
// edge relies on: every file path stays inside the bundle and is listed once, sizes and digests are
// well formed, the files' total is at most kMaxBundleBytes, and the master playlist, poster, renditions and document are
// listed files. Writing a parsed manifest gives a lesson.json that parses again to the same bytes.

#include <set>
#include <string>

#include "bundle/lesson_manifest.h"
#include "common/text_checks.h"
#include "tests/fuzz/fuzz_check.h"

using lm::bundle::BundleKind;
using lm::bundle::LessonManifest;

namespace {

void CheckPromises(const LessonManifest& m) {
  FUZZ_CHECK(lm::IsLowerHex(m.id, 32), "the id is 32 hex digits");
  std::set<std::string> paths;
  for (const auto& f : m.files) {
    FUZZ_CHECK(lm::bundle::IsSafeBundlePath(f.path), "every file stays inside the bundle");
    FUZZ_CHECK(paths.insert(f.path).second, "no file is listed twice");
    FUZZ_CHECK(f.size_bytes >= 0, "sizes are not negative");
    FUZZ_CHECK(lm::IsLowerHex(f.xxh3_128, 32), "digests are 32 hex digits");
  }
  FUZZ_CHECK(m.TotalBytes() >= 0 && m.TotalBytes() <= lm::bundle::kMaxBundleBytes, "the files' total fits");
  if (m.kind == BundleKind::kLesson) {
    FUZZ_CHECK(m.FindFile(m.master_playlist) != nullptr, "the master playlist is a listed file");
    FUZZ_CHECK(m.poster.empty() || m.FindFile(m.poster) != nullptr, "the poster is a listed file");
    for (const auto& r : m.renditions) {
      FUZZ_CHECK(m.FindFile(r.file) != nullptr && m.FindFile(r.playlist) != nullptr,
                 "each rendition's file and playlist are listed files");
      FUZZ_CHECK(r.width >= 0 && r.height >= 0 && r.segments >= 0 && r.fps >= 0, "rendition numbers are not negative");
    }
  } else {
    FUZZ_CHECK(m.FindFile(m.document) != nullptr, "the document is a listed file");
  }
  FUZZ_CHECK(m.duration_seconds >= 0, "the duration is not negative");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto parsed = lm::bundle::ParseLessonManifest(lm::fuzz::Text(data, size));
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == lm::StatusCode::kInvalidArgument, "a bad lesson.json is kInvalidArgument");
    return 0;
  }
  CheckPromises(*parsed);
  const std::string written = lm::bundle::WriteLessonManifest(*parsed);
  auto again = lm::bundle::ParseLessonManifest(written);
  FUZZ_CHECK(again.ok(), "what the writer writes parses");
  CheckPromises(*again);
  FUZZ_CHECK(lm::bundle::WriteLessonManifest(*again) == written, "parse and write round-trips");
  return 0;
}
