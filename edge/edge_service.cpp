#include "edge/edge_service.h"

#include <spdlog/spdlog.h>
#include <time.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "bundle/pack_manifest.h"
#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/http/http_server.h"
#include "common/logging.h"
#include "common/read_file.h"
#include "common/unix_time.h"
#include "edge/disk_space.h"
#include "edge/download_order.h"
#include "edge/edge_routes.h"
#include "edge/edge_store.h"
#include "edge/held_files.h"
#include "edge/lesson_verifier.h"
#include "edge/pack_follower.h"
#include "edge/reporter.h"
#include "edge/transfer.h"

namespace lm::edge {

namespace fs = std::filesystem;

namespace {

constexpr auto kReconcilePeriod = std::chrono::seconds(30);
// While a full disk holds a lesson stopped mid-download, the keeper looks this often whether space
// has come back (someone deleted files), so the lesson goes on soon after; and as soon again when
// an evicted lesson's record could not be removed (the full disk refused SQLite's write).
constexpr auto kDiskFullRecheckPeriod = std::chrono::seconds(3);
constexpr auto kEvictionSettle = std::chrono::seconds(20);

std::string LocalDate(std::chrono::system_clock::time_point t) {
  const time_t secs = std::chrono::system_clock::to_time_t(t);
  struct tm local {};
  localtime_r(&secs, &local);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &local);
  return buf;
}

Result<std::string> LoadOrCreateAdminToken(const fs::path& path) {
  if (auto existing = ReadFileBytes(path, 4096); existing.ok()) {
    std::string token = *existing;
    while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
    if (!token.empty()) return token;
  }
  std::random_device rd;
  std::uint32_t words[8];
  for (auto& w : words) w = rd();
  const std::string token = HexEncode(words, sizeof(words));
  RETURN_IF_ERROR(WriteFileAtomically(path, token + "\n", 0600));
  return token;
}

}  // namespace

Result<std::string> ReadTokenFile(const std::string& path) {
  auto bytes = ReadFileBytes(path, 4096);
  if (!bytes.ok()) return InvalidArgument("token_file: " + bytes.status().message(), "token_file");
  std::string token = bytes->substr(0, bytes->find('\n'));
  while (!token.empty() && (token.back() == ' ' || token.back() == '\r')) token.pop_back();
  if (token.empty()) return InvalidArgument("token_file " + path + " holds no token", "token_file");
  return token;
}

struct EdgeService::Impl {
  EdgeConfig config;
  EdgeServiceHooks hooks;
  std::shared_ptr<spdlog::logger> log = AreaLogger("edge");
  fs::path cache_dir, lessons_dir;
  std::int64_t quota_bytes = 0, min_free_bytes = 0;
  std::string token, admin_token;

  std::unique_ptr<EdgeStore> store;
  std::unique_ptr<Transfer> transfer;
  std::unique_ptr<PackFollower> follower;
  std::unique_ptr<Reporter> reporter;
  std::unique_ptr<EdgeRoutes> routes;
  std::unique_ptr<http::HttpServer> server;

  // The keeper's work: reconcile packs with the session and the cache, verify downloads.
  std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  bool reconcile = true;
  std::deque<std::string> to_verify;
  std::vector<std::string> errors;  // for the reports: disk_full and the like
  bool look_again_soon = false;      // kDiskFullRecheckPeriod applies (keeper thread only)
  // Evicted lessons whose files are deleted but whose record a full disk kept SQLite from removing
  // (keeper thread only): removed again at each pass until it works, and never re-added meanwhile.
  std::set<std::string> evicted_unrecorded;
  // Evicted lessons whose room may not show yet (keeper thread only). libtorrent deletes the files
  // on its disk thread some time after the eviction, and a file it still has mapped keeps its
  // blocks after it is unlinked, so for kEvictionSettle the room a lesson held counts as free
  // whatever statvfs and its folder say, and after that as long as its files are still there; or
  // the next pass, seeing the disk still full, evicts another lesson for the same download.
  // Counting the room twice for a while only delays the next eviction by a few passes.
  struct PendingEviction {
    std::int64_t bytes = 0;  // on disk when evicted
    std::chrono::steady_clock::time_point at;
  };
  std::map<std::string, PendingEviction> evicted_deleting;
  std::thread keeper;
  std::thread scrubber;
  std::map<std::string, std::chrono::steady_clock::time_point> scrubbed;  // scrubber thread only

