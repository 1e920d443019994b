#pragma once
// Checks a downloaded lesson before any classroom sees it: lesson.json reads, names this lesson,
// and every file the school keeps is on disk with the size and XXH3-128 that lesson.json gives.
// Pure function over the disk; reentrant.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/status.h"

namespace lm::edge {

struct VerifiedLesson {
  bundle::LessonManifest manifest;
  std::vector<std::string> renditions;  // held and verified
  std::int64_t bytes = 0;               // of the files held
};

// `bundle_dir` is lessons/<id>. kInvalidArgument names the first file that does not match;
// `bytes_per_second` > 0 paces the reading (the background scrub).
Result<VerifiedLesson> VerifyLesson(const std::filesystem::path& bundle_dir, const std::string& lesson_id,
                                    const std::vector<std::string>& renditions, std::int64_t bytes_per_second = 0);

}  // namespace lm::edge
