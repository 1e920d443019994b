#include "edge/transfer.h"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/ip_filter.hpp>
#include <libtorrent/peer_class_type_filter.hpp>
#include <libtorrent/read_resume_data.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <libtorrent/write_resume_data.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/atomic_file.h"
#include "common/logging.h"
#include "common/read_file.h"

namespace lm::edge {

namespace fs = std::filesystem;

namespace {

// Lessons with new pieces save their resume data this often, so a kill -9 loses at most a few
// seconds of pieces (libtorrent saves only what changed).
constexpr auto kResumeSavePeriod = std::chrono::seconds(5);
constexpr auto kTick = std::chrono::milliseconds(200);

bool IsRenditionFile(const std::string& name, std::string* rendition) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return false;
  const std::string ext = name.substr(dot + 1), stem = name.substr(0, dot);
  if (ext != "mp4" && ext != "m3u8") return false;
  if (stem == "audio" || (stem.size() >= 2 && stem.back() == 'p' &&
                          stem.find_first_not_of("0123456789") == stem.size() - 1)) {
    *rendition = stem;
    return true;
  }
  return false;
}

bool IsEarlyFile(const std::string& name) {
  return name == "lesson.json" || name == "poster.jpg" ||
         (name.size() > 5 && name.compare(name.size() - 5, 5, ".m3u8") == 0);
}

std::string StateName(const lt::torrent_status& st) {
  if (st.errc) return "error";
  if (st.flags & lt::torrent_flags::paused && !(st.flags & lt::torrent_flags::auto_managed)) return "paused";
  switch (st.state) {
    case lt::torrent_status::checking_files:
    case lt::torrent_status::checking_resume_data:
      return "checking";
    case lt::torrent_status::finished:
    case lt::torrent_status::seeding:
      return "finished";
    default:
      return (st.flags & lt::torrent_flags::paused) ? "queued" : "downloading";
  }
}

}  // namespace

bool KeepsFile(const std::string& file_name, const std::vector<std::string>& renditions) {
  std::string rendition;
  if (!IsRenditionFile(file_name, &rendition)) return true;
  return std::find(renditions.begin(), renditions.end(), rendition) != renditions.end();
}

struct Transfer::Impl {
  TransferOptions options;
  OnDownloaded on_downloaded;
  OnDiskFull on_disk_full;
  std::shared_ptr<spdlog::logger> log = AreaLogger("edge.transfer");
  lt::session session;

  // Commands from other threads, run by the session thread.
  std::mutex commands_mu;
  std::deque<std::function<void()>> commands;

  // Session-thread state.
  std::map<std::string, lt::torrent_handle> handles;  // by lesson id
  std::set<std::string> reported_done;
  // Web seeds held back from a lesson until peers have left it without bytes for
  // web_seed_wait_seconds (peer_to_peer only).
  struct HeldWebSeeds {
    std::vector<std::string> urls;
    std::int64_t received = 0;
    std::chrono::steady_clock::time_point since;  // of the last byte, or of the last wait
  };
  std::map<std::string, HeldWebSeeds> held_web_seeds;
  std::map<std::string, std::vector<std::string>> web_seed_urls;  // every lesson's, held or not
  std::chrono::steady_clock::time_point next_web_seed_check{};
  // Downloading lessons' last payload total and when it last grew (the stall report), and their
  // pieces seen with every block finished but not hashed, since when (the stuck-piece recheck).
  struct Watch {
    std::int64_t received = -1;
    std::chrono::steady_clock::time_point since;
    std::chrono::steady_clock::time_point reported{};
    std::map<int, std::chrono::steady_clock::time_point> finished_unhashed;
    std::chrono::steady_clock::time_point rechecked{};
  };
  std::map<std::string, Watch> watches;
  std::chrono::steady_clock::time_point next_stuck_check{};
  std::chrono::steady_clock::time_point last_resume_save{};
  int resume_saves_pending = 0;
  int applied_down_kbps = -1, applied_up_kbps = -1;

  // Snapshots for readers.
  mutable std::mutex snapshot_mu;
  std::map<std::string, DownloadProgress> progress;
  std::set<std::string> disk_full;  // paused by a full disk until Retry
  std::set<std::string> added;      // Add()ed and not Remove()d since (Has)
  TransferTotals totals;
  BandwidthNow bandwidth;

  std::atomic<bool> stopping{false};
  std::atomic<bool> stopped{false};
  std::thread thread;

  Impl(TransferOptions o, OnDownloaded cb, OnDiskFull full, lt::settings_pack pack)
      : options(std::move(o)), on_downloaded(std::move(cb)), on_disk_full(std::move(full)), session(std::move(pack)) {}

