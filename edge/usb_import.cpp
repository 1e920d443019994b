#include "edge/usb_import.h"

#include <fcntl.h>
#include <libtorrent/hasher.hpp>
#include <libtorrent/torrent_info.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <map>
#include <set>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "bundle/torrent_file.h"
#include "common/atomic_file.h"
#include "common/logging.h"
#include "common/read_file.h"
#include "common/unique_fd.h"
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

Status Refused(const std::string& why) { return UnsupportedInput("import refused: " + why); }

// A read from the drive failed: it was probably pulled out. What was copied stays for the next run.
Status DriveStatus(const Status& st) {
  if (st.ok() || (st.code() != StatusCode::kIo && st.code() != StatusCode::kNotFound)) return st;
  return IoError("import stopped: " + st.message() +
                 " (was the drive removed?); no lesson is offered until all its files are verified: run the same "
                 "import again to continue");
}

Result<std::string> ReadFromDrive(const fs::path& path, std::int64_t max_bytes) {
  auto bytes = ReadFileBytes(path, max_bytes);
  if (!bytes.ok()) return DriveStatus(IoError("cannot read " + path.string() + ": " + bytes.status().message()));
  return bytes;
}

std::int64_t KeptBytes(const bundle::PackItem& item, const std::vector<std::string>& renditions) {
  if (item.files.empty()) return item.total_bytes;
  std::int64_t bytes = 0;
  for (const auto& f : item.files) {
    if (KeepsFile(f.path, renditions)) bytes += f.size_bytes;
  }
  return bytes;
}

// Checks the pieces that hold the files `want` picks, read from under `root` (the torrent's
// files are at root/<lesson id>/...), against the torrent's v1 piece hashes.
Status CheckPieces(const lt::torrent_info& ti, const fs::path& root,
                   const std::function<bool(const std::string& file_name)>& want) {
  if (!ti.v1()) return Refused("torrent " + ti.name() + " has no v1 piece hashes");
  const lt::file_storage& files = ti.files();
  std::set<lt::piece_index_t> pieces;
  for (const lt::file_index_t fi : files.file_range()) {
    if (files.pad_file_at(fi) || files.file_size(fi) == 0 || !want(std::string(files.file_name(fi)))) continue;
    const lt::piece_index_t first = files.map_file(fi, 0, 0).piece;
    const lt::piece_index_t last = files.map_file(fi, files.file_size(fi) - 1, 0).piece;
    for (lt::piece_index_t p = first; p <= last; ++p) pieces.insert(p);
  }
  std::vector<char> buf;
  for (const lt::piece_index_t p : pieces) {
    const int size = ti.piece_size(p);
    buf.assign(static_cast<size_t>(size), 0);  // pad files read as zeros
    std::int64_t pos = 0;
    for (const lt::file_slice& s : files.map_block(p, 0, size)) {
      if (!files.pad_file_at(s.file_index)) {
        const fs::path path = root / files.file_path(s.file_index);
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (fd.get() < 0) {
          return Refused("piece " + std::to_string(static_cast<int>(p)) + " of lesson " + ti.name() + " needs " +
                         std::string(files.file_name(s.file_index)) + ", which is not held");
        }
        std::int64_t done = 0;
        while (done < s.size) {
          const ssize_t n = ::pread(fd.get(), buf.data() + pos + done, static_cast<size_t>(s.size - done),
                                    static_cast<off_t>(s.offset + done));
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) return ErrnoStatus("read " + path.string(), errno);
          if (n == 0) break;  // short: the hash will not match
          done += n;
        }
      }
      pos += s.size;
    }
    const lt::sha1_hash digest = lt::hasher(buf.data(), size).final();
    if (digest != ti.hash_for_piece(p)) {
      std::string names;
      for (const lt::file_slice& s : files.map_block(p, 0, size)) {
        if (!files.pad_file_at(s.file_index)) names += (names.empty() ? "" : ", ") + std::string(files.file_name(s.file_index));
      }
      return Refused("lesson " + ti.name() + ": " + names + " does not match piece " +
                     std::to_string(static_cast<int>(p)) + " of its torrent");
    }
  }
  return Status::Ok();
}

