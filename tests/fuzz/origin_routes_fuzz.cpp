// The origin's HTTP routes (origin::OriginRoutes, every route of its table) wired as OriginService
// wires them: tus uploads over an UploadStore whose finished uploads each enqueue one job in a
// real JobQueue, the jobs routes, bundle files (one document bundle), the tracker, the seeded
// torrents (a libtorrent session with none), health and the teacher's page; the catalog that
// checks tokens is a table. The input is up to 12 requests in the form of catalog_api_fuzz
// ("METHOD TARGET", headers, an empty line, the body; separated by lines "--"); "$ID" in a target
// stands for the upload created last, "$JOB" for the job enqueued last. A PATCH goes through the
// stream route as the server sends it (in three pieces; "X-Cut: 1" cuts it after the first), or
// whole through Handle with "X-Whole: 1". Tokens: teacher-a and teacher-b (two schools), admin
// (may upload), edge (403), down (the catalog cannot be reached: 503); anything else is unknown.
// Each input starts from empty uploads and jobs; three failed tokens from one address reach 429.
// Properties: never a 5xx but 503 for the token the catalog cannot check; errors are JSON; JSON
// replies parse; no reply shows a file outside the bundles and pages; no uploader's route answers
// 2xx without an uploader's token; an upload or a job is shown, changed or deleted only for the
// token that created it, and GET /v1/jobs lists only the caller's; every finished upload has
// exactly one job (none lost, none doubled).

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>

#include "bundle/bundle_files.h"
#include "bundle/lesson_manifest.h"
#include "common/http/bearer.h"
#include "common/http/file_reply.h"
#include "common/http/http_types.h"
#include "common/http/static_files.h"
#include "common/logging.h"
#include "common/xxh3.h"
#include "origin/job_queue.h"
#include "origin/lesson_edits.h"
#include "origin/origin_routes.h"
#include "origin/seeder.h"
#include "origin/tracker.h"
#include "origin/tus_routes.h"
#include "origin/upload_metadata.h"
#include "origin/upload_store.h"
#include "origin/uploader_auth.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_request.h"

namespace fs = std::filesystem;
using lm::http::Reply;
using lm::http::Request;