  fs::path ResumePath(const std::string& id) const { return options.resume_dir / (id + ".resume"); }

  void Post(std::function<void()> fn) {
    std::lock_guard lock(commands_mu);
    commands.push_back(std::move(fn));
  }

  void RunCommands() {
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(commands_mu);
      batch.swap(commands);
    }
    for (auto& fn : batch) fn();
  }

  // A lesson that could not be added: the owner may offer its torrent again.
  void Forget(const std::string& id) {
    std::lock_guard lock(snapshot_mu);
    added.erase(id);
  }

  void AddNow(const std::string& id, const std::string& torrent) {
    if (handles.count(id)) return;
    lt::error_code ec;
    auto ti = std::make_shared<lt::torrent_info>(lt::span<const char>(torrent.data(), static_cast<long>(torrent.size())),
                                                 ec, lt::from_span);
    if (ec) {
      log->error("torrent_unreadable lesson={} error=\"{}\"", id, ec.message());
      Forget(id);
      return;
    }
    lt::add_torrent_params params;
    if (auto resume = ReadFileBytes(ResumePath(id)); resume.ok()) {
      lt::error_code rec;
      lt::add_torrent_params loaded =
          lt::read_resume_data(lt::span<const char>(resume->data(), static_cast<long>(resume->size())), rec);
      if (!rec && loaded.info_hashes == ti->info_hashes()) params = std::move(loaded);
    }
    if (!options.peer_to_peer) {
      // Nobody to announce to and no peer to remember: the web seeds are all that is left.
      ti->clear_trackers();
      params.trackers.clear();
      params.tracker_tiers.clear();
      params.peers.clear();
    } else {
      // Measured in the network lab: with its web seeds from the start every school takes from
      // the origin's HTTP server whatever the origin's uplink gives it, beside the swarm, and the
      // origin sends the pack about six times for six schools (tests/netlab/README.md).
      HeldWebSeeds held;
      for (const lt::web_seed_entry& w : ti->web_seeds()) held.urls.push_back(w.url);
      for (const std::string& u : params.url_seeds) {  // from resume data: added back before a restart
        if (std::find(held.urls.begin(), held.urls.end(), u) == held.urls.end()) held.urls.push_back(u);
      }
      ti->set_web_seeds({});
      params.url_seeds.clear();
      if (!options.lan_group.empty()) {
        // The tracker leaves out the boxes of the same LAN group: they are found on the LAN (local
        // service discovery), where libtorrent would otherwise connect to many of them at their
        // WAN addresses and trade over their slow uplinks.
        params.trackers.clear();
        params.tracker_tiers.clear();
        for (const lt::announce_entry& t : ti->trackers()) {
          params.trackers.push_back(t.url + (t.url.find('?') == std::string::npos ? "?" : "&") +
                                    "lan_group=" + options.lan_group);
          params.tracker_tiers.push_back(t.tier);
        }
        ti->clear_trackers();
      }
      held.since = std::chrono::steady_clock::now();
      if (!held.urls.empty()) {
        web_seed_urls[id] = held.urls;
        held_web_seeds[id] = std::move(held);
      }
    }
    params.ti = ti;
    params.save_path = options.lessons_dir.string();
    const lt::file_storage& files = ti->files();
    params.file_priorities.assign(static_cast<size_t>(files.num_files()), lt::default_priority);
    for (const lt::file_index_t fi : files.file_range()) {
      const size_t i = static_cast<size_t>(static_cast<int>(fi));
      if (files.pad_file_at(fi)) {
        params.file_priorities[i] = lt::dont_download;
        continue;
      }
      const std::string name(files.file_name(fi));
      if (!KeepsFile(name, options.renditions)) {
        params.file_priorities[i] = lt::dont_download;
      } else if (IsEarlyFile(name)) {
        params.file_priorities[i] = lt::top_priority;
      }
    }
    params.flags |= lt::torrent_flags::auto_managed;
    params.flags |= lt::torrent_flags::paused;  // the queue starts it in turn
    lt::torrent_handle h = session.add_torrent(std::move(params), ec);
    if (ec) {
      log->error("add_failed lesson={} error=\"{}\"", id, ec.message());
      Forget(id);
      return;
    }
    handles[id] = h;
    log->info("lesson_added lesson={}", id);
  }

  // A held lesson that is downloading and has received no payload for web_seed_wait_seconds gets
  // its web seeds back, for good; a lesson waiting in the queue, paused or checking is not waiting
  // on peers, so its clock restarts.
  // Every lesson's status in one call to the session, with the cheap fields only, by lesson id:
  // the once-a-second checks below read it instead of asking each lesson in turn (a box seeding
  // thousands of lessons would make thousands of blocking calls a second).
  std::map<std::string, lt::torrent_status> StatusesNow() {
    std::vector<lt::torrent_status> all;
    session.get_torrent_status(&all, [](const lt::torrent_status&) { return true; }, {});
    std::unordered_map<lt::torrent_handle, lt::torrent_status*> by_handle;
    for (lt::torrent_status& st : all) by_handle[st.handle] = &st;
    std::map<std::string, lt::torrent_status> out;
    for (const auto& [id, h] : handles) {
      if (auto it = by_handle.find(h); it != by_handle.end()) out.emplace(id, std::move(*it->second));
    }
    return out;
  }

  void CheckHeldWebSeeds(std::chrono::steady_clock::time_point now,
                         const std::map<std::string, lt::torrent_status>& statuses) {
    const auto wait = std::chrono::seconds(options.web_seed_wait_seconds);
    for (auto it = held_web_seeds.begin(); it != held_web_seeds.end();) {
      auto h = handles.find(it->first);
      if (h == handles.end()) {
        it = held_web_seeds.erase(it);
        continue;
      }
      const auto status = statuses.find(it->first);
      if (status == statuses.end()) {  // added since the snapshot
        ++it;
        continue;
      }
      const lt::torrent_status& st = status->second;
      HeldWebSeeds& held = it->second;
      const bool downloading = !(st.flags & lt::torrent_flags::paused) && !st.errc &&
                               (st.state == lt::torrent_status::downloading ||
                                st.state == lt::torrent_status::downloading_metadata);
      if (st.state == lt::torrent_status::finished || st.state == lt::torrent_status::seeding) {
        it = held_web_seeds.erase(it);
        continue;
      }
      if (!downloading || st.total_payload_download > held.received) {
        held.received = st.total_payload_download;
        held.since = now;
      } else if (now - held.since >= wait) {
        for (const std::string& url : held.urls) h->second.add_url_seed(url);
        log->info("web_seed_used lesson={} peers={} received={} waited_s={}", it->first, st.num_peers,
                  st.total_payload_download,
                  std::chrono::duration_cast<std::chrono::seconds>(now - held.since).count());
        it = held_web_seeds.erase(it);
        continue;
      }
      ++it;
    }
  }

  // What a lesson that receives nothing is waiting on: its peers, its pieces in flight, the wanted
  // pieces it lacks and its web seeds, in the log.
  void DescribeStall(const std::string& id, const lt::torrent_handle& h, const lt::torrent_status& st) {
    std::vector<lt::peer_info> peers;
    h.get_peer_info(peers);
    std::string text;
    for (const lt::peer_info& p : peers) {
      text += fmt::format(" {}{}:{}[{}{}{}{}{}{} pieces={} q={} dl={} hf={}]",
                          p.connection_type == lt::peer_info::web_seed ? "web:" : "",
                          p.ip.address().to_string(), p.ip.port(),
                          (p.flags & lt::peer_info::interesting) ? "I" : "i",
                          (p.flags & lt::peer_info::remote_choked) ? "C" : "c",
                          (p.flags & lt::peer_info::seed) ? "S" : "",
                          (p.flags & lt::peer_info::on_parole) ? "P" : "",
                          (p.flags & lt::peer_info::snubbed) ? "N" : "",
                          (p.flags & lt::peer_info::connecting) ? "X" : "", p.num_pieces,
                          p.download_queue_length, p.total_download, p.num_hashfails);
    }
    std::vector<lt::partial_piece_info> queue;
    h.get_download_queue(queue);
    std::string partial;
    for (const lt::partial_piece_info& q : queue) {
      partial += fmt::format(" {}:{}/{}/{}/{}", static_cast<int>(q.piece_index), q.finished, q.writing, q.requested,
                             q.blocks_in_piece);
    }
    const lt::torrent_status full = h.status(lt::torrent_handle::query_pieces);
    const std::vector<lt::download_priority_t> prio = h.get_piece_priorities();
    std::string missing;
    int n_missing = 0;
    for (int i = 0; i < full.pieces.size(); ++i) {
      if (full.pieces[lt::piece_index_t{i}]) continue;
      if (static_cast<size_t>(i) < prio.size() && prio[static_cast<size_t>(i)] == lt::dont_download) continue;
      if (++n_missing <= 20) missing += fmt::format(" {}", i);
    }
    std::string seeds;
    for (const std::string& u : h.url_seeds()) seeds += " " + u;
    log->warn("lesson_stalled lesson={} done={} wanted={} received={} state={} peers={} missing={}[{}] "
              "partial=[{}] web_seeds=[{}] held={} list_peers={} connect_candidates={} peer_list=[{}]",
              id, st.total_wanted_done, st.total_wanted, st.total_payload_download, StateName(st),
              st.num_peers, n_missing, missing, partial, seeds, held_web_seeds.count(id) ? 1 : 0, st.list_peers,
              st.connect_candidates, text);
  }

  // A piece whose every block is finished is hashed at once (milliseconds) and then either had or
  // reopened; one still so after kStuckPieceTime is one that libtorrent will never hash nor ask for
  // again (see aio_threads in Start), and the lesson would wait on it for good: the lesson is
  // checked again from disk, which hashes every piece and reopens the ones that fail. Only the
  // piece picker's state counts, never the rate: an outage or a schedule cap of zero leaves pieces
  // requested or untouched, not finished.
  static constexpr auto kStuckPieceTime = std::chrono::seconds(20);
  static constexpr auto kStuckRecheckGap = std::chrono::seconds(60);
  static constexpr auto kStallReportAfter = std::chrono::seconds(30);
  static constexpr auto kStallReportEvery = std::chrono::minutes(10);

  void CheckStuckPieces(const std::string& id, const lt::torrent_handle& h, Watch& w,
                        std::chrono::steady_clock::time_point now) {
    std::vector<lt::partial_piece_info> queue;
    h.get_download_queue(queue);
    std::map<int, std::chrono::steady_clock::time_point> still;
    int stuck = -1;
    for (const lt::partial_piece_info& q : queue) {
      if (q.finished < q.blocks_in_piece || q.writing > 0 || q.requested > 0) continue;
      const int piece = static_cast<int>(q.piece_index);
      auto seen = w.finished_unhashed.find(piece);
      const auto since = seen == w.finished_unhashed.end() ? now : seen->second;
      still[piece] = since;
      if (now - since >= kStuckPieceTime) stuck = piece;
    }
    w.finished_unhashed = std::move(still);
    if (stuck < 0 || now - w.rechecked < kStuckRecheckGap) return;
    w.rechecked = now;
    w.finished_unhashed.clear();
    {
      std::lock_guard lock(snapshot_mu);
      ++totals.stuck_piece_rechecks;
    }
    log->warn("lesson_piece_stuck lesson={} piece={} action=recheck", id, stuck);
    RecheckNow(id, h);
  }

  void WatchProgress(std::chrono::steady_clock::time_point now,
                     const std::map<std::string, lt::torrent_status>& statuses) {
    const bool check_stuck = now >= next_stuck_check;
    if (check_stuck) next_stuck_check = now + std::chrono::seconds(5);
    for (auto it = watches.begin(); it != watches.end();) {
      it = handles.count(it->first) ? std::next(it) : watches.erase(it);
    }
    for (const auto& [id, h] : handles) {
      const auto status = statuses.find(id);
      if (status == statuses.end()) continue;  // added since the snapshot
      const lt::torrent_status& st = status->second;
      const bool downloading = !(st.flags & lt::torrent_flags::paused) && !st.errc &&
                               st.state == lt::torrent_status::downloading;
      Watch& w = watches[id];
      if (!downloading) {
        w.received = st.total_payload_download;
        w.since = now;
        w.finished_unhashed.clear();
        continue;
      }
      if (check_stuck) CheckStuckPieces(id, h, w, now);
      if (st.total_payload_download != w.received) {
        w.received = st.total_payload_download;
        w.since = now;
        w.reported = {};
        continue;
      }
      if (now - w.since >= kStallReportAfter && (w.reported == std::chrono::steady_clock::time_point{} ||
                                                now - w.reported >= kStallReportEvery)) {
        w.reported = now;
        DescribeStall(id, h, st);
      }
    }
  }

  // Checks a lesson again from disk; the pieces that fail are fetched again. A lesson that had
  // finished has dropped its peers (seeds, like the origin's seeder, are let go once both sides
  // hold everything) and its web seeds (held back until it finished, then forgotten), and
  // libtorrent 2.0.8 does not reconnect: its peer list keeps counting no connection candidates
  // (seeds do not count while the torrent is finished) until it next connects to one, which it
  // never tries with none counted. So a finished lesson forgets its peers, and the next announce
  // brings them back as new; and every lesson's web seeds are held again, to come back if peers
  // leave it without bytes for web_seed_wait_seconds, as when it was added.
  void RecheckNow(const std::string& id, lt::torrent_handle h) {
    reported_done.erase(id);
    const lt::torrent_status st = h.status();
    const bool finished =
        st.state == lt::torrent_status::finished || st.state == lt::torrent_status::seeding;
    if (options.peer_to_peer) {
      auto urls = web_seed_urls.find(id);
      if (urls != web_seed_urls.end()) {
        for (const std::string& u : h.url_seeds()) h.remove_url_seed(u);
        HeldWebSeeds& held = held_web_seeds[id];
        held.urls = urls->second;
        held.received = st.total_payload_download;
        held.since = std::chrono::steady_clock::now();
      }
      if (finished) h.clear_peers();
    }
    h.force_recheck();
    log->info("lesson_recheck lesson={} was_finished={}", id, finished);
  }

  void RequestResumeSave(const lt::torrent_handle& h, lt::resume_data_flags_t flags) {
    ++resume_saves_pending;
    h.save_resume_data(flags);
  }

  // The schedule caps the WAN: every address is in the global class (which carries the caps),
  // except the school and county networks (private and link-local ranges), which libtorrent's
  // local class leaves uncapped. Unlike libtorrent's default, loopback is capped like the WAN.
  void ApplyPeerClasses() {
    lt::ip_filter classes;
    const auto global = static_cast<std::uint32_t>(lt::session::global_peer_class_id);
    const auto local = static_cast<std::uint32_t>(lt::session::local_peer_class_id);
    auto range = [&](const char* first, const char* last, std::uint32_t cls) {
      lt::error_code ec;
      const auto a = lt::make_address(first, ec);
      const auto b = lt::make_address(last, ec);
      classes.add_rule(a, b, 1u << cls);
    };
    range("0.0.0.0", "255.255.255.255", global);
    range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", global);
    for (const auto& cidr : options.lan_networks) {
      auto r = NetworkRange(cidr);
      if (r.ok()) range(r->first.c_str(), r->second.c_str(), local);
    }
    session.set_peer_class_filter(classes);
  }

  void ApplyBandwidth() {
    const BandwidthNow now = options.schedule.At(options.clock());
    {
      std::lock_guard lock(snapshot_mu);
      bandwidth = now;
    }
    if (now.down_kbps == applied_down_kbps && now.up_kbps == applied_up_kbps) return;
    lt::settings_pack pack;
    // kbit/s to bytes/s; 0 = no cap, as libtorrent reads it too.
    pack.set_int(lt::settings_pack::download_rate_limit, now.down_kbps * 1000 / 8);
    pack.set_int(lt::settings_pack::upload_rate_limit, now.up_kbps * 1000 / 8);
    // A deep request queue (20 s of a peer's rate) under a cap, which needs it to fill the cap;
    // libtorrent's 3 s without one. Uncapped, 20 s of requests to each WAN peer kept many pieces
    // in flight from the WAN that a LAN neighbour was about to have (the network lab, scenario 1:
    // origin egress 2.5 x the pack with 3 s, 3.1 x with 20 s).
    pack.set_int(lt::settings_pack::request_queue_time, now.down_kbps > 0 ? 20 : 3);
    session.apply_settings(std::move(pack));
    applied_down_kbps = now.down_kbps;
    applied_up_kbps = now.up_kbps;
    log->info("bandwidth_applied rule=\"{}\" down_kbps={} up_kbps={}", now.rule ? now.rule->text : "", now.down_kbps,
              now.up_kbps);
  }

  void UpdateStatus(const std::vector<lt::torrent_status>& statuses) {
    std::vector<std::string> finished;
    {
      std::lock_guard lock(snapshot_mu);
      for (const lt::torrent_status& st : statuses) {
        const std::string id = st.name;
        if (!handles.count(id)) continue;
        DownloadProgress& p = progress[id];
        p.lesson_id = id;
        p.state = StateName(st);
        p.bytes_done = st.total_wanted_done;
        p.bytes_wanted = st.total_wanted;
        p.bytes_received = st.total_payload_download;
        p.download_bytes_per_second = st.download_payload_rate;
        p.upload_bytes_per_second = st.upload_payload_rate;
        p.peers = st.num_peers;
        p.error = st.errc ? st.errc.message() : std::string();
        if (disk_full.count(id)) {
          p.state = "paused";
          p.error = "disk_full";
        }
        if (p.state == "finished" && st.total_wanted > 0 && !reported_done.count(id)) finished.push_back(id);
      }
    }
    // Every wanted piece has passed its hash; the lesson is handed on once libtorrent has written
    // them all to the files, or a verifier reading the files could see a block not yet there.
    for (const auto& id : finished) {
      reported_done.insert(id);
      auto h = handles.find(id);
      if (h != handles.end()) h->second.flush_cache();
    }
  }

  // A write failed for a full disk. libtorrent then leaves the torrent in upload mode (no error
  // set, state unchanged) and, being auto-managed, tries writing again by itself after
  // optimistic_disk_retry; the lesson is paused instead and marked, so the owner sees it stopped
  // and resumes it (Retry) only once it has made or found room.
  void StopForFullDisk(const std::string& id) {
    auto h = handles.find(id);
    if (h == handles.end()) return;
    h->second.unset_flags(lt::torrent_flags::auto_managed);
    h->second.pause();
    bool first = false;
    {
      std::lock_guard lock(snapshot_mu);
      first = disk_full.insert(id).second;
      auto it = progress.find(id);
      if (it != progress.end()) {
        it->second.state = "paused";
        it->second.error = "disk_full";
      }
    }
    if (first) {
      log->warn("lesson_disk_full lesson={}", id);
      if (on_disk_full) on_disk_full(id);
    }
  }

  void HandleAlert(lt::alert* a) {
    if (auto* r = lt::alert_cast<lt::save_resume_data_alert>(a)) {
      const std::vector<char> buf = lt::write_resume_data_buf(r->params);
      const Status st = WriteFileAtomically(ResumePath(r->torrent_name()), std::string_view(buf.data(), buf.size()));
      if (!st.ok()) log->warn("resume_save_failed lesson={} error=\"{}\"", r->torrent_name(), st.message());
      --resume_saves_pending;
    } else if (lt::alert_cast<lt::save_resume_data_failed_alert>(a)) {
      --resume_saves_pending;
    } else if (auto* u = lt::alert_cast<lt::state_update_alert>(a)) {
      UpdateStatus(u->status);
    } else if (auto* f = lt::alert_cast<lt::torrent_finished_alert>(a)) {
      (void)f;
      session.post_torrent_updates();
    } else if (auto* flushed = lt::alert_cast<lt::cache_flushed_alert>(a)) {
      const std::string id = flushed->torrent_name();
      if (reported_done.count(id)) {
        log->info("lesson_downloaded lesson={}", id);
        if (on_downloaded) on_downloaded(id);
      }
    } else if (auto* hf = lt::alert_cast<lt::hash_failed_alert>(a)) {
      std::lock_guard lock(snapshot_mu);
      ++totals.hash_failures;
      log->warn("hash_failed lesson={} piece={}", hf->torrent_name(), static_cast<int>(hf->piece_index));
    } else if (auto* b = lt::alert_cast<lt::peer_ban_alert>(a)) {
      std::lock_guard lock(snapshot_mu);
      ++totals.peers_banned;
      log->warn("peer_banned lesson={} peer={}", b->torrent_name(), b->endpoint.address().to_string());
    } else if (auto* fe = lt::alert_cast<lt::file_error_alert>(a)) {
      const std::string id = fe->torrent_name();
      log->error("file_error lesson={} file={} error=\"{}\"", id, fe->filename(), fe->error.message());
      if (fe->error == boost::system::errc::no_space_on_device) {
        StopForFullDisk(id);
      } else {
        std::lock_guard lock(snapshot_mu);
        auto it = progress.find(id);
        if (it != progress.end()) {
          it->second.state = "error";
          it->second.error = fe->error.message();
        }
      }
    } else if (auto* s = lt::alert_cast<lt::state_changed_alert>(a)) {
      (void)s;
      session.post_torrent_updates();
    } else if (auto* l = lt::alert_cast<lt::listen_failed_alert>(a)) {
      log->warn("listen_failed {}", l->message());
    }
  }

  void Run() {
    auto next_status = std::chrono::steady_clock::now();
    last_resume_save = std::chrono::steady_clock::now();
    while (!stopping.load()) {
      RunCommands();
      ApplyBandwidth();
      const auto now = std::chrono::steady_clock::now();
      if (now >= next_status) {
        session.post_torrent_updates();
        next_status = now + std::chrono::seconds(1);
      }
      if (now >= next_web_seed_check) {
        const auto statuses = StatusesNow();
        CheckHeldWebSeeds(now, statuses);
        WatchProgress(now, statuses);
        next_web_seed_check = now + std::chrono::seconds(1);
      }
      if (now - last_resume_save >= kResumeSavePeriod) {
        for (const auto& [id, h] : handles) RequestResumeSave(h, lt::torrent_handle::only_if_modified);
        last_resume_save = now;
      }
      session.wait_for_alert(kTick);
      std::vector<lt::alert*> alerts;
      session.pop_alerts(&alerts);
      for (lt::alert* a : alerts) HandleAlert(a);
    }
    // Stopping: save every lesson's resume data, waiting a little for it.
    RunCommands();
    session.pause();
    for (const auto& [id, h] : handles) RequestResumeSave(h, lt::torrent_handle::save_info_dict);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (resume_saves_pending > 0 && std::chrono::steady_clock::now() < deadline) {
      session.wait_for_alert(kTick);
      std::vector<lt::alert*> alerts;
      session.pop_alerts(&alerts);
      for (lt::alert* a : alerts) HandleAlert(a);
    }
  }
};

