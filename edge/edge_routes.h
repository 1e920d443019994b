#pragma once
// The edge's HTTP routes as one table, for the classrooms on the school LAN (no token) and for
// the school's IT teacher (the local admin token): the classroom page and the printable page of a
// pack's QR codes (web/dist), playable lessons and search, downloads in progress, status, play
// events, the lesson files themselves (only for complete, verified lessons), each lesson's QR
// code, health and metrics. Requests are dispatched by the table only (RouteTable, what the access
// tests walk); an address that gave a wrong admin token too often is refused (429) for a while.
// Knows no sockets; thread-safe.
//
//   GET  /, /print?pack=ID, /web/...               the classroom page, the printable QR page, their assets
//   GET  /v1/lessons[?q=&subject=&grade=&pack=]   playable lessons
//   GET  /v1/lessons/ID                            one lesson (any state)
//   GET  /v1/downloads                             pending lessons: bytes, rate, ETA, state, why stuck
//   GET  /v1/status                                catalog reachable, last sync, schedule, disk and quota, errors
//   POST /v1/plays                                 {"event_id", "lesson_id", "rendition", "seconds", "started_at"}
//   POST /v1/sync                                  (admin) ask the catalog now
//   GET  /lessons/ID/FILE                          bundle files with Range and ETag
//   GET  /lessons/ID/qr.svg                        QR code of http://HOST/#lesson=ID (HOST: as the client asked)
//   GET  /l/ID                                     a printed code: 302 to /#lesson=ID, or "not here yet" (404)
//   GET  /v1/packs/ID/qr.pdf                       the printable QR sheet of a pack this edge accepted
//   GET  /healthz, /metrics
// (GET routes answer HEAD too, except /healthz and /metrics.)

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bundle/bundle_files.h"
#include "common/http/failed_auth_limiter.h"
#include "common/http/http_types.h"
#include "common/http/route_table.h"
#include "common/http/static_files.h"
#include "common/lesson_link.h"
#include "edge/edge_store.h"

namespace lm::edge {

class PackFollower;
class Transfer;

struct EdgeRoutesOptions {
  std::filesystem::path lessons_dir;
  std::filesystem::path cache_dir;
  std::string admin_token;
  std::string school_id;
  std::int64_t quota_bytes = 0;
  std::int64_t min_free_bytes = 0;
  std::filesystem::path web_dir;  // the built pages (EdgeConfig::web_dir)
  std::string lan_name = kDefaultLanName;  // printed codes carry http://<lan_name>/l/ID (EdgeConfig::lan_name)
  http::FailedAuthLimits failed_auth{};  // wrong admin tokens, per client address
  // What the edge reports to the catalog as wrong now ("disk_full lesson=ID bytes_needed=N"), shown
  // in /v1/status too; none if unset.
  std::function<std::vector<std::string>()> errors;
};

class EdgeRoutes {
 public:
  EdgeRoutes(EdgeRoutesOptions options, EdgeStore& store, Transfer& transfer, PackFollower& follower);

  // Every route, as data; the one role is "admin", the local admin token.
  static std::vector<http::RouteInfo> RouteTable();
  // The largest body of the route for `method` and `target` (64 KiB where none matches).
  static std::size_t BodyLimit(const std::string& method, const std::string& target);

  http::Reply Handle(const http::Request& request);

 private:
  enum class Target { kHealth, kMetrics, kPages, kLessons, kOneLesson, kDownloads, kStatus, kPlays, kSync, kQr, kLink, kPackQr, kFile };
  struct Route {
    http::RouteInfo info;
    Target target;
  };
  static const std::vector<Route>& Routes();
  http::Reply Dispatch(const Route& route, const http::Request& req, const std::vector<std::string>& params);

  http::Reply Lessons(const http::Request& req);
  http::Reply OneLesson(const std::string& id);
  http::Reply Downloads();
  http::Reply StatusReply();
  http::Reply Plays(const http::Request& req);
  http::Reply LessonFile(const http::Request& req, const std::string& id, const std::string& file);
  http::Reply HeldMaster(const http::Request& req, const EdgeLesson& lesson);
  http::Reply LessonQr(const http::Request& req, const std::string& id);
  http::Reply LessonLink(const http::Request& req, const std::string& id);
  http::Reply PackQr(const http::Request& req, const std::string& pack);
  http::Reply Metrics();

  EdgeRoutesOptions options_;
  EdgeStore& store_;
  Transfer& transfer_;
  PackFollower& follower_;
  bundle::BundleFiles files_;
  http::StaticFiles pages_;
  http::FailedAuthLimiter failed_auth_;
  std::atomic<std::int64_t> plays_received_{0};
  std::atomic<std::int64_t> requests_{0};
};

}  // namespace lm::edge
