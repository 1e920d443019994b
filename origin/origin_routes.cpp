#include "origin/origin_routes.h"

#include <nlohmann/json.hpp>

#include "common/http/bearer.h"
#include "common/text_checks.h"

namespace lm::origin {

using http::Reply;
using http::Request;
using nlohmann::json;

namespace {

json JobJson(const Job& j) {
  json out = {{"id", j.id},
              {"upload_id", j.upload_id},
              {"state", JobStateName(j.state)},
              {"progress", j.state == JobState::kDone ? 1.0 : j.progress},
              {"attempts", j.attempts},
              {"created_at", j.created_at},
              {"updated_at", j.updated_at}};
  if (!j.error.empty()) out["error"] = j.error;
  if (!j.lesson_id.empty()) out["lesson_id"] = j.lesson_id;
  if (j.state == JobState::kDone) out["registered"] = j.registered;
  if (j.state == JobState::kQueued && j.attempts > 0) out["next_attempt_at"] = j.next_attempt_at;
  return out;
}

}  // namespace

std::vector<OriginRoutes::Route> OriginRoutes::Routes(std::int64_t max_upload_bytes) {
  const std::vector<std::string> kUploaders = {"teacher", "admin"};  // UploaderAuth decides
  const auto open = [](const char* method, const char* pattern, Target target) {
    return Route{{.method = method, .pattern = pattern, .is_public = true}, target};
  };
  const auto uploader = [&](const char* method, const char* pattern, Target target, const char* owner = "") {
    return Route{{.method = method, .pattern = pattern, .roles = kUploaders, .owner_param = owner}, target};
  };
  std::vector<Route> routes = {
      open("OPTIONS", "/uploads", Target::kTus),  // tus discovery
      uploader("POST", "/uploads", Target::kTus),
      uploader("HEAD", "/uploads/{upload}", Target::kTus, "upload"),
      uploader("PATCH", "/uploads/{upload}", Target::kTus, "upload"),
      uploader("DELETE", "/uploads/{upload}", Target::kTus, "upload"),
      uploader("GET", "/v1/jobs", Target::kJobs),  // the caller's, or ?upload=ID
      uploader("GET", "/v1/jobs/{job}", Target::kJobs, "job"),
      // The lesson's owner is the teacher who uploaded it (or the lesson it was cut from); admins too.
      uploader("PUT", "/v1/lessons/{lesson}/chapters", Target::kChapters, "lesson"),
      uploader("POST", "/v1/lessons/{lesson}/clips", Target::kClips, "lesson"),
      open("GET", "/bundles/{lesson}/{file}", Target::kBundles),
      open("HEAD", "/bundles/{lesson}/{file}", Target::kBundles),
      open("GET", "/bundles/{lesson}/.pad/{bytes}", Target::kBundles),  // BEP 47 pad files, as zeros
      open("HEAD", "/bundles/{lesson}/.pad/{bytes}", Target::kBundles),
      open("GET", "/announce", Target::kTracker),
      open("GET", "/scrape", Target::kTracker),
      open("GET", "/v1/torrents", Target::kTorrents),
      open("GET", "/healthz", Target::kHealth),
      open("GET", "/", Target::kPages),  // the teacher's page; it signs in with the teacher's token
      open("HEAD", "/", Target::kPages),
      open("GET", "/web/{file*}", Target::kPages),
      open("HEAD", "/web/{file*}", Target::kPages),
  };
  // PATCH bodies stream to disk as they arrive (a cut keeps what came), so they may be as large as
  // an upload; TusRoutes refuses anything past the upload's declared length.
  for (Route& r : routes) {
    if (r.info.method == "PATCH") r.info.body_limit = static_cast<std::size_t>(max_upload_bytes);
    if (r.target == Target::kChapters || r.target == Target::kClips) r.info.json_body = true;
  }
  return routes;
}

std::vector<http::RouteInfo> OriginRoutes::RouteTable(std::int64_t max_upload_bytes) {
  std::vector<http::RouteInfo> out;
  for (const Route& r : Routes(max_upload_bytes)) out.push_back(r.info);
  return out;
}

OriginRoutes::OriginRoutes(OriginRouteParts parts, std::int64_t max_upload_bytes, http::FailedAuthLimits failed_auth)
    : parts_(parts), routes_(Routes(max_upload_bytes)), failed_auth_(std::move(failed_auth)) {}

std::size_t OriginRoutes::BodyLimit(const std::string& method, const std::string& target) const {
  const std::string_view path = std::string_view(target).substr(0, target.find('?'));
  std::vector<std::string> params;
  for (const Route& r : routes_) {
    if (r.info.method == method && http::MatchesPattern(r.info.pattern, path, &params)) return r.info.body_limit;
  }
  return http::kSmallBodyLimit;
}

const OriginRoutes::Route* OriginRoutes::Find(const Request& req, std::vector<std::string>* params,
                                              Reply* none) const {
  bool path_known = false;
  for (const Route& r : routes_) {
    if (!http::MatchesPattern(r.info.pattern, req.path, params)) continue;
    path_known = true;
    if (r.info.method == req.method) return &r;
  }
  *none = path_known ? http::ErrorReply(405, "method_not_allowed", "method not allowed on this resource")
                     : http::ErrorReply(404, "not_found", "no such resource");
  return nullptr;
}

Reply OriginRoutes::Handle(const Request& req) {
  if (auto too_many = failed_auth_.Refuse(req)) return std::move(*too_many);
  Reply reply = Dispatch(req);
  if (reply.status == 401) failed_auth_.Failed(req);
  return reply;
}

std::optional<http::StreamOrReply> OriginRoutes::Stream(const Request& head) {
  std::vector<std::string> params;
  Reply none;
  const Route* route = Find(head, &params, &none);
  if (!route || route->target != Target::kTus || head.method != "PATCH") return std::nullopt;
  if (auto too_many = failed_auth_.Refuse(head)) return std::move(*too_many);
  auto decision = parts_.tus.Stream(head);
  if (decision) {
    if (auto* reply = std::get_if<Reply>(&*decision); reply && reply->status == 401) failed_auth_.Failed(head);
  }
  return decision;
}

Reply OriginRoutes::Dispatch(const Request& req) {
  std::vector<std::string> params;
  Reply none;
  const Route* route = Find(req, &params, &none);
  if (!route) return none;
  switch (route->target) {
    case Target::kTus: return parts_.tus.Handle(req);
    case Target::kJobs: return Jobs(req, params);
    case Target::kBundles: {
      Reply reply = parts_.bundles.Handle(req);
      if (reply.file) reply.file->pace = parts_.bundles_pace;
      return reply;
    }
    case Target::kTracker: return parts_.tracker.Handle(req);
    case Target::kTorrents: return Torrents();
    case Target::kHealth: return http::JsonReply(200, R"({"status":"ok"})");
    case Target::kPages: return parts_.pages.Handle(req);
    case Target::kChapters: return parts_.edits.SetChapters(req, params[0]);
    case Target::kClips: return parts_.edits.MakeClips(req, params[0]);
  }
  return none;
}

Reply OriginRoutes::Torrents() {
  json list = json::array();
  for (const auto& t : parts_.seeder.Torrents()) {
    list.push_back({{"lesson_id", t.lesson_id},
                    {"info_hash_v1", t.info_hash_v1},
                    {"state", t.state},
                    {"uploaded_bytes", t.uploaded_bytes},
                    {"peers", t.peers},
                    {"from_resume_data", t.from_resume_data}});
  }
  return http::JsonReply(200, json{{"torrents", list}}.dump());
}

// A job is shown to whoever uploaded its file.
Reply OriginRoutes::Jobs(const Request& req, const std::vector<std::string>& params) {
  auto who = parts_.auth.Authenticate(http::BearerToken(req));
  if (!who.ok()) return http::AuthFailureReply(who.status(), "a teacher's bearer token is required");
  Result<Job> job = Status(StatusCode::kNotFound, "no such job");
  if (params.empty() && req.Query("upload").empty()) return MyJobs(*who);
  if (params.empty()) {
    const std::string upload = req.Query("upload");
    if (!IsLowerHex(upload, 32)) {
      return http::ErrorReply(400, "invalid_argument", "upload must be an upload id (32 hex digits)", "upload");
    }
    job = parts_.jobs.GetByUpload(upload);
  } else {
    if (!IsDecimal(params[0], 18, /*positive=*/true)) return http::ErrorReply(404, "not_found", "no such job");
    job = parts_.jobs.Get(std::stoll(params[0]));
  }
  if (!job.ok()) return http::ErrorReply(job.status());
  // Whose a job is, its upload says; a job whose upload is gone is no one's to see.
  auto upload = parts_.uploads.Get(job->upload_id);
  if (!upload.ok()) return http::ErrorReply(404, "not_found", "no such job");
  if (upload->owner != *who) {
    return http::ErrorReply(403, "forbidden", "this job belongs to someone else's upload");
  }
  return http::JsonReply(200, JobJson(*job).dump());
}

// GET /v1/jobs: the caller's latest uploads that finished, with what the teacher typed
// (the teacher's page lists them as "my lessons").
Reply OriginRoutes::MyJobs(const std::string& owner) {
  constexpr int kScanned = 1000;  // the newest jobs looked at
  constexpr size_t kListed = 100;
  auto recent = parts_.jobs.Recent(kScanned);
  if (!recent.ok()) return http::ErrorReply(recent.status());
  json list = json::array();
  for (const Job& j : *recent) {
    auto upload = parts_.uploads.Get(j.upload_id);
    if (!upload.ok() || upload->owner != owner) continue;
    json item = JobJson(j);
    for (const char* key : {"title", "teacher", "subject", "grade", "filename"}) {
      auto it = upload->metadata.find(key);
      item[key] = it == upload->metadata.end() ? "" : it->second;
    }
    item["bytes"] = upload->length;
    list.push_back(std::move(item));
    if (list.size() == kListed) break;
  }
  return http::JsonReply(200, json{{"jobs", list}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace lm::origin