Result<std::unique_ptr<Transfer>> Transfer::Start(TransferOptions options, OnDownloaded on_downloaded,
                                                  OnDiskFull on_disk_full) {
  std::error_code ec;
  fs::create_directories(options.lessons_dir, ec);
  if (ec) return IoError("create " + options.lessons_dir.string() + ": " + ec.message());
  fs::create_directories(options.resume_dir, ec);
  if (ec) return IoError("create " + options.resume_dir.string() + ": " + ec.message());

  lt::settings_pack pack;
  pack.set_str(lt::settings_pack::listen_interfaces, options.listen_interfaces);
  pack.set_str(lt::settings_pack::user_agent, "LessonMesh-edge/" LIBTORRENT_VERSION);
  pack.set_bool(lt::settings_pack::enable_dht, false);
  pack.set_bool(lt::settings_pack::enable_lsd, options.lsd && options.peer_to_peer);
  pack.set_bool(lt::settings_pack::enable_upnp, false);
  pack.set_bool(lt::settings_pack::enable_natpmp, false);
  // Web seeds only: no peer may connect in (outgoing TCP stays on: the web seeds need it).
  pack.set_bool(lt::settings_pack::enable_incoming_tcp, options.peer_to_peer);
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  // TCP only: uTP's delay-based congestion control mistakes the schedule's rate limiter for a
  // congested path and crawls far below the cap. NAT holepunching (ut_holepunch) goes with it:
  // libtorrent still offers the extension, but the connection it arranges is uTP, so two boxes
  // that are both behind NATs meet only through a forwarded port (or the origin in between).
  pack.set_bool(lt::settings_pack::enable_outgoing_utp, false);
  pack.set_bool(lt::settings_pack::enable_incoming_utp, false);
  // Under a tight cap the rate limiter hands out bandwidth once a tick and peers keep only a few
  // requests in flight: a short tick and a deep request queue (ApplyBandwidth) let the download
  // fill the cap (measured: about 22 KB/s under a 200 KB/s cap with the defaults, 190-200 KB/s
  // with these).
  pack.set_int(lt::settings_pack::tick_interval, 100);
  // A bounded number of lessons download at once, so a lesson needed tomorrow is not spread thin
  // behind a month's pack; every lesson held is seeded to the other schools.
  pack.set_int(lt::settings_pack::active_downloads, options.max_active_downloads);
  pack.set_int(lt::settings_pack::active_seeds, 100000);
  pack.set_int(lt::settings_pack::active_limit, 100000);
  // Lessons found without resume data (a USB import, resume/ lost) are checked before they seed.
  // libtorrent starts a check at most once per auto-manage pass (about a second), so with one at a
  // time a check took a second however small the lesson; four at once checked 40 lessons of 16 MiB
  // in 10.5 s instead of 40.5 s (bench/RESULTS.md), reading at most four files interleaved (one
  // hashing thread either way) and mapping four at once (peak RSS 87 MiB instead of 40; 16 at
  // once: 3.5 s but 277 MiB).
  pack.set_int(lt::settings_pack::active_checking, 4);
  // One disk thread. With libtorrent 2.0.8's default of ten, a piece that failed its hash is
  // cleared by a job that waits for the piece's writes, and the thread that finishes the last write
  // queues that clear before it hands back the write: another thread can run the clear and hand it
  // back first. The piece is then reopened for download before the late write completes and marks
  // its block finished; where that block is the piece's only payload (lesson.json beside fifteen
  // blocks of padding in a hybrid torrent's 256 KiB piece), every block of the piece reads as
  // finished, so it is never hashed and never asked for again, and the lesson waits for good (the
  // network lab's garbage peer; tests/edge/edge_delivery_test.cpp). One thread hands its jobs back
  // in the order it ran them. It does every write, hash and read of the box in turn: ample for
  // links of a few Mbit/s and a county LAN, and a full check of a lesson has hashing threads of its
  // own.
  pack.set_int(lt::settings_pack::aio_threads, 1);
  pack.set_bool(lt::settings_pack::dont_count_slow_torrents, false);
  pack.set_int(lt::settings_pack::auto_manage_interval, 2);
  pack.set_int(lt::settings_pack::alert_mask, lt::alert_category::error | lt::alert_category::status |
                                                  lt::alert_category::storage | lt::alert_category::peer);
  auto impl = std::make_unique<Impl>(std::move(options), std::move(on_downloaded), std::move(on_disk_full),
                                     std::move(pack));
  Impl* raw = impl.get();
  raw->ApplyPeerClasses();
  raw->ApplyBandwidth();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Transfer>(new Transfer(std::move(impl)));
}

