#pragma once
// The edge's state in SQLite (WAL), so a restart with the link down resumes everything: the pack
// versions it accepted (signed manifests kept as received), the lessons they name with their
// torrents and download state, a Chinese full-text index of the playable lessons, the classroom's
// play events until the catalog acknowledges them, and small facts (last sync, ETag, communities).
// Thread-safe (one connection per thread, common/sqlite_connections.h).

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "common/sqlite_connections.h"
#include "common/status.h"

namespace lm::edge {

// Where a lesson stands on this edge.
enum class LessonState {
  kQueued,       // named by a pack; not yet downloading
  kDownloading,  // in the BitTorrent session
  kVerifying,    // downloaded; its files are being checked against lesson.json
  kReady,        // complete and verified: offered to classrooms
  kWaiting,      // cannot proceed (no space, bad data): see `error`
};
const char* LessonStateName(LessonState s);

struct EdgeLesson {
  std::string id;
  std::string kind;  // lesson | document
  std::string title;
  std::string info_hash_v1, info_hash_v2;
  std::int64_t total_bytes = 0;
  LessonState state = LessonState::kQueued;
  std::string error;  // why it waits
  std::int64_t added_at = 0, ready_at = 0, last_played_at = 0;
  // From lesson.json, once it is here:
  std::string teacher, subject, grade;
  double duration_s = 0;
  std::vector<std::string> renditions;  // held on this edge
  // From the packs that name it now (empty when no current pack does):
  std::vector<std::int64_t> packs;
  std::string needed_by;     // the nearest
  std::string pinned_until;  // the latest any pack set (kept when the pack drops the lesson)
};

struct PlayEvent {
  std::string event_id;  // chosen by the page: a retry carries the same id
  std::string lesson_id;
  std::string rendition;
  double seconds = 0;  // watched since the viewing's previous event
  std::int64_t started_at = 0;
  std::string kind = "";  // start | progress | end ("" = a whole viewing in one event)
};

struct AcceptedPack {
  std::int64_t pack_id = 0;
  std::int64_t version = 0;
  std::string title;
  bundle::SignedPackManifest signed_manifest;
};

class EdgeStore {
 public:
  static Result<std::unique_ptr<EdgeStore>> Open(const std::string& path);

  // Applies an accepted pack version in one transaction: its items replace the pack's earlier
  // ones; lessons it names that are new here are added (queued) with their torrents
  // (`torrents`: lesson id -> bencoded torrent); lessons it no longer names stay, unpinned.
  // Returns the ids of the lessons added.
  Result<std::vector<std::string>> ApplyPack(const bundle::SignedPackManifest& signed_manifest,
                                             const bundle::PackManifest& manifest,
                                             const std::map<std::string, std::string>& torrents, std::int64_t now);
  Result<std::vector<AcceptedPack>> Packs();
  // pack id -> accepted version.
  Result<std::map<std::int64_t, std::int64_t>> PackVersions();

  // Every lesson, without its torrent: the listings ask for this on each request.
  Result<std::vector<EdgeLesson>> Lessons();
  // The ids of the lessons held or named.
  Result<std::set<std::string>> LessonIds();
  Result<EdgeLesson> Lesson(const std::string& id);
  // A lesson's torrent (bencoded), read only when the session or a USB export needs it.
  Result<std::string> Torrent(const std::string& id);
  Status SetState(const std::string& id, LessonState state, const std::string& error = {}, std::int64_t now = 0);
  // Records what lesson.json says and which renditions are held, and indexes it for search.
  Status SetMetadata(const std::string& id, const bundle::LessonManifest& manifest,
                     const std::vector<std::string>& renditions_held);
  Status MarkPlayed(const std::string& id, std::int64_t now);
  // Removes a lesson that no pack names any more (eviction).
  Status Remove(const std::string& id);

  // Ready lessons matching the query (any of them may be empty), newest first.
  struct Query {
    std::string text, subject, grade;
    std::int64_t pack = 0;
  };
  Result<std::vector<std::string>> Search(const Query& q);

  // Play events: stored once per event id (false if already there).
  Result<bool> AddPlay(const PlayEvent& e);
  // Events not yet acknowledged, in a batch under `report_id`: events already in an unacknowledged
  // batch keep theirs (so a retried report carries the same id and counts once).
  Result<std::pair<std::string, std::vector<PlayEvent>>> PlaysToReport(const std::string& new_report_id);
  Status AckPlays(const std::string& report_id);
  Result<std::int64_t> PendingPlays();

  Result<std::optional<std::string>> Get(const std::string& key);
  Status Put(const std::string& key, const std::string& value);

 private:
  explicit EdgeStore(const std::string& path);
  Status Migrate();
  sql::ThreadConnections connections_;
};

}  // namespace lm::edge
