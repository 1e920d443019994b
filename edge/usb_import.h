#pragma once
// `lessonmesh-edge import`: takes the packs a USB export holds (edge/usb_layout.h) into this edge's
// cache, trusting nothing on the drive: the manifest must verify under the pinned catalog key and
// target this school or its communities, every torrent must have the info hashes the signed
// manifest names, and every file must match lesson.json (size, XXH3-128) and the torrent's piece
// hashes. Free space (quota, min_free) is checked before any byte is copied; lessons already
// held are skipped; files are copied to cache_dir/import/ (temporary name, fsync, rename), so a
// second run continues where the first stopped; a lesson moves into lessons/ and is marked ready
// only when all its kept files are there and verified. Works while the daemon runs (SQLite WAL):
// its periodic reconcile seeds what became ready. One thread.

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace lm::edge {

struct ImportOptions {
  std::filesystem::path cache_dir;
  std::string school_id;
  std::string catalog_key;              // the pinned key (base64)
  std::vector<std::string> renditions;  // kept by this school
  std::int64_t quota_bytes = 0;
  std::int64_t min_free_bytes = 0;
  std::filesystem::path from_dir;  // a pack folder, or a folder of them (the drive)
  std::FILE* progress = stderr;    // null: no progress bar
  // Tests: called after each file is copied from the drive (e.g. to pull the "drive").
  std::function<void(const std::string& lesson_id, const std::string& path)> after_file;
};

struct ImportReport {
  int packs = 0;
  int lessons_imported = 0;
  int lessons_held = 0;       // already ready here: skipped
  int lessons_not_on_drive = 0;
  int files_copied = 0;
  int files_resumed = 0;      // copied by an earlier, interrupted run
  std::int64_t bytes_copied = 0;
};

// kUnsupportedInput for an export that is refused (signature, targets, info hashes, a file that
// does not match); kIo for a drive that cannot be read ("cannot read ...": pulled out) or a disk
// without the space; kInvalidArgument for a folder that holds no export.
Result<ImportReport> ImportFromUsb(const ImportOptions& options);

}  // namespace lm::edge