Transfer::Transfer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Transfer::~Transfer() { Stop(); }

void Transfer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  impl_->stopping = true;
  impl_->thread.join();
}

void Transfer::Add(const std::string& lesson_id, const std::string& torrent) {
  {
    std::lock_guard lock(impl_->snapshot_mu);
    impl_->added.insert(lesson_id);
  }
  impl_->Post([this, lesson_id, torrent] { impl_->AddNow(lesson_id, torrent); });
}

bool Transfer::Has(const std::string& lesson_id) const {
  std::lock_guard lock(impl_->snapshot_mu);
  return impl_->added.count(lesson_id) > 0;
}

void Transfer::SetOrder(const std::vector<std::string>& lesson_ids) {
  impl_->Post([this, lesson_ids] {
    int position = 0;
    for (const auto& id : lesson_ids) {
      auto it = impl_->handles.find(id);
      if (it == impl_->handles.end()) continue;
      it->second.queue_position_set(lt::queue_position_t{position++});
    }
  });
}

void Transfer::Remove(const std::string& lesson_id, bool delete_files) {
  {
    std::lock_guard lock(impl_->snapshot_mu);
    impl_->added.erase(lesson_id);
  }
  impl_->Post([this, lesson_id, delete_files] {
    auto it = impl_->handles.find(lesson_id);
    if (it == impl_->handles.end()) return;
    impl_->session.remove_torrent(it->second, delete_files ? lt::session::delete_files : lt::remove_flags_t{});
    impl_->handles.erase(it);
    impl_->web_seed_urls.erase(lesson_id);
    impl_->reported_done.erase(lesson_id);
    std::error_code ec;
    fs::remove(impl_->ResumePath(lesson_id), ec);
    std::lock_guard lock(impl_->snapshot_mu);
    impl_->progress.erase(lesson_id);
    impl_->disk_full.erase(lesson_id);
  });
}

