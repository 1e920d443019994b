#pragma once
// The parts of writing a bundle that every kind of bundle shares (an upload's, a clip's): the
// playlists, master and poster of finished renditions, then lesson.json and the hybrid torrent
// from the digests taken while the files were written. Used on one thread per bundle.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/status.h"
#include "transcoder/bundle.h"
#include "transcoder/detail/hashing_file.h"
#include "transcoder/detail/rendition.h"

namespace lm::transcoder {

// A bundle being built: its manifest, and the digests of the files written so far (with the
// piece hashes the torrent is made from).
struct StagedBundle {
  bundle::LessonManifest manifest;
  std::vector<FileDigest> files;
};

// Writes each rendition's media playlist and the master playlist into `dir`, adds them, the
// rendition files and the poster to `staged`, and fills the manifest's and summary's renditions.
Status StageRenditions(const std::filesystem::path& dir, std::vector<RenditionOutput>& renditions,
                       std::optional<FileDigest> poster, int piece_size_bytes, StagedBundle& staged,
                       BundleSummary& summary);

// Adds lesson.json and lesson.torrent to the staged bundle and fills the summary's torrent fields
// and total size.
Status FinishBundle(const std::filesystem::path& dir, StagedBundle& staged, const BundleOptions& options,
                    BundleSummary& summary);

// The bundle with lesson id `id` if `dir` already holds it whole (a readable lesson.json with that
// id and a readable lesson.torrent), else nullopt.
std::optional<BundleSummary> ExistingBundle(const std::filesystem::path& dir, const std::string& id);

// kInvalidArgument naming the option for a bad piece size, web seed or tracker URL.
Status ValidateTorrentOptions(const BundleOptions& options);

}  // namespace lm::transcoder
