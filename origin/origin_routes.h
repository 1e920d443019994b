#pragma once
// The origin's HTTP routes as one table: tus uploads, jobs, bundle files (the web seed), the
// tracker, what is seeded, health, the teacher's page, and a lesson's chapters and clips. Each route declares who may call it and
// its largest body (RouteTable, what the access tests walk), and requests are dispatched by the
// table only: a path no route has is 404, another method 405. Requests that carry credentials
// from an address that failed authentication too often are refused (429) first; every 401 to a
// request with credentials counts as a failure. Knows no sockets; thread-safe. The parts it is
// given must outlive it.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bundle/bundle_files.h"
#include "common/http/failed_auth_limiter.h"
#include "common/http/http_types.h"
#include "common/http/route_table.h"
#include "common/http/static_files.h"
#include "common/rate_limit.h"
#include "origin/job_queue.h"
#include "origin/lesson_edits.h"
#include "origin/seeder.h"
#include "origin/tracker.h"
#include "origin/tus_routes.h"
#include "origin/upload_store.h"
#include "origin/uploader_auth.h"

namespace lm::origin {

struct OriginRouteParts {
  TusRoutes& tus;
  JobQueue& jobs;
  UploadStore& uploads;
  UploaderAuth& auth;
  bundle::BundleFiles& bundles;
  Tracker& tracker;
  Seeder& seeder;
  http::StaticFiles& pages;
  LessonEdits& edits;
  // The rate the bundle files (web seed, playback) go out at, all replies together; null: no cap.
  std::shared_ptr<RateLimit> bundles_pace = nullptr;
};

class OriginRoutes {
 public:
  OriginRoutes(OriginRouteParts parts, std::int64_t max_upload_bytes, http::FailedAuthLimits failed_auth);

  // Every route, as data. Roles are the catalog's role names; an upload's or a job's owner is the
  // teacher (school and token) who made the upload.
  static std::vector<http::RouteInfo> RouteTable(std::int64_t max_upload_bytes);

  // The largest body of the route for `method` and `target` (64 KiB where none matches).
  std::size_t BodyLimit(const std::string& method, const std::string& target) const;
  // Answers a request whose body was read whole.
  http::Reply Handle(const http::Request& request);
  // The stream route for HttpServer::Start: a PATCH's body goes to its upload as it arrives.
  std::optional<http::StreamOrReply> Stream(const http::Request& head);

 private:
  // Where a route's requests go.
  enum class Target { kTus, kJobs, kBundles, kTracker, kTorrents, kHealth, kPages, kChapters, kClips };
  struct Route {
    http::RouteInfo info;
    Target target;
  };
  static std::vector<Route> Routes(std::int64_t max_upload_bytes);
  // The route for the request, or the reply for none (404, or 405 for a path another method has).
  const Route* Find(const http::Request& request, std::vector<std::string>* params, http::Reply* none) const;
  http::Reply Dispatch(const http::Request& request);
  http::Reply Torrents();
  http::Reply Jobs(const http::Request& request, const std::vector<std::string>& params);
  http::Reply MyJobs(const std::string& owner);

  OriginRouteParts parts_;
  const std::vector<Route> routes_;
  http::FailedAuthLimiter failed_auth_;
};

}  // namespace lm::origin