void Transfer::Recheck(const std::string& lesson_id) {
  impl_->Post([this, lesson_id] {
    auto it = impl_->handles.find(lesson_id);
    if (it == impl_->handles.end()) return;
    impl_->RecheckNow(lesson_id, it->second);
  });
}

void Transfer::SetPaused(const std::string& lesson_id, bool paused) {
  impl_->Post([this, lesson_id, paused] {
    auto it = impl_->handles.find(lesson_id);
    if (it == impl_->handles.end()) return;
    if (paused) {
      it->second.unset_flags(lt::torrent_flags::auto_managed);
      it->second.pause();
    } else {
      it->second.set_flags(lt::torrent_flags::auto_managed);
      it->second.resume();
    }
  });
}

void Transfer::Retry(const std::string& lesson_id) {
  impl_->Post([this, lesson_id] {
    auto it = impl_->handles.find(lesson_id);
    if (it == impl_->handles.end()) return;
    bool was_disk_full = false;
    {
      std::lock_guard lock(impl_->snapshot_mu);
      was_disk_full = impl_->disk_full.erase(lesson_id) > 0;
    }
    it->second.clear_error();
    it->second.unset_flags(lt::torrent_flags::upload_mode);  // where libtorrent put it on the full disk
    it->second.set_flags(lt::torrent_flags::auto_managed);
    it->second.resume();
    // Writes failed: what the files hold is not what libtorrent's picker believes. Going on
    // without a check, pieces it fetched again failed their hash and the origin's seed was
    // banned for it; a check makes the picker agree with the disk first.
    if (was_disk_full) impl_->RecheckNow(lesson_id, it->second);
    impl_->log->info("lesson_retried lesson={} recheck={}", lesson_id, was_disk_full);
  });
}

std::vector<DownloadProgress> Transfer::Progress() const {
  std::lock_guard lock(impl_->snapshot_mu);
  std::vector<DownloadProgress> out;
  for (const auto& [id, p] : impl_->progress) out.push_back(p);
  return out;
}

TransferTotals Transfer::Totals() const {
  std::lock_guard lock(impl_->snapshot_mu);
  TransferTotals t = impl_->totals;
  for (const auto& [id, p] : impl_->progress) t.downloaded_bytes += p.bytes_received;
  return t;
}

BandwidthNow Transfer::Bandwidth() const {
  std::lock_guard lock(impl_->snapshot_mu);
  return impl_->bandwidth;
}

std::uint16_t Transfer::listen_port() const { return impl_->session.listen_port(); }

}  // namespace lm::edge
