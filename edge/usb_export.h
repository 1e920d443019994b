#pragma once
// `lessonmesh-edge export`: writes one pack, as this edge holds it, to a folder (a USB drive) for a
// school with no usable link: the signed manifest and signature as received, every lesson's
// torrent, and the bundle files of the lessons that are ready (verified), under readable,
// FAT-safe names (edge/usb_layout.h). Each file is checked against lesson.json as it is copied and
// appears whole or not at all; the index is written last, so a folder without one is not a
// finished export. Works while the daemon runs (reads the store; SQLite WAL). One thread.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace lm::edge {

struct ExportOptions {
  std::filesystem::path cache_dir;      // the edge's cache_dir (state.db, lessons/)
  std::vector<std::string> renditions;  // the renditions this edge keeps
  std::string pack;                     // pack id, or its exact title
  std::filesystem::path to_dir;         // the drive (or a folder on it)
  std::FILE* progress = stderr;         // null: no progress bar
};

struct ExportReport {
  std::filesystem::path pack_dir;
  int lessons_exported = 0;    // with their files
  int lessons_not_ready = 0;   // torrent only
  int files_written = 0;
  int files_already_there = 0;  // from an earlier export to the same folder
  std::int64_t bytes_written = 0;
};

// kInvalidArgument (field "pack") for a pack this edge does not hold; kIo for a full or failing
// drive; kUnsupportedInput for a held file that no longer matches lesson.json.
Result<ExportReport> ExportPack(const ExportOptions& options);

}  // namespace lm::edge
