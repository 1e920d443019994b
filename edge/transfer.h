#pragma once
// The edge's BitTorrent side: one libtorrent session that fetches each lesson's hybrid torrent
// into lessons/<lesson id>/ and seeds what it holds. Only the renditions the school keeps are
// downloaded (file priority 0 for the others, which never touch the disk: hybrid torrents pad
// every file to a piece boundary); lesson.json, playlists and the poster come first. Lessons queue
// in the order the owner gives (nearest needed-by date first) with a bounded number downloading at
// once; the bandwidth schedule caps the WAN rate and is re-applied whenever the clock crosses one
// of its boundaries. Resume data is saved periodically and on Stop, so a kill -9 loses at most
// the pieces in flight. A lesson that receives nothing while downloading says in the log what it
// waits on (its peers, pieces in flight and web seeds); one whose piece sits with every block
// finished but never hashed (which libtorrent never leaves by itself) is checked again. A lesson whose write fails for a full disk is paused (not left in
// libtorrent's upload mode, which would try the disk again on its own every ten minutes) and
// stays so, reported as "disk_full", until the owner makes room and calls Retry.
//
// One thread (owned here) owns the session and alone pops its alerts; callers' commands are queued
// to it. Thread-safe. libtorrent stays inside the .cpp.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "edge/bandwidth_schedule.h"
#include "edge/network_range.h"

namespace lm::edge {

struct TransferOptions {
  std::filesystem::path lessons_dir;  // each lesson at lessons_dir/<lesson id>/
  std::filesystem::path resume_dir;
  std::string listen_interfaces = "0.0.0.0:6881,[::]:6881";
  std::vector<std::string> renditions;  // kept: "480p", "240p", "audio"
  int max_active_downloads = 2;
  // Networks (CIDR) whose peers the schedule does not cap: the school LAN and the county network.
  // Loopback is not among them by default.
  std::vector<std::string> lan_networks = {"10.0.0.0/8",     "172.16.0.0/12", "192.168.0.0/16",
                                           "169.254.0.0/16", "fc00::/7",      "fe80::/10"};
  bool lsd = true;
  // false: the web seeds only. Torrents lose their trackers, discovery is off and no peer
  // connection is made or accepted; libtorrent's HTTP connections to the web seeds remain.
  bool peer_to_peer = true;
  // With peer_to_peer, a lesson's web seeds (the origin over HTTP) are held back while peers (the
  // origin's own seeder among them) supply it, so the origin's uplink sends each piece once to the
  // swarm instead of to every school; a lesson that has received nothing for this long while
  // downloading (no peer reachable, or none with the pieces it lacks) takes its web seeds back.
  int web_seed_wait_seconds = 15;
  // With peer_to_peer: this box's LAN group (letters, digits, '.', '_', '-'), e.g. its county
  // network. The origin's tracker leaves boxes of the same group out of each other's peer lists,
  // so neighbours trade over the LAN (found by local service discovery), not their WAN uplinks.
  std::string lan_group;
  BandwidthSchedule schedule;
  // The wall clock, injectable for tests of the schedule.
  std::function<std::chrono::system_clock::time_point()> clock = [] { return std::chrono::system_clock::now(); };
};

struct DownloadProgress {
  std::string lesson_id;
  std::string state;  // "checking", "downloading", "finished", "paused", "error"
  std::int64_t bytes_done = 0;    // of the wanted files
  std::int64_t bytes_wanted = 0;  // the wanted files' total
  std::int64_t bytes_received = 0;  // payload received in this session, verified or not
  std::int64_t download_bytes_per_second = 0;
  std::int64_t upload_bytes_per_second = 0;
  int peers = 0;
  std::string error;  // "disk_full" when a full disk paused it; else libtorrent's, if any
};

// Transfer totals, for /metrics and the schedule test.
struct TransferTotals {
  std::int64_t downloaded_bytes = 0;  // payload received by the lessons in the session, since start
  std::int64_t uploaded_bytes = 0;
  int hash_failures = 0;
  int peers_banned = 0;
  // Lessons checked again because a piece sat with every block finished but never hashed (a
  // libtorrent fault; see transfer.cpp): with one disk thread, never expected.
  int stuck_piece_rechecks = 0;
};

class Transfer {
 public:
  // Called on the session thread when every wanted piece of a lesson is on disk (also for
  // lessons found complete at start); keep it short: hand the lesson to a verifier.
  using OnDownloaded = std::function<void(const std::string& lesson_id)>;
  // Called on the session thread when a full disk stopped a lesson; keep it short.
  using OnDiskFull = std::function<void(const std::string& lesson_id)>;

  static Result<std::unique_ptr<Transfer>> Start(TransferOptions options, OnDownloaded on_downloaded,
                                                 OnDiskFull on_disk_full = {});
  ~Transfer();  // Stop()s if not stopped
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;

  // Adds a lesson's torrent (bencoded); a lesson already in the session is left as it is.
  void Add(const std::string& lesson_id, const std::string& torrent);
  // Whether the lesson was Add()ed and not Remove()d since (its torrent unreadable: false again
  // once the session thread found so), so the owner reads a torrent only for a lesson it lacks.
  bool Has(const std::string& lesson_id) const;
  // The download order: lessons earlier in the list start (and finish) first.
  void SetOrder(const std::vector<std::string>& lesson_ids);
  // Takes a lesson out of the session; with `delete_files`, its files too.
  void Remove(const std::string& lesson_id, bool delete_files);
  // Checks every piece of a lesson again and fetches the ones that fail (a damaged file): a lesson
  // that had finished finds its peers again through its next announce, and its web seeds are held
  // back as when it was added.
  void Recheck(const std::string& lesson_id);
  // Pauses or resumes one lesson.
  void SetPaused(const std::string& lesson_id, bool paused);
  // Clears a lesson's storage error or disk-full stop (the disk has space again) and lets it go on.
  void Retry(const std::string& lesson_id);

  std::vector<DownloadProgress> Progress() const;
  TransferTotals Totals() const;
  BandwidthNow Bandwidth() const;
  std::uint16_t listen_port() const;

  // Saves resume data of every lesson and closes the session. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit Transfer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Which files of a lesson the school keeps: false for a rendition ("720p.mp4", "720p.m3u8") not in
// `renditions`; true for everything else (lesson.json, master playlist, poster, documents).
bool KeepsFile(const std::string& file_name, const std::vector<std::string>& renditions);

}  // namespace lm::edge
