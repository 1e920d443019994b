#include "edge/edge_routes.h"

#include <nlohmann/json.hpp>
#include <sys/statvfs.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <sstream>

#include "common/http/bearer.h"
#include "common/http/file_reply.h"
#include "common/text_checks.h"
#include "edge/lesson_links.h"
#include "edge/pack_follower.h"
#include "common/qr_code.h"
#include "common/unix_time.h"
#include "edge/transfer.h"

namespace lm::edge {

using http::ErrorReply;
using http::JsonReply;
using http::Reply;
using http::Request;
using nlohmann::json;

namespace {

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

json LessonJson(const EdgeLesson& l) {
  return {{"id", l.id},
          {"kind", l.kind},
          {"title", l.title},
          {"teacher", l.teacher},
          {"subject", l.subject},
          {"grade", l.grade},
          {"duration_s", l.duration_s},
          {"renditions", l.renditions},
          {"packs", l.packs},
          {"needed_by", l.needed_by},
          {"pinned_until", l.pinned_until},
          {"state", LessonStateName(l.state)},
          {"playable", l.state == LessonState::kReady},
          {"poster", l.state == LessonState::kReady && l.kind == "lesson" ? "/lessons/" + l.id + "/poster.jpg" : ""},
          {"master", l.state == LessonState::kReady && l.kind == "lesson" ? "/lessons/" + l.id + "/master.m3u8" : ""}};
}

// The master playlist with only the renditions this edge holds, so a player never asks for one
// it cannot have.
std::string HeldMasterPlaylist(const std::string& master, const std::vector<std::string>& held) {
  std::istringstream in(master);
  std::string line, out, pending;
  while (std::getline(in, line)) {
    if (line.rfind("#EXT-X-STREAM-INF", 0) == 0) {
      pending = line;
      continue;
    }
    if (!pending.empty()) {
      const std::string name = line.substr(0, line.rfind('.'));
      if (std::find(held.begin(), held.end(), name) != held.end()) out += pending + "\n" + line + "\n";
      pending.clear();
      continue;
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

EdgeRoutes::EdgeRoutes(EdgeRoutesOptions options, EdgeStore& store, Transfer& transfer, PackFollower& follower)
    : options_(std::move(options)),
      store_(store),
      transfer_(transfer),
      follower_(follower),
      files_(options_.lessons_dir, "/lessons"),
      pages_(options_.web_dir, {{"/", "classroom.html"}, {"/print", "print.html"}}),
      failed_auth_(options_.failed_auth) {}

const std::vector<EdgeRoutes::Route>& EdgeRoutes::Routes() {
  static const std::vector<Route> kRoutes = [] {
    std::vector<Route> routes;
    const auto open = [&](const char* method, const char* pattern, Target target, bool json_body = false) {
      routes.push_back({{.method = method, .pattern = pattern, .is_public = true, .json_body = json_body}, target});
    };
    // Reads answer HEAD as well.
    const auto read = [&](const char* pattern, Target target) {
      open("GET", pattern, target);
      open("HEAD", pattern, target);
    };
    open("GET", "/healthz", Target::kHealth);
    open("GET", "/metrics", Target::kMetrics);
    read("/", Target::kPages);  // the classroom page
    read("/print", Target::kPages);
    read("/web/{file*}", Target::kPages);
    read("/v1/lessons", Target::kLessons);
    read("/v1/lessons/{lesson}", Target::kOneLesson);
    read("/v1/downloads", Target::kDownloads);
    read("/v1/status", Target::kStatus);
    open("POST", "/v1/plays", Target::kPlays, /*json_body=*/true);
    routes.push_back({{.method = "POST", .pattern = "/v1/sync", .roles = {"admin"}}, Target::kSync});
    read("/lessons/{lesson}/qr.svg", Target::kQr);  // before the files: no bundle file has this name
    read("/l/{lesson}", Target::kLink);              // what the printed codes carry
    read("/v1/packs/{pack}/qr.pdf", Target::kPackQr);
    read("/lessons/{lesson}/{file}", Target::kFile);
    return routes;
  }();
  return kRoutes;
}

std::vector<http::RouteInfo> EdgeRoutes::RouteTable() {
  std::vector<http::RouteInfo> out;
  for (const Route& r : Routes()) out.push_back(r.info);
  return out;
}

std::size_t EdgeRoutes::BodyLimit(const std::string& method, const std::string& target) {
  const std::string_view path = std::string_view(target).substr(0, target.find('?'));
  std::vector<std::string> params;
  for (const Route& r : Routes()) {
    if (r.info.method == method && http::MatchesPattern(r.info.pattern, path, &params)) return r.info.body_limit;
  }
  return http::kSmallBodyLimit;
}

Reply EdgeRoutes::Handle(const Request& req) {
  ++requests_;
  const Route* route = nullptr;
  bool path_known = false;
  std::vector<std::string> params;
  for (const Route& r : Routes()) {
    if (!http::MatchesPattern(r.info.pattern, req.path, &params)) continue;
    path_known = true;
    if (r.info.method == req.method) {
      route = &r;
      break;
    }
  }
  if (!route) {
    return path_known ? ErrorReply(405, "method_not_allowed", "method not allowed on this resource")
                      : ErrorReply(404, "not_found", "no such resource");
  }
  if (!route->info.is_public) {
    // The one role: the IT teacher with the local admin token.
    if (auto too_many = failed_auth_.Refuse(req)) return std::move(*too_many);
    if (options_.admin_token.empty() || http::BearerToken(req) != options_.admin_token) {
      failed_auth_.Failed(req);
      return http::Unauthenticated("this needs the edge's admin token (admin.token in its cache_dir)");
    }
  }
  return Dispatch(*route, req, params);
}

Reply EdgeRoutes::Dispatch(const Route& route, const Request& req, const std::vector<std::string>& params) {
  switch (route.target) {
    case Target::kHealth: return JsonReply(200, R"({"status":"ok"})");
    case Target::kMetrics: return Metrics();
    case Target::kPages: return pages_.Handle(req);
    case Target::kLessons: return Lessons(req);
    case Target::kOneLesson: return OneLesson(params[0]);
    case Target::kDownloads: return Downloads();
    case Target::kStatus: return StatusReply();
    case Target::kPlays: return Plays(req);
    case Target::kSync:
      follower_.SyncNow();
      return JsonReply(202, R"({"sync":"requested"})");
    case Target::kQr: return LessonQr(req, params[0]);
    case Target::kLink: return LessonLink(req, params[0]);
    case Target::kPackQr: return PackQr(req, params[0]);
    case Target::kFile: return LessonFile(req, params[0], params[1]);
  }
  return ErrorReply(404, "not_found", "no such resource");
}

Reply EdgeRoutes::Lessons(const Request& req) {
  EdgeStore::Query q{req.Query("q"), req.Query("subject"), req.Query("grade"), 0};
  if (const std::string pack = req.Query("pack"); !pack.empty()) {
    if (!IsDecimal(pack, 18, true)) return ErrorReply(400, "invalid_argument", "pack must be a pack id", "pack");
    q.pack = std::stoll(pack);
  }
  auto ids = store_.Search(q);
  if (!ids.ok()) return ErrorReply(ids.status());
  auto all = store_.Lessons();
  if (!all.ok()) return ErrorReply(all.status());
  std::map<std::string, const EdgeLesson*> by_id;
  for (const auto& l : *all) by_id[l.id] = &l;
  json list = json::array();
  for (const auto& id : *ids) {
    if (auto it = by_id.find(id); it != by_id.end()) list.push_back(LessonJson(*it->second));
  }
  json packs = json::array();
  if (auto accepted = store_.Packs(); accepted.ok()) {
    for (const auto& pk : *accepted) packs.push_back({{"pack_id", pk.pack_id}, {"version", pk.version}, {"title", pk.title}});
  }
  return JsonReply(200, Dump({{"lessons", list}, {"packs", packs}}));
}

Reply EdgeRoutes::OneLesson(const std::string& id) {
  if (!IsLowerHex(id, 32)) return ErrorReply(404, "not_found", "no such lesson");
  auto lesson = store_.Lesson(id);
  if (!lesson.ok()) return ErrorReply(lesson.status());
  return JsonReply(200, Dump(LessonJson(*lesson)));
}

Reply EdgeRoutes::Downloads() {
  auto lessons = store_.Lessons();
  if (!lessons.ok()) return ErrorReply(lessons.status());
  std::map<std::string, DownloadProgress> progress;
  for (auto& p : transfer_.Progress()) progress[p.lesson_id] = p;
  json list = json::array();
  for (const auto& l : *lessons) {
    if (l.state == LessonState::kReady) continue;
    json j = {{"id", l.id},
              {"title", l.title},
              {"state", LessonStateName(l.state)},
              {"needed_by", l.needed_by},
              {"packs", l.packs},
              {"bytes_done", 0},
              {"bytes_total", l.total_bytes},
              {"rate_bytes_per_second", 0},
              {"eta_seconds", nullptr},
              {"peers", 0},
              {"why", l.error}};
    if (auto it = progress.find(l.id); it != progress.end()) {
      const DownloadProgress& p = it->second;
      j["bytes_done"] = p.bytes_done;
      j["bytes_received"] = p.bytes_received;
      if (p.bytes_wanted > 0) j["bytes_total"] = p.bytes_wanted;
      j["rate_bytes_per_second"] = p.download_bytes_per_second;
      j["peers"] = p.peers;
      j["transfer"] = p.state;
      if (p.download_bytes_per_second > 0 && p.bytes_wanted > p.bytes_done) {
        j["eta_seconds"] = (p.bytes_wanted - p.bytes_done) / p.download_bytes_per_second;
      }
      if (!p.error.empty()) j["why"] = p.error;
    }
    list.push_back(std::move(j));
  }
  // Nearest needed-by first, as they are fetched.
  std::stable_sort(list.begin(), list.end(), [](const json& a, const json& b) {
    const std::string x = a["needed_by"], y = b["needed_by"];
    if (x.empty() != y.empty()) return !x.empty();
    return x < y;
  });
  return JsonReply(200, Dump({{"downloads", list}}));
}

Reply EdgeRoutes::StatusReply() {
  const FollowerStatus f = follower_.State();
  const BandwidthNow bw = transfer_.Bandwidth();
  struct statvfs vfs {};
  std::int64_t free_bytes = -1;
  if (::statvfs(options_.cache_dir.c_str(), &vfs) == 0) {
    free_bytes = static_cast<std::int64_t>(vfs.f_bavail) * static_cast<std::int64_t>(vfs.f_frsize);
  }
  std::int64_t held = 0, ready = 0, total = 0;
  if (auto lessons = store_.Lessons(); lessons.ok()) {
    for (const auto& l : *lessons) {
      ++total;
      if (l.state == LessonState::kReady) ++ready;
    }
  }
  for (const auto& p : transfer_.Progress()) held += p.bytes_done;
  const auto pending_plays = store_.PendingPlays();
  json j = {{"school_id", options_.school_id},
            {"catalog_reachable", f.catalog_reachable},
            {"last_sync_at", f.last_sync_at},
            {"last_error", f.last_error},
            {"packs_refused", f.packs_refused},
            {"refusals", f.refusals},
            {"schedule",
             {{"rule", bw.rule ? bw.rule->text : ""},
              {"down_kbps", bw.down_kbps},
              {"up_kbps", bw.up_kbps},
              {"next_change", std::chrono::duration_cast<std::chrono::seconds>(bw.next_change.time_since_epoch()).count()}}},
            {"disk",
             {{"free_bytes", free_bytes},
              {"held_bytes", held},
              {"quota_bytes", options_.quota_bytes},
              {"min_free_bytes", options_.min_free_bytes}}},
            {"lessons", {{"ready", ready}, {"total", total}}},
            {"errors", options_.errors ? options_.errors() : std::vector<std::string>()},
            {"plays_pending", pending_plays.ok() ? *pending_plays : -1},
            {"torrent_port", transfer_.listen_port()},
            {"now", UnixNow()}};
  return JsonReply(200, Dump(j));
}

Reply EdgeRoutes::Plays(const Request& req) {
  const json b = json::parse(req.body, nullptr, false);
  if (!b.is_object()) return ErrorReply(400, "invalid_argument", "the body must be a JSON object", "body");
  PlayEvent e;
  for (const char* key : {"event_id", "lesson_id", "rendition", "kind"}) {
    if (b.contains(key) && !b[key].is_string() && !b[key].is_null()) {
      return ErrorReply(400, "invalid_argument", std::string(key) + " must be a string", key);
    }
  }
  auto str = [&](const char* key) { return b.contains(key) && b[key].is_string() ? b[key].get<std::string>() : ""; };
  e.event_id = str("event_id");
  e.lesson_id = str("lesson_id");
  e.rendition = str("rendition");
  e.kind = str("kind");
  if (e.kind != "" && e.kind != "start" && e.kind != "progress" && e.kind != "end") {
    return ErrorReply(400, "invalid_argument", "kind is start, progress or end", "kind");
  }
  if (e.event_id.empty() || e.event_id.size() > 100) {
    return ErrorReply(400, "invalid_argument", "event_id (chosen by the page, 1-100 characters) is required", "event_id");
  }
  if (!IsLowerHex(e.lesson_id, 32)) return ErrorReply(400, "invalid_argument", "lesson_id must be a lesson id", "lesson_id");
  if (!b.contains("seconds") || !b["seconds"].is_number() || b["seconds"].get<double>() < 0 ||
      b["seconds"].get<double>() > 24 * 3600) {
    return ErrorReply(400, "invalid_argument", "seconds watched must be a number from 0 to 86400", "seconds");
  }
  e.seconds = b["seconds"].get<double>();
  if (b.contains("started_at") && !b["started_at"].is_null() && !b["started_at"].is_number_integer()) {
    return ErrorReply(400, "invalid_argument", "started_at must be unix seconds", "started_at");
  }
  e.started_at = b.contains("started_at") && b["started_at"].is_number_integer() ? b["started_at"].get<std::int64_t>()
                                                                                 : UnixNow();
  if (e.started_at <= 0) return ErrorReply(400, "invalid_argument", "started_at must be unix seconds", "started_at");
  auto lesson = store_.Lesson(e.lesson_id);
  if (!lesson.ok()) return ErrorReply(404, "not_found", "no lesson " + e.lesson_id + " on this edge", "lesson_id");
  auto added = store_.AddPlay(e);
  if (!added.ok()) return ErrorReply(added.status());
  (void)store_.MarkPlayed(e.lesson_id, UnixNow());
  ++plays_received_;
  return JsonReply(*added ? 201 : 200, Dump({{"event_id", e.event_id}, {"stored", *added}}));
}

// /lessons/<id>/<file>: only lessons that are complete and verified.
Reply EdgeRoutes::LessonFile(const Request& req, const std::string& id, const std::string& file) {
  if (!IsLowerHex(id, 32)) return ErrorReply(404, "not_found", "no such lesson file");
  auto lesson = store_.Lesson(id);
  if (!lesson.ok() || lesson->state != LessonState::kReady) {
    return ErrorReply(404, "not_found", "lesson " + id + " is not on this edge yet");
  }
  if (file == "master.m3u8") return HeldMaster(req, *lesson);
  return files_.Handle(req);
}

// The master playlist names only the renditions this edge keeps, so players never ask for one it
// lacks. It is rewritten per request: whole, with no ETag or ranges (it is a few hundred bytes).
Reply EdgeRoutes::HeldMaster(const Request& req, const EdgeLesson& lesson) {
  if (req.method != "GET" && req.method != "HEAD") return ErrorReply(405, "method_not_allowed", "read with GET");
  Request whole;
  whole.method = "GET";
  whole.path = req.path;
  Reply reply = files_.Handle(whole);
  if (reply.status != 200) return reply;
  auto original = http::ReplyBytes(reply);
  if (!original.ok()) return ErrorReply(original.status());
  Reply held;
  held.content_type = reply.content_type;
  held.body = HeldMasterPlaylist(*original, lesson.renditions);
  held.headers.emplace_back("Cache-Control", "no-cache");
  if (req.method == "HEAD") {
    held.headers.emplace_back("Content-Length", std::to_string(held.body.size()));
    held.body.clear();
  }
  return held;
}

// The code a classroom's phone or tablet scans: this edge's URL for the lesson, with the host the
// client used to reach the edge (its name or address on the school LAN).
Reply EdgeRoutes::LessonQr(const Request& req, const std::string& id) {
  if (!IsLowerHex(id, 32)) return ErrorReply(404, "not_found", "no such lesson");
  const std::string host = req.Header("host");
  const bool host_ok = !host.empty() && host.size() <= 255 &&
                       std::all_of(host.begin(), host.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
                                c == '[' || c == ']';
                       });
  if (!host_ok) return ErrorReply(400, "invalid_argument", "a QR code needs the Host the edge was reached by", "host");
  if (auto lesson = store_.Lesson(id); !lesson.ok()) return ErrorReply(404, "not_found", "no lesson " + id + " on this edge");
  auto svg = QrSvg("http://" + host + "/#lesson=" + id);
  if (!svg.ok()) return ErrorReply(svg.status());
  Reply r;
  r.content_type = "image/svg+xml";
  r.body = std::move(*svg);
  r.headers.emplace_back("Cache-Control", "no-cache");
  r.headers.emplace_back("Vary", "Host");
  return r;
}

namespace {

// A HEAD is answered as its GET, without the body.
Reply HeadOf(const Request& req, Reply reply) {
  if (req.method == "HEAD") {
    reply.headers.emplace_back("Content-Length", std::to_string(reply.body.size()));
    reply.body.clear();
  }
  return reply;
}

}  // namespace

Reply EdgeRoutes::LessonLink(const Request& req, const std::string& id) {
  std::optional<EdgeLesson> lesson;
  std::optional<DownloadProgress> progress;
  if (IsLowerHex(id, 32)) {
    if (auto l = store_.Lesson(id); l.ok()) {
      lesson = std::move(*l);
    } else if (l.status().code() != StatusCode::kNotFound) {
      return ErrorReply(l.status());
    }
    if (lesson && lesson->state != LessonState::kReady) {
      for (auto& p : transfer_.Progress()) {
        if (p.lesson_id == id) progress = std::move(p);
      }
    }
  }
  return HeadOf(req, LessonLinkReply(req, id, lesson, progress));
}

Reply EdgeRoutes::PackQr(const Request& req, const std::string& pack) {
  return HeadOf(req, PackQrSheetReply(pack, store_, {options_.lessons_dir, options_.lan_name, options_.school_id}));
}

Reply EdgeRoutes::Metrics() {
  const FollowerStatus f = follower_.State();
  const TransferTotals t = transfer_.Totals();
  std::int64_t ready = 0, pending = 0;
  if (auto lessons = store_.Lessons(); lessons.ok()) {
    for (const auto& l : *lessons) (l.state == LessonState::kReady ? ready : pending)++;
  }
  std::ostringstream out;
  out << "# TYPE lessonmesh_edge_lessons gauge\n"
      << "lessonmesh_edge_lessons{state=\"ready\"} " << ready << "\n"
      << "lessonmesh_edge_lessons{state=\"pending\"} " << pending << "\n"
      << "# TYPE lessonmesh_edge_packs_refused_total counter\n"
      << "lessonmesh_edge_packs_refused_total " << f.packs_refused << "\n"
      << "# TYPE lessonmesh_edge_catalog_reachable gauge\n"
      << "lessonmesh_edge_catalog_reachable " << (f.catalog_reachable ? 1 : 0) << "\n"
      << "# TYPE lessonmesh_edge_downloaded_bytes gauge\n"
      << "lessonmesh_edge_downloaded_bytes " << t.downloaded_bytes << "\n"
      << "# TYPE lessonmesh_edge_hash_failures_total counter\n"
      << "lessonmesh_edge_hash_failures_total " << t.hash_failures << "\n"
      << "# TYPE lessonmesh_edge_peers_banned_total counter\n"
      << "lessonmesh_edge_peers_banned_total " << t.peers_banned << "\n"
      << "# TYPE lessonmesh_edge_stuck_piece_rechecks_total counter\n"
      << "lessonmesh_edge_stuck_piece_rechecks_total " << t.stuck_piece_rechecks << "\n"
      << "# TYPE lessonmesh_edge_plays_received_total counter\n"
      << "lessonmesh_edge_plays_received_total " << plays_received_.load() << "\n"
      << "# TYPE lessonmesh_edge_http_requests_total counter\n"
      << "lessonmesh_edge_http_requests_total " << requests_.load() << "\n";
  Reply r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = out.str();
  return r;
}

}  // namespace lm::edge
