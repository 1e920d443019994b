// bench/origin_uploads: many teachers uploading to one origin at once over connections that are
// cut. A catalog and an origin run in this process (their real services, on loopback); N client
// threads each upload a generated courseware document of M MiB with tus (tests/testing/
// cut_tus_upload.h): one PATCH with everything left, the connection cut at --cuts random offsets
// (FIN or reset), resumed from HEAD's Upload-Offset. Documents are bundled without transcoding, so
// the run measures uploads, not x264. Then every upload must be bundled and registered: the
// SHA-256 of the origin's copy and of the bundled document must be the sent bytes', and there must
// be exactly one job per upload and one catalog lesson per upload (none lost, none doubled).
//
//   build/bin/origin_uploads [--uploads 50] [--mib 200] [--cuts 3] [--dir bench/out/origin_uploads] [--keep]
//
// Needs about uploads x MiB x 2 of disk (the upload and its bundle); with less free space under
// --dir it runs the largest size that fits and says so. The work directory is deleted afterwards
// unless --keep.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "origin/origin_service.h"
#include "tests/testing/catalog_fixture.h"
#include "tests/testing/cut_tus_upload.h"
#include "tests/testing/http_client.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "origin_uploads: %s\n", what.c_str());
  std::exit(1);
}

double Seconds(Clock::time_point from) { return std::chrono::duration<double>(Clock::now() - from).count(); }