  // Kept bytes per lesson of each accepted pack version, parsed once (KeptBytes).
  struct KeptOfPack {
    std::int64_t version = 0;
    std::vector<std::pair<std::string, std::int64_t>> lessons;  // in the manifest's order
  };
  std::mutex kept_mu;
  std::map<std::int64_t, KeptOfPack> kept_of_packs;  // by pack id

  std::chrono::system_clock::time_point Now() const {
    return hooks.clock ? hooks.clock() : std::chrono::system_clock::now();
  }

  void RequestReconcile() {
    {
      std::lock_guard lock(mu);
      reconcile = true;
    }
    wake.notify_all();
  }

  void OnDownloaded(const std::string& id) {
    {
      std::lock_guard lock(mu);
      to_verify.push_back(id);
    }
    wake.notify_all();
  }

  // Bytes of the files this school keeps, per lesson, from the signed manifests. Each reconcile
  // and each report asks; a pack version's manifest is parsed once (kept_of_packs).
  std::map<std::string, std::int64_t> KeptBytes() {
    std::map<std::string, std::int64_t> out;
    auto versions = store->PackVersions();
    if (!versions.ok()) return out;
    std::lock_guard lock(kept_mu);
    bool stale = kept_of_packs.size() != versions->size();
    for (const auto& [pack, version] : *versions) {
      auto it = kept_of_packs.find(pack);
      stale = stale || it == kept_of_packs.end() || it->second.version != version;
    }
    if (stale) {
      auto packs = store->Packs();
      if (!packs.ok()) return out;
      std::map<std::int64_t, KeptOfPack> fresh;
      for (const auto& p : *packs) {
        auto held = kept_of_packs.find(p.pack_id);
        if (held != kept_of_packs.end() && held->second.version == p.version) {
          fresh.emplace(p.pack_id, std::move(held->second));
          continue;
        }
        KeptOfPack k;
        k.version = p.version;
        if (auto m = bundle::ParsePackManifest(p.signed_manifest.manifest); m.ok()) {
          for (const auto& item : m->items) {
            std::int64_t bytes = 0;
            for (const auto& f : item.files) {
              if (KeepsFile(f.path, config.renditions)) bytes += f.size_bytes;
            }
            k.lessons.emplace_back(item.lesson_id, bytes);
          }
        }
        fresh.emplace(p.pack_id, std::move(k));
      }
      kept_of_packs = std::move(fresh);
    }
    // In pack id order, a later item overriding an earlier one, as the manifests were read before.
    for (const auto& [pack, k] : kept_of_packs) {
      for (const auto& [id, bytes] : k.lessons) out[id] = bytes;
    }
    return out;
  }

  // Puts a lesson in the BitTorrent session; its torrent is read only when the session lacks it.
  void AddToSession(const EdgeLesson& l) {
    if (transfer->Has(l.id)) return;
    auto torrent = store->Torrent(l.id);
    if (!torrent.ok()) {
      log->error("torrent_unreadable lesson={} error=\"{}\"", l.id, torrent.status().message());
      return;
    }
    transfer->Add(l.id, *torrent);
  }

