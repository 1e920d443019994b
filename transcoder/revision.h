#pragma once
// A new version of a lesson bundle whose media stay as they are and whose lesson.json changes
// (chapters set by the teacher): the media files are hard-linked from the old bundle, their
// digests and piece hashes taken from its lesson.json and lesson.torrent (no pass over the media),
// and a new lesson.json (naming the old lesson in "revises") and hybrid torrent are written. The
// new bundle has its own id, fixed by the old id and the change. Reentrant.

#include <filesystem>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/status.h"
#include "transcoder/bundle.h"

namespace lm::transcoder {

// The bundle in `bundle_dir` with `chapters` (validated against its duration: kInvalidArgument
// naming the field), as a new bundle at `root`/<new id>. `options`: the torrent's web seeds,
// trackers and piece size (the old torrent's piece size is kept). kNotFound / kInvalidArgument
// (field "lesson") for a directory that holds no lesson bundle.
Result<BundleSummary> ReviseChapters(const std::filesystem::path& bundle_dir, const std::vector<bundle::Chapter>& chapters,
                                     const std::filesystem::path& root, const BundleOptions& options);

}  // namespace lm::transcoder