struct Upload {
  lm::testing::CutUploadResult result;
  double upload_s = 0;
  std::string sent_sha256;
  json job;
  double bundled_s = -1;  // from the start, when the job was seen done and registered
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"origin upload load benchmark"};
  int uploads = 50;
  std::int64_t mib = 200;
  int cuts = 3;
  bool keep = false;
  std::string dir = "bench/out/origin_uploads";
  app.add_option("--uploads", uploads, "concurrent uploads");
  app.add_option("--mib", mib, "size of each upload, MiB");
  app.add_option("--cuts", cuts, "connections cut during each upload");
  app.add_option("--dir", dir, "work directory (recreated, deleted afterwards)");
  app.add_flag("--keep", keep, "keep the work directory");
  CLI11_PARSE(app, argc, argv);

  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::int64_t available = static_cast<std::int64_t>(fs::space(dir).available);
  const std::int64_t reserve = 2LL << 30;  // left free for everyone else
  const std::int64_t wanted = 2 * static_cast<std::int64_t>(uploads) * (mib << 20);
  if (wanted > available - reserve) {
    const std::int64_t fits = (available - reserve) / (2 * static_cast<std::int64_t>(uploads)) >> 20;
    if (fits < 1) Die("no room under " + dir);
    std::printf("origin_uploads: %lld MiB free under %s, %lld MiB needed: running %d x %lld MiB instead of %lld MiB\n",
                static_cast<long long>(available >> 20), dir.c_str(), static_cast<long long>(wanted >> 20), uploads,
                static_cast<long long>(fits), static_cast<long long>(mib));
    mib = fits;
  }
  const std::int64_t length = mib << 20;

  lm::testing::CatalogFixture catalog(fs::path(dir) / "catalog");
  if (!catalog.Start()) Die("the catalog did not start");
  lm::origin::OriginConfig config;
  config.port = 0;
  config.torrent_port = 0;
  config.lsd = false;
  config.data_dir = (fs::path(dir) / "origin").string();
  config.catalog_url = catalog.url();
  config.catalog_token = catalog.Token(lm::catalog::Role::kOrigin);
  auto origin = lm::origin::OriginService::Start(config);
  if (!origin.ok()) Die(origin.status().message());
  const std::uint16_t port = (*origin)->http_port();
  const std::string teacher = catalog.Token(lm::catalog::Role::kTeacher, "tianhe-3");

  std::printf("origin_uploads: %d uploads of %lld MiB at once, %d cuts each\n", uploads, static_cast<long long>(mib),
              cuts);
  std::fflush(stdout);
  std::vector<Upload> done(static_cast<std::size_t>(uploads));
  const auto start = Clock::now();
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < uploads; ++i) {
      threads.emplace_back([&, i] {
        lm::testing::CutUploadOptions o;
        o.port = port;
        o.token = teacher;
        o.length = length;
        o.seed = static_cast<std::uint64_t>(i + 1);
        o.cuts = cuts;
        o.metadata = {{"title", "第" + std::to_string(i + 1) + "课 课件"}, {"teacher", "王老师"},
                      {"subject", "数学"}, {"grade", "三年级"}, {"filename", "kejian.pdf"}};
        o.seconds = 3600;
        Upload& u = done[static_cast<std::size_t>(i)];
        u.result = lm::testing::CutTusUpload(o);
        u.upload_s = Seconds(start);
      });
    }
  }
  const double uploads_s = Seconds(start);
  int completed = 0, cut = 0, retries = 0;
  std::int64_t sent = 0;
  for (const auto& u : done) {
    completed += u.result.upload_id.empty() ? 0 : 1;
    cut += u.result.cuts;
    retries += u.result.retries;
    sent += u.result.bytes_sent;
    if (u.result.upload_id.empty()) std::printf("origin_uploads: an upload failed: %s\n", u.result.error.c_str());
  }
  std::printf("origin_uploads: %d of %d uploads complete after %.1f s: %.1f MiB/s in all; %d connections cut, %d "
              "PATCHes asked again (409/423); %.1f MiB sent for %.1f MiB of uploads\n",
              completed, uploads, uploads_s, static_cast<double>(completed) * mib / uploads_s, cut, retries,
              static_cast<double>(sent) / (1 << 20), static_cast<double>(uploads) * mib);
  std::fflush(stdout);

  // Every job done and registered (the bundles are made one at a time).
  const auto auth = std::map<std::string, std::string>{{"Authorization", "Bearer " + teacher}};
  const auto bundle_deadline = Clock::now() + std::chrono::seconds(3600);
  for (bool all = false; !all && Clock::now() < bundle_deadline;) {
    all = true;
    for (auto& u : done) {
      if (u.result.upload_id.empty() || u.bundled_s >= 0) continue;
      auto r = lm::testing::HttpClient(port).Request("GET", "/v1/jobs?upload=" + u.result.upload_id, "", auth);
      u.job = json::parse(r.body, nullptr, false);
      const std::string state = u.job.is_object() ? u.job.value("state", "") : "";
      if ((state == "done" && u.job.value("registered", false)) || state == "failed") {
        u.bundled_s = Seconds(start);
      } else {
        all = false;
      }
    }
    if (!all) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  double last_bundled_s = 0;
  for (const auto& u : done) last_bundled_s = std::max(last_bundled_s, u.bundled_s);

  // The bytes: what was sent, the origin's copy, the bundled document.
  const auto verify_start = Clock::now();
  int upload_ok = 0, bundle_ok = 0, jobs_done = 0;
  std::set<std::string> lessons;
  std::string first_problem;
  for (int i = 0; i < uploads; ++i) {
    Upload& u = done[static_cast<std::size_t>(i)];
    if (u.result.upload_id.empty()) continue;
    u.sent_sha256 = lm::testing::CoursewareSha256(static_cast<std::uint64_t>(i + 1), length);
    if (lm::testing::FileSha256(fs::path(config.data_dir) / "uploads" / (u.result.upload_id + ".part")) ==
        u.sent_sha256) {
      ++upload_ok;
    } else if (first_problem.empty()) {
      first_problem = "upload " + u.result.upload_id + ": the origin's copy differs";
    }
    if (!u.job.is_object() || u.job.value("state", "") != "done") {
      if (first_problem.empty()) first_problem = "upload " + u.result.upload_id + ": job " + u.job.dump();
      continue;
    }
    ++jobs_done;
    const std::string lesson = u.job["lesson_id"];
    lessons.insert(lesson);
    if (lm::testing::FileSha256(fs::path(config.data_dir) / "bundles" / lesson / "document.pdf") == u.sent_sha256) {
      ++bundle_ok;
    } else if (first_problem.empty()) {
      first_problem = "lesson " + lesson + ": the bundled document differs";
    }
  }
  const double verify_s = Seconds(verify_start);
  // None lost or doubled: the teacher's jobs, by upload, and the catalog's lessons.
  const auto mine_reply = lm::testing::HttpClient(port).Request("GET", "/v1/jobs", "", auth);
  const json mine = json::parse(mine_reply.body, nullptr, false);
  if (!mine.is_object() || !mine.contains("jobs") || !mine["jobs"].is_array()) {
    Die("GET /v1/jobs: " + std::to_string(mine_reply.status) + " " + mine_reply.body);
  }
  std::map<std::string, int> jobs_per_upload;
  for (const auto& j : mine["jobs"]) {
    if (j.is_object()) ++jobs_per_upload[j.value("upload_id", "")];
  }
  int uploads_with_one_job = 0;
  for (const auto& u : done) uploads_with_one_job += jobs_per_upload[u.result.upload_id] == 1 ? 1 : 0;
  const auto metrics = lm::testing::HttpClient(catalog.port()).Request("GET", "/metrics").body;
  const auto at = metrics.find("\nlessonmesh_lessons ");
  const int catalog_lessons = at == std::string::npos ? -1 : std::atoi(metrics.c_str() + at + 20);

  (*origin)->Stop();
  catalog.Stop();
  const bool all_ok = completed == uploads && upload_ok == uploads && bundle_ok == uploads &&
                      lessons.size() == static_cast<std::size_t>(uploads) && jobs_per_upload.size() ==
                      static_cast<std::size_t>(uploads) && uploads_with_one_job == uploads &&
                      catalog_lessons == uploads;
  std::printf("origin_uploads: all bundled and registered %.1f s after the start (%.1f s after the last upload)\n",
              last_bundled_s, last_bundled_s - uploads_s);
  std::printf("origin_uploads: SHA-256 of the sent bytes equals the origin's copy for %d of %d and the bundled "
              "document for %d of %d (checked in %.1f s)\n", upload_ok, uploads, bundle_ok, uploads, verify_s);
  std::printf("origin_uploads: jobs: %zu in the teacher's list, %d uploads with exactly one, %d done; lessons: %zu "
              "distinct, %d in the catalog; %s\n", jobs_per_upload.size(), uploads_with_one_job, jobs_done,
              lessons.size(), catalog_lessons, all_ok ? "none lost, none doubled" : "NOT all as expected");
  if (!first_problem.empty()) std::printf("origin_uploads: first problem: %s\n", first_problem.c_str());
  if (!keep) fs::remove_all(dir);
  return all_ok ? 0 : 1;
}