  void Verify(const std::string& id) {
    auto lesson = store->Lesson(id);
    if (!lesson.ok() || lesson->state == LessonState::kReady) return;  // found complete at start: already known good
    (void)store->SetState(id, LessonState::kVerifying);
    auto verified = VerifyLesson(lessons_dir / id, id, config.renditions);
    if (!verified.ok()) {
      log->error("lesson_damaged lesson={} error=\"{}\"", id, verified.status().message());
      (void)store->SetState(id, LessonState::kDownloading, "damaged: " + verified.status().message());
      transfer->Recheck(id);
      return;
    }
    Status st = store->SetMetadata(id, verified->manifest, verified->renditions);
    if (st.ok()) st = store->SetState(id, LessonState::kReady, "", UnixNow());
    if (!st.ok()) {
      log->error("lesson_state_failed lesson={} error=\"{}\"", id, st.message());
      return;
    }
    log->info("lesson_ready lesson={} title=\"{}\" renditions={} bytes={}", id, verified->manifest.metadata.title,
              verified->renditions.size(), verified->bytes);
    if (reporter) reporter->ReportNow();
  }

  // What a pass reads, on its first lesson to start, to start lessons from files held under
  // others: the kept files of every lesson the packs name, and the held lessons' files by content.
  struct HeldStart {
    std::map<std::string, std::vector<bundle::BundleFile>> kept_files;  // by lesson id
    std::optional<HeldFiles> held;
  };

  // A lesson about to download starts from the files this edge already holds under other lessons
  // (a revised version keeps its media): they are copied into its folder before libtorrent adds
  // it, whose check finds them. `start` is read on the first call of a pass.
  void StartFromHeldFiles(const EdgeLesson& l, const std::vector<EdgeLesson>& lessons, HeldStart& start) {
    if (transfer->Has(l.id)) return;
    if (!start.held) {
      start.kept_files = KeptFilesByLesson();
      std::vector<std::string> ready;
      for (const EdgeLesson& h : lessons) {
        if (h.state == LessonState::kReady) ready.push_back(h.id);
      }
      start.held.emplace(lessons_dir, ready);
    }
    auto wanted = start.kept_files.find(l.id);
    if (wanted == start.kept_files.end()) return;
    const ReusedFiles reused = start.held->CopyInto(l.id, wanted->second);
    if (reused.files > 0) {
      log->info("lesson_files_reused lesson={} files={} bytes={}", l.id, reused.files, reused.bytes);
    }
  }

  // The files this edge keeps of each lesson the packs name, from their manifests (a later pack's
  // item overriding an earlier one's, as KeptBytes reads them).
  std::map<std::string, std::vector<bundle::BundleFile>> KeptFilesByLesson() {
    std::map<std::string, std::vector<bundle::BundleFile>> out;
    auto packs = store->Packs();
    if (!packs.ok()) return out;
    for (const auto& p : *packs) {
      auto m = bundle::ParsePackManifest(p.signed_manifest.manifest);
      if (!m.ok()) continue;
      for (const auto& item : m->items) {
        std::vector<bundle::BundleFile>& files = out[item.lesson_id];
        files.clear();
        for (const auto& f : item.files) {
          if (KeepsFile(f.path, config.renditions)) files.push_back(f);
        }
      }
    }
    return out;
  }

