#include "edge/usb_export.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <set>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "common/atomic_file.h"
#include "common/logging.h"
#include "common/read_file.h"
#include "common/unix_time.h"
#include "edge/disk_space.h"
#include "edge/edge_store.h"
#include "edge/transfer.h"
#include "edge/usb_copy.h"
#include "edge/usb_layout.h"

namespace lm::edge {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct LessonExport {
  const bundle::PackItem* item = nullptr;
  std::string torrent;                      // "" if this edge holds none
  std::string folder;                       // "" unless ready
  std::vector<bundle::BundleFile> files;    // kept files, lesson.json first (its digest unknown)
};

// The folder for the pack under `to_dir`: the one an earlier export of the same pack wrote, or a
// new one whose name no other entry there takes.
fs::path PackFolder(const fs::path& to_dir, const std::string& title, std::int64_t pack_id) {
  const std::string name = FatSafeName(title, "pack-" + std::to_string(pack_id));
  std::set<std::string> taken;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(to_dir, ec)) {
    const fs::path index = entry.path() / kUsbIndexFile;
    if (auto bytes = ReadFileBytes(index, 1 << 20); bytes.ok()) {
      const json j = json::parse(*bytes, nullptr, false);
      if (j.is_object() && j.value("pack_id", std::int64_t{0}) == pack_id) return entry.path();
    }
    std::string lower = entry.path().filename().string();
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    taken.insert(lower);
  }
  return to_dir / UniqueFatName(name, &taken);
}

}  // namespace