// Moves a verified lesson from the staging folder into lessons/: whole if nothing is there yet,
// file by file over what a download left otherwise.
Status MoveIntoPlace(const fs::path& staged, const fs::path& final_dir) {
  std::error_code ec;
  if (!fs::exists(final_dir, ec)) {
    if (::rename(staged.c_str(), final_dir.c_str()) != 0) return ErrnoStatus("rename " + final_dir.string(), errno);
    return SyncDirectory(final_dir.parent_path());
  }
  for (auto it = fs::recursive_directory_iterator(staged, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const fs::path target = final_dir / fs::relative(it->path(), staged);
    fs::create_directories(target.parent_path(), ec);
    if (::rename(it->path().c_str(), target.c_str()) != 0) return ErrnoStatus("rename " + target.string(), errno);
  }
  if (ec) return IoError("move " + staged.string() + ": " + ec.message());
  RETURN_IF_ERROR(SyncDirectory(final_dir));
  fs::remove_all(staged, ec);
  return Status::Ok();
}

struct DriveLesson {
  std::string folder;   // "" if its files are not on the drive
  std::string torrent;  // bencoded, checked against the signed manifest
};

class PackImport {
 public:
  PackImport(const ImportOptions& o, EdgeStore& store, ImportReport& report)
      : o_(o), store_(store), report_(report), import_root_(o.cache_dir / "import"),
        lessons_dir_(o.cache_dir / "lessons") {}

  Status Run(const fs::path& pack_dir) {
    pack_dir_ = pack_dir;
    ASSIGN_OR_RETURN(std::string index_text, ReadFromDrive(pack_dir / kUsbIndexFile, 16 << 20));
    const json index = json::parse(index_text, nullptr, false);
    if (!index.is_object() || index.value("format", "") != kUsbFormat || !index.contains("lessons") ||
        !index["lessons"].is_array()) {
      return Refused(pack_dir.string() + "/" + kUsbIndexFile + " is not a LessonMesh export index");
    }
    bundle::SignedPackManifest signed_manifest;
    ASSIGN_OR_RETURN(signed_manifest.manifest, ReadFromDrive(pack_dir / kUsbManifestFile, 64 << 20));
    ASSIGN_OR_RETURN(signed_manifest.signature, ReadFromDrive(pack_dir / kUsbSignatureFile, 4096));
    bundle::PackAudience audience{o_.school_id, {}};
    ASSIGN_OR_RETURN(std::optional<std::string> communities, store_.Get("communities"));
    if (communities) {
      const json c = json::parse(*communities, nullptr, false);
      if (c.is_array()) {
        for (const auto& id : c) {
          if (id.is_string()) audience.communities.push_back(id.get<std::string>());
        }
      }
    }
    auto manifest = bundle::VerifyPackManifest(signed_manifest, o_.catalog_key, audience);
    if (!manifest.ok()) return Refused("the pack manifest on the drive: " + manifest.status().message());
    manifest_ = std::move(*manifest);

    std::map<std::string, std::pair<std::string, std::string>> listed;  // id -> folder, torrent path
    for (const auto& l : index["lessons"]) {
      if (!l.is_object() || !l.contains("id") || !l["id"].is_string()) continue;
      listed[l["id"].get<std::string>()] = {l.value("folder", ""), l.value("torrent", "")};
    }
    for (const bundle::PackItem& item : manifest_.items) {
      DriveLesson d;
      auto it = listed.find(item.lesson_id);
      if (it != listed.end() && !it->second.second.empty()) {
        if (!bundle::IsSafeBundlePath(it->second.second) ||
            (!it->second.first.empty() && it->second.first.find('/') != std::string::npos)) {
          return Refused("the index names a path outside the export");
        }
        ASSIGN_OR_RETURN(std::string bytes, ReadFromDrive(pack_dir / it->second.second, 16 << 20));
        auto torrent = bundle::ParseTorrent(std::move(bytes));
        if (!torrent.ok() || torrent->info_hash_v1 != item.info_hash_v1 ||
            torrent->info_hash_v2 != item.info_hash_v2) {
          return Refused("the torrent of lesson " + item.lesson_id +
                         " does not have the info hashes the signed manifest names");
        }
        d.torrent = std::move(torrent->bytes);
        d.folder = it->second.first;
      }
      drive_[item.lesson_id] = std::move(d);
    }
    RETURN_IF_ERROR(ApplyPack(signed_manifest));
    return ImportLessons();
  }

 private:
  // The pack version on the drive, if newer than the one held, applied as the follower would.
  Status ApplyPack(const bundle::SignedPackManifest& signed_manifest) {
    ASSIGN_OR_RETURN(auto versions, store_.PackVersions());
    auto held = versions.find(manifest_.pack_id);
    if (held != versions.end() && held->second >= manifest_.version) {
      if (held->second > manifest_.version) {
        log_->warn("usb_pack_older pack={} drive_version={} held_version={}", manifest_.pack_id, manifest_.version,
                   held->second);
      }
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(std::vector<EdgeLesson> lessons, store_.Lessons());
    std::set<std::string> have;
    for (const auto& l : lessons) have.insert(l.id);
    std::map<std::string, std::string> torrents;
    for (const auto& [id, d] : drive_) {
      if (!have.count(id) && !d.torrent.empty()) torrents[id] = d.torrent;
    }
    ASSIGN_OR_RETURN(std::vector<std::string> added, store_.ApplyPack(signed_manifest, manifest_, torrents, UnixNow()));
    log_->info("usb_pack_accepted pack={} version={} items={} new_lessons={}", manifest_.pack_id, manifest_.version,
               manifest_.items.size(), added.size());
    return Status::Ok();
  }

  Status ImportLessons() {
    ASSIGN_OR_RETURN(std::vector<EdgeLesson> lessons, store_.Lessons());
    std::map<std::string, const EdgeLesson*> by_id;
    for (const auto& l : lessons) by_id[l.id] = &l;
    std::vector<const bundle::PackItem*> todo;
    std::int64_t need = 0;
    for (const bundle::PackItem& item : manifest_.items) {
      auto l = by_id.find(item.lesson_id);
      if (l != by_id.end() && l->second->state == LessonState::kReady) {
        ++report_.lessons_held;
      } else if (l == by_id.end() || drive_[item.lesson_id].folder.empty()) {
        ++report_.lessons_not_on_drive;
      } else {
        todo.push_back(&item);
        need += KeptBytes(item, o_.renditions);
      }
    }
    // Space first, as the daemon counts it: ready and downloading lessons, plus this import.
    std::map<std::string, std::int64_t> kept;
    ASSIGN_OR_RETURN(std::vector<AcceptedPack> packs, store_.Packs());
    for (const auto& p : packs) {
      auto m = bundle::ParsePackManifest(p.signed_manifest.manifest);
      if (!m.ok()) continue;
      for (const auto& item : m->items) kept[item.lesson_id] = KeptBytes(item, o_.renditions);
    }
    std::set<std::string> importing;
    for (const auto* item : todo) importing.insert(item->lesson_id);
    std::int64_t used = 0;
    for (const auto& l : lessons) {
      if (importing.count(l.id) || l.state == LessonState::kQueued || l.state == LessonState::kWaiting) continue;
      auto k = kept.find(l.id);
      used += k != kept.end() ? k->second : l.total_bytes;
    }
    std::error_code ec;
    fs::create_directories(import_root_, ec);
    if (ec) return IoError("create " + import_root_.string() + ": " + ec.message());
    fs::create_directories(lessons_dir_, ec);
    const std::int64_t free_bytes = std::max<std::int64_t>(0, FreeBytes(o_.cache_dir));
    if (used + need > o_.quota_bytes || need > free_bytes - o_.min_free_bytes) {
      return IoError("not enough space for the import: it needs " + std::to_string(need) + " bytes; the quota leaves " +
                     std::to_string(std::max<std::int64_t>(0, o_.quota_bytes - used)) + ", the disk leaves " +
                     std::to_string(std::max<std::int64_t>(0, free_bytes - o_.min_free_bytes)) +
                     " above min_free");
    }
    CopyProgress progress(o_.progress, need);
    for (const auto* item : todo) RETURN_IF_ERROR(ImportLesson(*item, progress));
    progress.Finish();
    return Status::Ok();
  }

  // Copies `name` from the drive to the staging folder unless an earlier run did.
  Status Fetch(const std::string& id, const fs::path& source, const fs::path& dest, const bundle::BundleFile* expected,
               CopyProgress& progress) {
    std::error_code ec;
    if (expected && fs::file_size(dest, ec) == static_cast<std::uintmax_t>(expected->size_bytes) && !ec) {
      ++report_.files_resumed;  // renamed into place only once it matched
      progress.Add(expected->size_bytes);
      return Status::Ok();
    }
    if (!expected && fs::exists(dest, ec)) {
      ++report_.files_resumed;
      return Status::Ok();
    }
    fs::create_directories(dest.parent_path(), ec);
    if (ec) return IoError("create " + dest.parent_path().string() + ": " + ec.message());
    auto check = [&](const CopiedFile& c) -> Status {
      if (!expected || (c.size_bytes == expected->size_bytes && c.xxh3_128 == expected->xxh3_128)) return Status::Ok();
      return Refused(source.string() + " does not match lesson.json (size or XXH3-128)");
    };
    auto copied = CopyFileDurably(source, dest, check, [&](std::int64_t n) {
      if (expected) progress.Add(n);
    });
    if (!copied.ok()) return DriveStatus(copied.status());
    ++report_.files_copied;
    report_.bytes_copied += copied->size_bytes;
    if (o_.after_file) o_.after_file(id, expected ? expected->path : bundle::kLessonManifestFile);
    return Status::Ok();
  }

  Status ImportLesson(const bundle::PackItem& item, CopyProgress& progress) {
    const std::string& id = item.lesson_id;
    const DriveLesson& d = drive_[id];
    lt::error_code lec;
    const lt::torrent_info ti(lt::span<const char>(d.torrent.data(), static_cast<long>(d.torrent.size())), lec,
                              lt::from_span);
    if (lec) return Refused("the torrent of lesson " + id + ": " + lec.message());
    if (ti.name() != id) return Refused("the torrent of lesson " + id + " is named " + ti.name());
    const fs::path source = pack_dir_ / d.folder;
    const fs::path staged = import_root_ / id;

    // lesson.json first: its pieces vouch for it, and it vouches for every other file.
    RETURN_IF_ERROR(Fetch(id, source / bundle::kLessonManifestFile, staged / bundle::kLessonManifestFile, nullptr,
                          progress));
    if (Status st = CheckPieces(ti, import_root_, [](const std::string& n) { return n == bundle::kLessonManifestFile; });
        !st.ok()) {
      std::error_code ec;
      fs::remove(staged / bundle::kLessonManifestFile, ec);
      return st;
    }
    ASSIGN_OR_RETURN(bundle::LessonManifest manifest, bundle::ReadLessonManifest(staged));
    if (manifest.id != id) return Refused("lesson.json of lesson " + id + " names lesson " + manifest.id);
    for (const bundle::BundleFile& f : manifest.files) {
      if (!KeepsFile(f.path, o_.renditions)) continue;
      RETURN_IF_ERROR(Fetch(id, source / f.path, staged / f.path, &f, progress));
    }
    // Every kept file against the torrent's pieces, as copied to this disk.
    if (Status st = CheckPieces(ti, import_root_, [&](const std::string& n) { return KeepsFile(n, o_.renditions); });
        !st.ok()) {
      std::error_code ec;
      fs::remove_all(staged, ec);
      return st;
    }
    RETURN_IF_ERROR(MoveIntoPlace(staged, lessons_dir_ / id));
    std::vector<std::string> renditions;
    for (const auto& r : manifest.renditions) {
      if (KeepsFile(r.file, o_.renditions)) renditions.push_back(r.name);
    }
    RETURN_IF_ERROR(store_.SetMetadata(id, manifest, renditions));
    RETURN_IF_ERROR(store_.SetState(id, LessonState::kReady, "", UnixNow()));
    ++report_.lessons_imported;
    log_->info("lesson_imported lesson={} title=\"{}\" renditions={}", id, manifest.metadata.title,
               renditions.size());
    return Status::Ok();
  }

  const ImportOptions& o_;
  EdgeStore& store_;
  ImportReport& report_;
  const fs::path import_root_, lessons_dir_;
  std::shared_ptr<spdlog::logger> log_ = AreaLogger("edge.usb");
  fs::path pack_dir_;
  bundle::PackManifest manifest_;
  std::map<std::string, DriveLesson> drive_;
};

// The pack folders under `from`: itself if it is one, else its sub-folders that are.
Result<std::vector<fs::path>> PackFolders(const fs::path& from) {
  std::error_code ec;
  if (!fs::is_directory(from, ec)) {
    return DriveStatus(IoError("cannot read " + from.string() + ": " + (ec ? ec.message() : "not a folder")));
  }
  if (fs::exists(from / kUsbIndexFile, ec)) return std::vector<fs::path>{from};
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(from, ec)) {
    if (fs::exists(entry.path() / kUsbIndexFile)) out.push_back(entry.path());
  }
  if (ec) return DriveStatus(IoError("cannot read " + from.string() + ": " + ec.message()));
  std::sort(out.begin(), out.end());
  if (out.empty()) {
    return InvalidArgument(from.string() + " holds no LessonMesh export (no " + kUsbIndexFile + ")", "from");
  }
  return out;
}

}  // namespace

Result<ImportReport> ImportFromUsb(const ImportOptions& o) {
  ASSIGN_OR_RETURN(std::vector<fs::path> folders, PackFolders(o.from_dir));
  std::error_code ec;
  fs::create_directories(o.cache_dir, ec);
  if (ec) return IoError("create " + o.cache_dir.string() + ": " + ec.message());
  ASSIGN_OR_RETURN(std::unique_ptr<EdgeStore> store, EdgeStore::Open((o.cache_dir / "state.db").string()));
  ImportReport report;
  for (const fs::path& folder : folders) {
    PackImport pack(o, *store, report);
    RETURN_IF_ERROR(pack.Run(folder));
    ++report.packs;
  }
  return report;
}

}  // namespace lm::edge