  void Reconcile() {
    for (auto it = evicted_unrecorded.begin(); it != evicted_unrecorded.end();) {
      it = store->Remove(*it).ok() ? evicted_unrecorded.erase(it) : std::next(it);
    }
    look_again_soon = !evicted_unrecorded.empty();
    auto lessons = store->Lessons();
    if (!lessons.ok()) {
      log->error("reconcile_failed error=\"{}\"", lessons.status().message());
      return;
    }
    const std::map<std::string, std::int64_t> kept = KeptBytes();
    auto kept_of = [&](const EdgeLesson& l) {
      auto it = kept.find(l.id);
      return it != kept.end() ? it->second : l.total_bytes;
    };
    const std::string today = LocalDate(Now());
    std::map<std::string, std::string> session_state;  // lesson -> Transfer's state name
    for (const auto& p : transfer->Progress()) session_state[p.lesson_id] = p.state;
    std::int64_t used = 0;
    std::vector<EdgeLesson*> wanted, evictable;
    for (auto& l : *lessons) {
      if (evicted_unrecorded.count(l.id)) continue;  // gone but for its record
      const bool in_pack = !l.packs.empty();
      const bool pinned = !l.pinned_until.empty() && l.pinned_until >= today;
      if (l.state == LessonState::kReady) {
        used += kept_of(l);
        AddToSession(l);  // seeded to the other schools
        // Its files arrived outside the session (a USB import): a recheck finds them, so it seeds.
        if (auto s = session_state.find(l.id); s != session_state.end() &&
                                               (s->second == "downloading" || s->second == "queued")) {
          transfer->Recheck(l.id);
        }
        if (!in_pack && !pinned) evictable.push_back(&l);
      } else if (!in_pack) {
        // Dropped by its pack before it arrived: stop fetching it.
        transfer->Remove(l.id, /*delete_files=*/true);
        (void)store->Remove(l.id);
      } else {
        wanted.push_back(&l);
        if (l.state == LessonState::kDownloading || l.state == LessonState::kVerifying) used += kept_of(l);
      }
    }
    // Least recently played first; never played before any played, the oldest arrival first.
    std::sort(evictable.begin(), evictable.end(), [](const EdgeLesson* a, const EdgeLesson* b) {
      if (a->last_played_at != b->last_played_at) return a->last_played_at < b->last_played_at;
      if (a->ready_at != b->ready_at) return a->ready_at < b->ready_at;
      return a->id < b->id;
    });
    SortForDownload(wanted, config.school_id, config.peer_to_peer ? config.lan_group : "");

    std::vector<std::string> errors_now;
    std::vector<std::string> order;
    size_t next_evict = 0;
    HeldStart held_start;  // read once a lesson starts in this pass
    std::map<std::string, DownloadProgress> progress;
    for (auto& p : transfer->Progress()) progress[p.lesson_id] = p;
    // Free disk as this pass leaves it. The session thread deletes an evicted lesson's files after
    // this pass has gone on, so statvfs would not show the room made here: asked again after each
    // eviction, it made one lesson short of space evict every unpinned lesson at once.
    std::int64_t free_bytes = std::max<std::int64_t>(0, FreeBytes(cache_dir));
    const auto now = std::chrono::steady_clock::now();
    for (auto it = evicted_deleting.begin(); it != evicted_deleting.end();) {
      const std::int64_t still = BytesUnder(lessons_dir / it->first);
      const bool settling = now - it->second.at < kEvictionSettle;
      free_bytes += settling ? std::max(still, it->second.bytes) : still;
      if (settling) look_again_soon = true;
      it = settling || still > 0 ? std::next(it) : evicted_deleting.erase(it);
    }
    // Evicts the next least recently played unpinned lesson to make room for `for_id`; false when
    // none is left.
    auto evict_next = [&](const std::string& for_id) {
      if (next_evict >= evictable.size()) return false;
      EdgeLesson* victim = evictable[next_evict++];
      log->info("lesson_evicted lesson={} bytes={} for={}", victim->id, kept_of(*victim), for_id);
      const std::int64_t on_disk = BytesUnder(lessons_dir / victim->id);
      transfer->Remove(victim->id, /*delete_files=*/true);
      evicted_deleting[victim->id] = {on_disk, now};
      // On a full disk this write can fail (SQLite has no room for its log): the files go all the
      // same, as the room is what is needed, and the record goes in a later pass.
      if (Status st = store->Remove(victim->id); !st.ok()) {
        log->error("evict_record_failed lesson={} error=\"{}\"", victim->id, st.message());
        evicted_unrecorded.insert(victim->id);
        look_again_soon = true;
      }
      used -= kept_of(*victim);
      free_bytes += on_disk;
      return true;
    };
    for (EdgeLesson* l : wanted) {
      if (l->state == LessonState::kDownloading || l->state == LessonState::kVerifying) {
        AddToSession(*l);
        order.push_back(l->id);
        // A full disk stopped it: make room if unpinned lessons allow, then let it go on.
        auto p = progress.find(l->id);
        if (p != progress.end() && p->second.error == "disk_full") {
          const std::int64_t missing = std::max<std::int64_t>(0, p->second.bytes_wanted - p->second.bytes_done);
          log->info("disk_full_room lesson={} bytes_needed={} bytes_free={} evictable={}", l->id, missing,
                    free_bytes, evictable.size() - next_evict);
          while (missing + min_free_bytes > free_bytes && evict_next(l->id)) {
          }
          if (missing + min_free_bytes <= free_bytes) {
            free_bytes -= missing;
            transfer->Retry(l->id);
          } else {
            errors_now.push_back("disk_full lesson=" + l->id + " bytes_needed=" + std::to_string(missing));
            look_again_soon = true;
          }
        }
        continue;
      }
      const std::int64_t need = kept_of(*l);
      auto fits = [&] { return used + need <= quota_bytes && need <= free_bytes - min_free_bytes; };
      while (!fits() && evict_next(l->id)) {
      }
      if (!fits()) {
        const std::string why = "disk_full: needs " + std::to_string(need) + " bytes";
        if (l->error != why) {
          log->warn("lesson_waits lesson={} reason=\"{}\"", l->id, why);
          (void)store->SetState(l->id, LessonState::kWaiting, why);
        }
        errors_now.push_back("disk_full lesson=" + l->id + " bytes_needed=" + std::to_string(need));
        continue;
      }
      used += need;
      free_bytes -= need;  // what it will take, though statvfs does not show it yet
      (void)store->SetState(l->id, LessonState::kDownloading);
      StartFromHeldFiles(*l, *lessons, held_start);
      AddToSession(*l);
      order.push_back(l->id);
    }
    transfer->SetOrder(order);
    std::lock_guard lock(mu);
    errors = std::move(errors_now);
  }