Result<ExportReport> ExportPack(const ExportOptions& o) {
  auto log = AreaLogger("edge.usb");
  ASSIGN_OR_RETURN(std::unique_ptr<EdgeStore> store, EdgeStore::Open((o.cache_dir / "state.db").string()));
  ASSIGN_OR_RETURN(std::vector<AcceptedPack> packs, store->Packs());
  const AcceptedPack* pack = nullptr;
  std::string held;
  for (const auto& p : packs) {
    if (std::to_string(p.pack_id) == o.pack || p.title == o.pack) pack = &p;
    held += (held.empty() ? "" : ", ") + std::to_string(p.pack_id) + " " + p.title;
  }
  if (!pack) {
    return InvalidArgument("no pack \"" + o.pack + "\" on this edge (it holds: " + (held.empty() ? "none" : held) +
                               ")",
                           "pack");
  }
  ASSIGN_OR_RETURN(bundle::PackManifest manifest, bundle::ParsePackManifest(pack->signed_manifest.manifest));

  // What goes on the drive.
  const fs::path lessons_dir = o.cache_dir / "lessons";
  std::vector<LessonExport> lessons;
  std::int64_t total_bytes = 0;
  for (const bundle::PackItem& item : manifest.items) {
    LessonExport e;
    e.item = &item;
    auto lesson = store->Lesson(item.lesson_id);
    if (lesson.ok()) {
      if (auto torrent = store->Torrent(item.lesson_id); torrent.ok()) e.torrent = std::move(*torrent);
      if (lesson->state == LessonState::kReady) {
        ASSIGN_OR_RETURN(bundle::LessonManifest lm, bundle::ReadLessonManifest(lessons_dir / item.lesson_id));
        std::error_code ec;
        const auto json_size = fs::file_size(lessons_dir / item.lesson_id / bundle::kLessonManifestFile, ec);
        e.files.push_back({bundle::kLessonManifestFile, static_cast<std::int64_t>(json_size), ""});
        for (const auto& f : lm.files) {
          if (KeepsFile(f.path, o.renditions)) e.files.push_back(f);
        }
        for (const auto& f : e.files) total_bytes += f.size_bytes;
      }
    } else if (lesson.status().code() != StatusCode::kNotFound) {
      return lesson.status();
    }
    lessons.push_back(std::move(e));
  }

  std::error_code ec;
  fs::create_directories(o.to_dir, ec);
  if (ec) return IoError("create " + o.to_dir.string() + ": " + ec.message());
  ExportReport report;
  report.pack_dir = PackFolder(o.to_dir, manifest.title, manifest.pack_id);
  const fs::path torrents_dir = report.pack_dir / kUsbTorrentsDir;
  fs::create_directories(torrents_dir, ec);
  if (ec) return IoError("create " + torrents_dir.string() + ": " + ec.message());

  // Files an earlier export left complete are kept; count only what is still to write.
  std::set<std::string> taken = {kUsbIndexFile, kUsbManifestFile, kUsbSignatureFile, kUsbTorrentsDir};
  std::int64_t to_write = 0;
  for (auto& e : lessons) {
    if (e.files.empty()) continue;
    e.folder = UniqueFatName(FatSafeName(e.item->title, e.item->lesson_id), &taken);
    for (const auto& f : e.files) {
      const fs::path dest = report.pack_dir / e.folder / f.path;
      if (fs::file_size(dest, ec) != static_cast<std::uintmax_t>(f.size_bytes) || ec) to_write += f.size_bytes;
    }
  }
  if (const std::int64_t free_bytes = FreeBytes(report.pack_dir); free_bytes >= 0 && free_bytes < to_write) {
    return IoError("not enough space on " + o.to_dir.string() + ": the export needs " + std::to_string(to_write) +
                   " bytes, " + std::to_string(free_bytes) + " are free");
  }

  RETURN_IF_ERROR(WriteFileAtomically(report.pack_dir / kUsbManifestFile, pack->signed_manifest.manifest));
  RETURN_IF_ERROR(WriteFileAtomically(report.pack_dir / kUsbSignatureFile, pack->signed_manifest.signature));
  CopyProgress progress(o.progress, to_write);
  json index_lessons = json::array();
  for (const auto& e : lessons) {
    const std::string torrent_name = std::string(kUsbTorrentsDir) + "/" + e.item->lesson_id + ".torrent";
    if (!e.torrent.empty()) RETURN_IF_ERROR(WriteFileAtomically(report.pack_dir / torrent_name, e.torrent));
    for (const auto& f : e.files) {
      const fs::path source = lessons_dir / e.item->lesson_id / f.path;
      const fs::path dest = report.pack_dir / e.folder / f.path;
      if (fs::file_size(dest, ec) == static_cast<std::uintmax_t>(f.size_bytes) && !ec) {
        ++report.files_already_there;
        continue;
      }
      fs::create_directories(dest.parent_path(), ec);
      if (ec) return IoError("create " + dest.parent_path().string() + ": " + ec.message());
      auto check = [&](const CopiedFile& c) -> Status {
        if (f.xxh3_128.empty() || (c.size_bytes == f.size_bytes && c.xxh3_128 == f.xxh3_128)) return Status::Ok();
        return UnsupportedInput("lesson " + e.item->lesson_id + ": " + f.path +
                                " on this edge no longer matches lesson.json; it was not exported");
      };
      ASSIGN_OR_RETURN(CopiedFile copied,
                       CopyFileDurably(source, dest, check, [&](std::int64_t n) { progress.Add(n); }));
      ++report.files_written;
      report.bytes_written += copied.size_bytes;
    }
    if (!e.folder.empty()) RETURN_IF_ERROR(SyncDirectory(report.pack_dir / e.folder));
    e.folder.empty() ? ++report.lessons_not_ready : ++report.lessons_exported;
    index_lessons.push_back({{"id", e.item->lesson_id},
                             {"title", e.item->title},
                             {"folder", e.folder},
                             {"torrent", e.torrent.empty() ? "" : torrent_name}});
    log->info("lesson_exported lesson={} folder=\"{}\" files={}", e.item->lesson_id, e.folder, e.files.size());
  }
  progress.Finish();
  const json index = {{"format", kUsbFormat},
                      {"format_version", kUsbFormatVersion},
                      {"pack_id", manifest.pack_id},
                      {"version", manifest.version},
                      {"title", manifest.title},
                      {"manifest", kUsbManifestFile},
                      {"signature", kUsbSignatureFile},
                      {"exported_at", UnixNow()},
                      {"lessons", index_lessons}};
  RETURN_IF_ERROR(WriteFileAtomically(report.pack_dir / kUsbIndexFile, index.dump(2) + "\n"));
  RETURN_IF_ERROR(SyncDirectory(report.pack_dir));
  log->info("pack_exported pack={} version={} dir=\"{}\" lessons={} not_ready={} bytes={}", manifest.pack_id,
            manifest.version, report.pack_dir.string(), report.lessons_exported, report.lessons_not_ready,
            report.bytes_written);
  return report;
}

}  // namespace lm::edge
