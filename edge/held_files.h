#pragma once
// The files of the lessons an edge already holds, found by content, so that a lesson about to
// download can start from them. A revised lesson (its chapters edited: a new lesson.json, so a
// new info hash and a new lesson id) keeps every video, audio and document file of the version it
// revises; copied into the new lesson's folder before libtorrent is handed the lesson, they are
// found by its check on adding it, and only what changed crosses the school's link.
// Used by the edge's keeper thread; not for concurrent use.

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "bundle/lesson_manifest.h"

namespace lm::edge {

struct ReusedFiles {
  int files = 0;
  std::int64_t bytes = 0;
};

class HeldFiles {
 public:
  // Indexes the files of `held` (ids of lessons ready under `lessons_dir`) by XXH3-128 and size,
  // from their lesson.json; a lesson whose lesson.json cannot be read is left out.
  HeldFiles(std::filesystem::path lessons_dir, const std::vector<std::string>& held);

  // Copies into `lessons_dir`/`lesson_id` each file of `wanted` that is not there yet and that a
  // held lesson has with the same XXH3-128 and size: durably (a temporary name, the digest checked
  // as the bytes pass, fsync, rename). A file that cannot be copied is left to the download.
  ReusedFiles CopyInto(const std::string& lesson_id, const std::vector<bundle::BundleFile>& wanted) const;

 private:
  std::filesystem::path lessons_dir_;
  std::map<std::pair<std::string, std::int64_t>, std::filesystem::path> by_content_;
};

}  // namespace lm::edge