  ReportContent Content() {
    ReportContent c;
    c.free_bytes = std::max<std::int64_t>(0, FreeBytes(cache_dir));
    std::map<std::string, DownloadProgress> progress;
    for (auto& p : transfer->Progress()) progress[p.lesson_id] = p;
    const auto kept = KeptBytes();
    if (auto lessons = store->Lessons(); lessons.ok()) {
      for (const auto& l : *lessons) {
        if (l.packs.empty() && l.state != LessonState::kReady) continue;
        InventoryItem item;
        item.lesson_id = l.id;
        const auto k = kept.find(l.id);
        const std::int64_t total = k != kept.end() ? k->second : l.total_bytes;
        if (l.state == LessonState::kReady) {
          item.state = "complete";
          item.bytes = total;
        } else {
          auto p = progress.find(l.id);
          item.bytes = p != progress.end() ? p->second.bytes_done : 0;
          item.state = item.bytes > 0 ? "partial" : "missing";
          item.bytes_missing = std::max<std::int64_t>(0, total - item.bytes);
        }
        c.inventory.push_back(std::move(item));
      }
    }
    {
      std::lock_guard lock(mu);
      c.errors = errors;
    }
    for (const auto& r : follower->State().refusals) c.errors.push_back("pack_refused " + r);
    return c;
  }

  void RunKeeper() {
    auto next_reconcile = std::chrono::steady_clock::now();
    for (;;) {
      std::string verify;
      bool do_reconcile = false;
      {
        std::unique_lock lock(mu);
        wake.wait_until(lock, next_reconcile, [&] { return stopping || reconcile || !to_verify.empty(); });
        if (stopping) return;
        if (!to_verify.empty()) {
          verify = to_verify.front();
          to_verify.pop_front();
        }
        if (reconcile || std::chrono::steady_clock::now() >= next_reconcile) {
          do_reconcile = true;
          reconcile = false;
        }
      }
      if (!verify.empty()) Verify(verify);
      if (do_reconcile) {
        Reconcile();
        const auto period = look_again_soon ? kDiskFullRecheckPeriod : kReconcilePeriod;
        next_reconcile = std::chrono::steady_clock::now() + period;
      }
    }
  }