namespace {

constexpr std::int64_t kMaxBytes = 4096;
constexpr char kSecret[] = "SECRET-outside-the-bundles";
constexpr char kLesson[] = "2d1514f3e7753ddbd5256dcd05734421";

struct Fixture {
  fs::path dir, bundles, web, uploads, jobs_db;
  std::unique_ptr<lm::origin::Seeder> seeder;
};

// Bundles, pages and the seeder, made once; uploads and jobs are made afresh for each input.
Fixture& TheFixture() {
  static Fixture fixture = [] {
    Fixture f;
    f.dir = lm::fuzz::TempDir("origin");
    f.bundles = f.dir / "bundles";
    f.web = f.dir / "web";
    f.uploads = f.dir / "uploads";
    f.jobs_db = f.dir / "jobs.db";
    fs::create_directories(f.bundles / kLesson);
    fs::create_directories(f.web);
    const std::string pdf = "%PDF-1.4\n% courseware\n" + std::string(3000, 'x');
    lm::bundle::LessonManifest m;
    m.id = kLesson;
    m.kind = lm::bundle::BundleKind::kDocument;
    m.metadata = {"课件", "王老师", "语文", "三年级"};
    m.source = {lm::Xxh3Of(pdf).Hex(), static_cast<std::int64_t>(pdf.size()), "application/pdf"};
    m.document = "document.pdf";
    m.document_type = "application/pdf";
    m.files = {{"document.pdf", static_cast<std::int64_t>(pdf.size()), lm::Xxh3Of(pdf).Hex()}};
    lm::fuzz::WriteFile(f.bundles / kLesson / "document.pdf", pdf);
    lm::fuzz::WriteFile(f.bundles / kLesson / "lesson.json", lm::bundle::WriteLessonManifest(m));
    lm::fuzz::WriteFile(f.bundles / kLesson / "lesson.torrent", "d4:infod6:lengthi3022e4:name32:" + std::string(kLesson) + "ee");
    lm::fuzz::WriteFile(f.bundles / "secret.txt", kSecret);
    lm::fuzz::WriteFile(f.dir / "secret.txt", kSecret);
    lm::fuzz::WriteFile(f.web / "teacher.html", "<!doctype html><title>老师</title>\n");
    lm::fuzz::WriteFile(f.web / "teacher.js", "export {};\n");
    fs::create_symlink(f.dir / "secret.txt", f.web / "link.js");
    fs::create_symlink(f.dir / "secret.txt", f.bundles / kLesson / "link.pdf");
    lm::origin::SeederOptions seeding;
    seeding.listen_interfaces = "127.0.0.1:0";
    seeding.resume_dir = f.dir / "resume";
    seeding.lsd = false;
    auto seeder = lm::origin::Seeder::Start(seeding);
    FUZZ_CHECK(seeder.ok(), "the seeder starts");
    f.seeder = std::move(*seeder);
    return f;
  }();
  return fixture;
}

// The token as the routes read it ("Bearer down  " is down).
std::string TokenOf(const Request& r) { return lm::http::BearerToken(r); }

bool IsUploader(const std::string& token) { return token == "teacher-a" || token == "teacher-b" || token == "admin"; }

// The routes only an uploader may use.
bool IsUploadersRoute(const Request& r) {
  if (r.path.rfind("/uploads/", 0) == 0) return true;
  if (r.path == "/uploads") return r.method != "OPTIONS";
  return r.path == "/v1/jobs" || r.path.rfind("/v1/jobs/", 0) == 0;
}

// A PATCH as the server hands it over: the stream route first, else Handle.
Reply Send(lm::origin::OriginRoutes& routes, const Request& req) {
  if (req.method != "PATCH" || !req.Header("x-whole").empty()) return routes.Handle(req);
  Request head = req;
  head.body.clear();
  auto stream_or_reply = routes.Stream(head);
  if (!stream_or_reply) return routes.Handle(req);
  if (auto* reply = std::get_if<Reply>(&*stream_or_reply)) return std::move(*reply);
  auto& stream = std::get<lm::http::BodyStream>(*stream_or_reply);
  const std::string& body = req.body;
  const std::size_t cuts[] = {body.size() / 3, 2 * body.size() / 3, body.size()};
  const bool cut = !req.Header("x-cut").empty();
  std::size_t at = 0;
  lm::Status outcome;
  for (std::size_t i = 0; i < 3 && outcome.ok(); ++i) {
    if (cuts[i] > at) outcome = stream.on_data(std::string_view(body).substr(at, cuts[i] - at));
    at = cuts[i];
    if (cut && i == 0 && outcome.ok()) outcome = lm::Cancelled("the connection was cut");
  }
  return stream.on_end(outcome);
}

void CheckReply(const Request& req, const Reply& reply) {
  FUZZ_CHECK(reply.status >= 200 && reply.status < 600, "an HTTP status");
  FUZZ_CHECK(reply.status < 500 || (reply.status == 503 && TokenOf(req) == "down"),
             "never a server error; 503 only when the catalog cannot check the token");
  const bool json_body = reply.content_type == "application/json";
  if (reply.status >= 400 && req.method != "HEAD") {
    const auto j = nlohmann::json::parse(reply.body, nullptr, false);
    FUZZ_CHECK(j.is_object() && j.contains("error") && j.contains("code"), "an error is {\"error\", \"code\"}");
  } else if (json_body && !reply.body.empty() && req.method != "HEAD") {
    FUZZ_CHECK(!nlohmann::json::parse(reply.body, nullptr, false).is_discarded(), "a JSON reply parses");
  }
  auto bytes = lm::http::ReplyBytes(reply);
  FUZZ_CHECK(bytes.ok() && bytes->find(kSecret) == std::string::npos, "no reply shows a file outside bundles and pages");
  if (IsUploadersRoute(req) && !IsUploader(TokenOf(req))) {
    FUZZ_CHECK(reply.status >= 400, "no uploader's route answers without an uploader's token");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* area : {"origin", "origin.tus", "origin.jobs", "origin.seeder", "http"}) {
    lm::AreaLogger(area)->set_level(spdlog::level::off);
  }
  spdlog::set_level(spdlog::level::off);
  (void)TheFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = TheFixture();
  std::error_code ec;
  fs::remove_all(f.uploads, ec);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(f.jobs_db.string() + suffix, ec);
  auto uploads = lm::origin::UploadStore::Open(f.uploads, kMaxBytes);
  FUZZ_CHECK(uploads.ok(), "the upload store opens");
  auto jobs = lm::origin::JobQueue::Open(f.jobs_db.string());
  FUZZ_CHECK(jobs.ok(), "the job queue opens");
  std::int64_t now = 1760000000;
  const auto clock_now = [&now] { return now; };
  lm::origin::UploaderAuth auth(
      [](const std::string& token) -> lm::Result<lm::origin::TokenOwner> {
        if (token == "teacher-a") return lm::origin::TokenOwner{"teacher", "s1"};
        if (token == "teacher-b") return lm::origin::TokenOwner{"teacher", "s2"};
        if (token == "admin") return lm::origin::TokenOwner{"admin", ""};
        if (token == "edge") return lm::origin::TokenOwner{"edge", "s1"};
        if (token == "down") return lm::IoError("the catalog is down");
        return lm::Status(lm::StatusCode::kNotFound, "unknown token");
      });
  std::map<std::string, int> completions;  // upload id -> times reported finished
  std::string last_id(32, '0'), last_job = "1";
  lm::origin::TusOptions tus_options;  // as OriginService: chapters the job could not use are refused at once
  tus_options.check_metadata = [](const std::map<std::string, std::string>& metadata) {
    return lm::origin::LessonFromUploadMetadata(metadata).status();
  };
  lm::origin::TusRoutes tus(
      **uploads, tus_options, [&auth](const std::string& token) { return auth.Authenticate(token); },
      [&](const lm::origin::UploadInfo& info) {
        ++completions[info.id];
        auto job = (*jobs)->Enqueue(info.id, now);
        FUZZ_CHECK(job.ok(), "a finished upload is enqueued");
        last_job = std::to_string(job->id);
      },
      clock_now);
  lm::bundle::BundleFiles bundles(f.bundles, "/bundles");
  lm::origin::Tracker tracker;
  lm::http::StaticFiles pages(f.web, {{"/", "teacher.html"}});
  lm::http::FailedAuthLimits failed_auth;
  failed_auth.failures_per_minute = 3;
  failed_auth.clock = [] { return std::chrono::steady_clock::time_point(std::chrono::hours(1)); };
  // Chapters and clips make new bundles from a lesson's (the transcoder's clip code); publishing
  // them is the service's, here a no-op.
  lm::origin::LessonEdits edits({auth, **jobs, **uploads, f.bundles,
                                 [](const std::filesystem::path&, const std::string&) { return lm::Status::Ok(); }});
  lm::origin::OriginRoutes routes({tus, **jobs, **uploads, auth, bundles, tracker, *f.seeder, pages, edits},
                                  kMaxBytes, failed_auth);

  std::map<std::string, std::string> owner_of;  // upload id -> the token that created it
  for (const std::string_view text : lm::fuzz::SplitParts(lm::fuzz::Text(data, size), "--", 12)) {
    now += 30;
    Request req;
    if (!lm::fuzz::ParseRequest(text, {{"$ID", last_id}, {"$JOB", last_job}}, "10.1.2.3:40000", &req)) continue;
    if (req.method != "PATCH" && req.body.size() > routes.BodyLimit(req.method, req.target)) continue;
    const Reply reply = Send(routes, req);
    if (lm::fuzz::Tracing()) {
      std::fprintf(stderr, "%s %s -> %d %s\n", req.method.c_str(), req.target.c_str(), reply.status,
                   reply.body.substr(0, 160).c_str());
    }
    CheckReply(req, reply);
    const std::string token = TokenOf(req);
    if (req.method == "POST" && req.path == "/uploads" && reply.status == 201) {
      for (const auto& [k, v] : reply.headers) {
        if (k == "Location") last_id = v.substr(v.rfind('/') + 1);
      }
      owner_of[last_id] = token;
    }
    // An upload is seen, changed or deleted only by the token that created it.
    if (req.path.rfind("/uploads/", 0) == 0 && reply.status / 100 == 2) {
      const auto it = owner_of.find(req.path.substr(9));
      FUZZ_CHECK(it != owner_of.end() && it->second == token, "only the uploader reaches an upload");
    }
    if (req.path.rfind("/v1/jobs", 0) == 0 && reply.status == 200) {
      const auto j = nlohmann::json::parse(reply.body, nullptr, false);
      const auto list = j.contains("jobs") ? j["jobs"] : nlohmann::json::array({j});
      for (const auto& job : list) {
        const std::string upload = job.value("upload_id", "");
        FUZZ_CHECK(owner_of.count(upload) && owner_of[upload] == token, "a job is shown only to its uploader");
        last_job = std::to_string(job.value("id", 0));
      }
    }
    // Every finished upload has exactly one job.
    auto recent = (*jobs)->Recent(1000);
    FUZZ_CHECK(recent.ok(), "the jobs are listed");
    std::map<std::string, int> jobs_per_upload;
    for (const auto& job : *recent) ++jobs_per_upload[job.upload_id];
    for (const auto& [id, n] : completions) FUZZ_CHECK(n == 1, "an upload is reported finished once");
    FUZZ_CHECK(jobs_per_upload == completions, "one job per finished upload, none without");
  }
  return 0;
}
