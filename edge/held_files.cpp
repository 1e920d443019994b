#include "edge/held_files.h"

#include <system_error>

#include "edge/usb_copy.h"

namespace lm::edge {

namespace fs = std::filesystem;

HeldFiles::HeldFiles(fs::path lessons_dir, const std::vector<std::string>& held) : lessons_dir_(std::move(lessons_dir)) {
  for (const std::string& id : held) {
    auto manifest = bundle::ReadLessonManifest(lessons_dir_ / id);
    if (!manifest.ok()) continue;
    for (const bundle::BundleFile& f : manifest->files) {
      if (f.xxh3_128.empty() || f.size_bytes <= 0) continue;
      by_content_.emplace(std::make_pair(f.xxh3_128, f.size_bytes), lessons_dir_ / id / f.path);
    }
  }
}

ReusedFiles HeldFiles::CopyInto(const std::string& lesson_id, const std::vector<bundle::BundleFile>& wanted) const {
  ReusedFiles reused;
  if (by_content_.empty()) return reused;
  for (const bundle::BundleFile& f : wanted) {
    auto source = by_content_.find({f.xxh3_128, f.size_bytes});
    if (source == by_content_.end()) continue;
    const fs::path dest = lessons_dir_ / lesson_id / f.path;
    std::error_code ec;
    if (fs::exists(dest, ec) || ec) continue;
    fs::create_directories(dest.parent_path(), ec);
    if (ec) continue;
    auto copied = CopyFileDurably(
        source->second, dest,
        [&](const CopiedFile& c) -> Status {
          if (c.size_bytes == f.size_bytes && c.xxh3_128 == f.xxh3_128) return Status::Ok();
          return IoError(source->second.string() + " no longer matches its lesson.json");
        },
        nullptr);
    if (!copied.ok()) continue;
    ++reused.files;
    reused.bytes += f.size_bytes;
  }
  return reused;
}

}  // namespace lm::edge