  bool stopped = false;

  // Re-hashes one held lesson after another at a low rate. A file that no longer matches
  // lesson.json withdraws the lesson from the classrooms, makes libtorrent check its pieces and
  // fetch the damaged ones, and the lesson is offered again once it verifies.
  void RunScrubber() {
    const std::int64_t bytes_per_second = std::int64_t{config.scrub_kbps} * 1000 / 8;
    for (;;) {
      {
        std::unique_lock lock(mu);
        wake.wait_for(lock, std::chrono::seconds(config.scrub_interval_seconds), [&] { return stopping; });
        if (stopping) return;
      }
      auto lessons = store->Lessons();
      if (!lessons.ok()) continue;
      const EdgeLesson* next = nullptr;
      auto last = [&](const EdgeLesson& l) {
        auto it = scrubbed.find(l.id);
        return it == scrubbed.end() ? std::chrono::steady_clock::time_point{} : it->second;
      };
      for (const auto& l : *lessons) {
        if (l.state == LessonState::kReady && (next == nullptr || last(l) < last(*next))) next = &l;
      }
      if (next == nullptr) continue;
      const std::string id = next->id;
      scrubbed[id] = std::chrono::steady_clock::now();
      auto verified = VerifyLesson(lessons_dir / id, id, config.renditions, bytes_per_second);
      if (verified.ok()) continue;
      auto now_state = store->Lesson(id);
      if (!now_state.ok() || now_state->state != LessonState::kReady) continue;  // evicted meanwhile
      log->error("scrub_mismatch lesson={} error=\"{}\"", id, verified.status().message());
      (void)store->SetState(id, LessonState::kDownloading, "damaged: " + verified.status().message());
      transfer->Recheck(id);
      if (reporter) reporter->ReportNow();
    }
  }

  void Stop() {
    if (stopped) return;
    stopped = true;
    if (server) server->Stop();
    if (reporter) reporter->Stop();
    if (follower) follower->Stop();
    {
      std::lock_guard lock(mu);
      stopping = true;
    }
    wake.notify_all();
    if (keeper.joinable()) keeper.join();
    if (scrubber.joinable()) scrubber.join();
    if (transfer) transfer->Stop();
  }
};

Result<std::unique_ptr<EdgeService>> EdgeService::Start(const EdgeConfig& config, EdgeServiceHooks hooks) {
  RETURN_IF_ERROR(ValidateEdgeConfig(config));
  auto impl = std::make_unique<Impl>();
  Impl& s = *impl;
  s.config = config;
  s.hooks = std::move(hooks);
  s.cache_dir = config.cache_dir;
  s.lessons_dir = s.cache_dir / "lessons";
  ASSIGN_OR_RETURN(s.quota_bytes, ParseByteSize(config.quota));
  ASSIGN_OR_RETURN(s.min_free_bytes, ParseByteSize(config.min_free));
  ASSIGN_OR_RETURN(s.token, ReadTokenFile(config.token_file));
  std::error_code ec;
  fs::create_directories(s.lessons_dir, ec);
  if (ec) return IoError("create " + s.lessons_dir.string() + ": " + ec.message());
  ASSIGN_OR_RETURN(s.admin_token, LoadOrCreateAdminToken(s.cache_dir / "admin.token"));
  ASSIGN_OR_RETURN(s.store, EdgeStore::Open((s.cache_dir / "state.db").string()));

  TransferOptions topts;
  topts.lessons_dir = s.lessons_dir;
  topts.resume_dir = s.cache_dir / "resume";
  const std::string port = std::to_string(config.torrent_port);
  topts.listen_interfaces = "0.0.0.0:" + port + ",[::]:" + port;
  topts.renditions = config.renditions;
  topts.max_active_downloads = config.max_active_downloads;
  topts.lsd = config.lsd;
  topts.peer_to_peer = config.peer_to_peer;
  topts.web_seed_wait_seconds = config.web_seed_wait_seconds;
  topts.lan_group = config.lan_group;
  topts.lan_networks = config.lan_networks;
  ASSIGN_OR_RETURN(topts.schedule, BandwidthSchedule::Parse(config.schedule));
  if (s.hooks.clock) topts.clock = s.hooks.clock;
  Impl* raw = impl.get();
  // A full disk that stopped a lesson is looked at at once: eviction may make room.
  ASSIGN_OR_RETURN(s.transfer, Transfer::Start(
                                   std::move(topts), [raw](const std::string& id) { raw->OnDownloaded(id); },
                                   [raw](const std::string&) { raw->RequestReconcile(); }));

  FollowerOptions fopts;
  fopts.catalog_url = config.catalog_url;
  fopts.ca_file = config.ca_file;
  fopts.token = s.token;
  fopts.school_id = config.school_id;
  fopts.catalog_key = config.catalog_key;
  fopts.poll_wait_seconds = config.poll_wait_seconds;
  s.follower = PackFollower::Start(std::move(fopts), *s.store, [raw] { raw->RequestReconcile(); });

  EdgeRoutesOptions ropts;
  ropts.lessons_dir = s.lessons_dir;
  ropts.cache_dir = s.cache_dir;
  ropts.admin_token = s.admin_token;
  ropts.school_id = config.school_id;
  ropts.quota_bytes = s.quota_bytes;
  ropts.min_free_bytes = s.min_free_bytes;
  ropts.web_dir = config.web_dir;
  ropts.lan_name = config.lan_name;
  ropts.errors = [raw] {
    std::lock_guard lock(raw->mu);
    return raw->errors;
  };
  s.routes = std::make_unique<EdgeRoutes>(std::move(ropts), *s.store, *s.transfer, *s.follower);

  http::ServerOptions sopts;
  sopts.address = config.listen_address;
  sopts.port = config.port;
  sopts.worker_threads = config.http_threads;
  sopts.network_threads = 2;  // classrooms pull video by ranges: the kernel's copies on two cores
  // A classroom behind one NAT address is many players: no limit per address, only in all.
  sopts.max_connections_per_client = 0;
  EdgeRoutes* routes = s.routes.get();
  auto server = http::HttpServer::Start(
      sopts, [routes](http::Request req, http::Responder respond) { respond(routes->Handle(req)); },
      &EdgeRoutes::BodyLimit);
  if (!server.ok()) {
    s.Stop();
    return server.status();
  }
  s.server = std::move(*server);

  ReporterOptions report;
  report.catalog_url = config.catalog_url;
  report.ca_file = config.ca_file;
  report.token = s.token;
  report.school_id = config.school_id;
  report.interval = std::chrono::seconds(config.report_interval_seconds);
  s.reporter = Reporter::Start(std::move(report), *s.store, [raw] { return raw->Content(); });

  s.keeper = std::thread([raw] { raw->RunKeeper(); });
  if (config.scrub_kbps > 0) s.scrubber = std::thread([raw] { raw->RunScrubber(); });
  s.log->info("edge_started school={} http_port={} torrent_port={} cache={}", config.school_id, s.server->port(),
              s.transfer->listen_port(), s.cache_dir.string());
  return std::unique_ptr<EdgeService>(new EdgeService(std::move(impl)));
}

EdgeService::EdgeService(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EdgeService::~EdgeService() { Stop(); }

void EdgeService::Stop() { impl_->Stop(); }
std::uint16_t EdgeService::http_port() const { return impl_->server->port(); }
std::uint16_t EdgeService::torrent_port() const { return impl_->transfer->listen_port(); }
const std::string& EdgeService::admin_token() const { return impl_->admin_token; }

}  // namespace lm::edge
