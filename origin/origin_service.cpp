#include "origin/origin_service.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>
#include <set>

#include "bundle/bundle_files.h"
#include "bundle/lesson_manifest.h"
#include "bundle/torrent_file.h"
#include "bundle/v1_torrent.h"
#include "common/atomic_file.h"
#include "common/hex.h"
#include "common/http/http_server.h"
#include "common/http/static_files.h"
#include "common/logging.h"
#include "common/read_file.h"
#include "common/text_checks.h"
#include "common/unix_time.h"
#include "origin/catalog_client.h"
#include "origin/catalog_registrar.h"
#include "origin/job_queue.h"
#include "origin/lesson_edits.h"
#include "origin/origin_routes.h"
#include "origin/seeder.h"
#include "origin/tracker.h"
#include "origin/transcode_workers.h"
#include "origin/tus_routes.h"
#include "origin/upload_metadata.h"
#include "origin/upload_store.h"
#include "origin/uploader_auth.h"
#include "origin/worker_service.h"

namespace lm::origin {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::chrono::milliseconds kTrackerSweepPeriod{120000};
constexpr std::chrono::milliseconds kSharedQueuePollPeriod{1000};
// Beside lesson.torrent in each bundle: the same pieces as a v1-only torrent (bundle/v1_torrent.h).
constexpr const char* kV1TwinFile = bundle::kV1TwinTorrentFile;

// upload_rate_kbps holds for the bundle files over HTTP (the web seed, which schools fall back on
// and use alone with peer_to_peer off) as libtorrent's limit does for seeding: each at most that
// rate. A quarter second of it may go at once.
std::shared_ptr<RateLimit> BundlesPace(std::int64_t bytes_per_second) {
  if (bytes_per_second <= 0) return nullptr;
  return std::make_shared<RateLimit>(bytes_per_second, std::max<std::int64_t>(64 * 1024, bytes_per_second / 4));
}

}  // namespace

struct OriginService::Parts {
  OriginConfig config;
  std::string public_url;
  fs::path bundles_root;
  std::shared_ptr<spdlog::logger> log = AreaLogger("origin");

  std::unique_ptr<CatalogClient> catalog;
  std::unique_ptr<UploaderAuth> auth;
  std::unique_ptr<UploadStore> uploads;
  std::unique_ptr<JobQueue> jobs;
  std::unique_ptr<TusRoutes> tus;
  std::unique_ptr<bundle::BundleFiles> bundle_files;
  std::unique_ptr<http::StaticFiles> pages;  // the teacher's page
  std::unique_ptr<Tracker> tracker;
  std::unique_ptr<Seeder> seeder;
  std::unique_ptr<LessonEdits> edits;
  std::unique_ptr<OriginRoutes> routes;
  std::unique_ptr<TranscodeWorkers> workers;
  std::unique_ptr<CatalogRegistrar> registrar;
  std::unique_ptr<http::HttpServer> server;
  bool stopped = false;
  std::mutex published_mu;
  std::set<std::string> published;  // lessons done by workers elsewhere and seeded here

  // A bundle on disk becomes part of the swarm: tracked and seeded, as its hybrid torrent and as
  // the v1-only twin that older clients can read.
  void Publish(const fs::path& bundle_dir) {
    Status st = WriteV1Twin(bundle_dir);
    if (!st.ok()) log->warn("v1_twin_failed dir={} error=\"{}\"", bundle_dir.string(), st.message());
    for (const char* file : {"lesson.torrent", kV1TwinFile}) {
      auto hashes = bundle::ReadTorrentFile(bundle_dir / file);
      if (!hashes.ok()) {
        log->warn("torrent_unreadable dir={} file={} error=\"{}\"", bundle_dir.string(), file,
                  hashes.status().message());
        continue;
      }
      std::string v1, v2;
      if (HexDecode(hashes->info_hash_v1, &v1)) (void)tracker->AddTorrent(v1);
      if (HexDecode(hashes->info_hash_v2, &v2)) (void)tracker->AddTorrent(v2.substr(0, 20));
      if (Status seeded = seeder->Add(bundle_dir, file); !seeded.ok()) {
        log->warn("seed_failed dir={} error=\"{}\"", bundle_dir.string(), seeded.message());
      }
    }
  }

  static Status WriteV1Twin(const fs::path& bundle_dir) {
    std::error_code ec;
    if (fs::exists(bundle_dir / kV1TwinFile, ec)) return Status::Ok();
    ASSIGN_OR_RETURN(std::string hybrid, ReadFileBytes(bundle_dir / bundle::kLessonTorrentFile));
    ASSIGN_OR_RETURN(std::string twin, bundle::V1OnlyTorrent(hybrid));
    return WriteFileAtomically(bundle_dir / kV1TwinFile, twin);
  }

  Status RegisterWithCatalog(const Job& job) {
    // On a shared queue the bundle may come from a worker process: seed it here first.
    if (jobs->shared()) {
      std::unique_lock lock(published_mu);
      if (published.insert(job.lesson_id).second) {
        lock.unlock();
        const fs::path dir = bundles_root / job.lesson_id;
        if (!fs::exists(dir / bundle::kLessonTorrentFile)) {
          std::lock_guard relock(published_mu);
          published.erase(job.lesson_id);
          // Not kIo: the catalog is fine, and other lessons go on registering. A worker whose
          // data_dir is not this one's is an operator's to fix; tried again at the longest interval.
          return Status(StatusCode::kNotFound, "bundle " + job.lesson_id + " of job " + std::to_string(job.id) +
                                                   " is not in " + bundles_root.string() +
                                                   " (do the workers share this data_dir?)");
        }
        log->info("bundle_picked_up job={} lesson={} worker={} attempts={}", job.id, job.lesson_id, job.worker,
                  job.attempts);
        Publish(dir);
      }
    }
    auto upload = uploads->Get(job.upload_id);
    const std::string school = upload.ok() ? UploaderAuth::SchoolOf(upload->owner) : std::string();
    return catalog->RegisterLesson(bundles_root / job.lesson_id, school);
  }

  void MarkPublished(const std::string& lesson_id) {
    std::lock_guard lock(published_mu);
    published.insert(lesson_id);
  }

  // On a shared queue, done jobs of worker processes show up in the queue only: look for them.
  void ScheduleQueuePoll() {
    server->RunAfter(kSharedQueuePollPeriod, [this] {
      registrar->Wake();
      ScheduleQueuePoll();
    });
  }

  // Silent peers leave the tracker's memory even in swarms nobody announces to any more.
  void ScheduleTrackerSweep() {
    server->RunAfter(kTrackerSweepPeriod, [this] {
      tracker->Sweep();
      ScheduleTrackerSweep();
    });
  }

};

Result<std::unique_ptr<OriginService>> OriginService::Start(const OriginConfig& config, OriginServiceHooks hooks) {
  RETURN_IF_ERROR(ValidateOriginConfig(config));
  auto p = std::make_unique<Parts>();
  p->config = config;
  const fs::path data(config.data_dir);
  p->bundles_root = data / "bundles";
  std::error_code ec;
  fs::create_directories(p->bundles_root, ec);
  if (ec) return IoError("create " + p->bundles_root.string() + ": " + ec.message());

  p->catalog = std::make_unique<CatalogClient>(config.catalog_url, config.catalog_token, 10000, config.ca_file);
  p->auth = std::make_unique<UploaderAuth>([c = p->catalog.get()](const std::string& t) { return c->WhoIs(t); },
                                           UploaderAuth::kPositiveTtl, hooks.clock);
  ASSIGN_OR_RETURN(p->uploads, UploadStore::Open(data / "uploads", config.max_upload_bytes));
  ASSIGN_OR_RETURN(p->jobs, JobQueue::Open(config.queue.empty() ? (data / "jobs.db").string() : config.queue,
                                           QueueOptionsFor(config)));
  p->bundle_files = std::make_unique<bundle::BundleFiles>(p->bundles_root, "/bundles");
  p->tracker = std::make_unique<Tracker>();
  p->pages = std::make_unique<http::StaticFiles>(config.web_dir, std::map<std::string, std::string>{{"/", "teacher.html"}});

  SeederOptions seeding;
  seeding.listen_interfaces = ListenInterfacesFor(config.listen_address, config.torrent_port);
  seeding.resume_dir = data / "resume";
  const int upload_bytes_per_second = config.upload_rate_kbps * 1000 / 8;  // seeding and web seed alike
  seeding.upload_rate_limit_bytes = upload_bytes_per_second;
  seeding.max_connections = config.max_connections;
  seeding.super_seeding = ParseSuperSeeding(config.super_seeding).value_or(SuperSeeding::kOff);
  seeding.dht = config.dht;
  seeding.lsd = config.lsd;
  ASSIGN_OR_RETURN(p->seeder, Seeder::Start(seeding));

  Parts* parts = p.get();
  p->registrar = std::make_unique<CatalogRegistrar>(
      *p->jobs, [parts](const Job& job) { return parts->RegisterWithCatalog(job); },
      CatalogRegistrarOptions{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000), UnixNow});
  TranscodeWorkersOptions work;
  work.threads = config.workers;
  work.bundles_root = p->bundles_root;
  work.now = UnixNow;
  if (p->jobs->shared()) work.renew_every = LeaseRenewPeriod(config);
  p->workers = std::make_unique<TranscodeWorkers>(
      *p->jobs, *p->uploads, work, [parts](const Job&, const transcoder::BundleSummary& bundle) {
        parts->MarkPublished(bundle.id);
        parts->Publish(bundle.dir);
        parts->registrar->Wake();
      });
  TusOptions tus_options;
  tus_options.expire_after_seconds = std::int64_t{config.upload_expire_hours} * 3600;
  tus_options.check_metadata = [](const std::map<std::string, std::string>& metadata) {
    return LessonFromUploadMetadata(metadata).status();
  };
  p->tus = std::make_unique<TusRoutes>(
      *p->uploads, tus_options, [parts](const std::string& token) { return parts->auth->Authenticate(token); },
      [parts](const UploadInfo& info) {
        auto job = parts->jobs->Enqueue(info.id, UnixNow());
        if (!job.ok()) {
          parts->log->error("enqueue_failed upload={} error=\"{}\"", info.id, job.status().message());
          return;
        }
        parts->log->info("upload_complete upload={} bytes={} job={}", info.id, info.length, job->id);
        parts->workers->Wake();
      },
      UnixNow);

  // Every bundle already on disk joins the swarm; what a crash left half-built is removed (no
  // worker runs yet; its job was queued again by JobQueue::Open). On a shared queue, worker
  // processes may be building bundles right now: they clear what a dead worker left.
  for (const auto& entry : fs::directory_iterator(p->bundles_root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.front() == '.' && name.find(".tmp-") != std::string::npos) {
      if (p->jobs->shared()) continue;
      p->log->info("removing_unfinished_bundle dir={}", entry.path().string());
      fs::remove_all(entry.path(), ec);
    } else if (entry.is_directory() && IsLowerHex(name, 32) && fs::exists(entry.path() / "lesson.torrent")) {
      p->MarkPublished(name);
      p->Publish(entry.path());
    }
  }

  http::FailedAuthLimits failed_auth;
  failed_auth.clock = hooks.clock;
  p->edits = std::make_unique<LessonEdits>(LessonEditsParts{
      *p->auth, *p->jobs, *p->uploads, p->bundles_root, [parts](const fs::path& dir, const std::string& school) {
        parts->Publish(dir);
        return parts->catalog->RegisterLesson(dir, school);
      }});
  p->routes = std::make_unique<OriginRoutes>(
      OriginRouteParts{*p->tus, *p->jobs, *p->uploads, *p->auth, *p->bundle_files, *p->tracker, *p->seeder, *p->pages,
                       *p->edits, BundlesPace(upload_bytes_per_second)},
      config.max_upload_bytes, failed_auth);

  http::ServerOptions server_options;
  server_options.address = config.listen_address;
  server_options.port = config.port;
  server_options.worker_threads = config.http_threads;
  ApplyServingConfig(config.serving, &server_options);
  OriginRoutes* routes = p->routes.get();
  ASSIGN_OR_RETURN(
      p->server,
      http::HttpServer::Start(
          server_options, [routes](http::Request r, http::Responder respond) { respond(routes->Handle(r)); },
          [routes](const std::string& method, const std::string& target) { return routes->BodyLimit(method, target); },
          [routes](const http::Request& head) { return routes->Stream(head); }));
  // The web seed and tracker URLs in new torrents need the server's port.
  p->public_url = PublicUrl(config, p->server->port());
  transcoder::BundleOptions bundle;
  bundle.web_seeds = {p->public_url + "/bundles/"};
  bundle.trackers = {p->public_url + "/announce"};
  p->edits->SetTorrentOptions(bundle);
  p->registrar->Start();  // also retries jobs finished before a restart but never registered
  p->workers->Start(std::move(bundle));
  p->ScheduleTrackerSweep();
  if (p->jobs->shared()) p->ScheduleQueuePoll();
  if (config.public_url.empty() && (config.listen_address == "0.0.0.0" || config.listen_address == "::")) {
    p->log->warn("public_url_missing: new torrents name {} as web seed and tracker, which only this machine "
                 "can reach; set public_url to the address schools use", p->public_url);
  }
  p->log->info("started http={} https={} torrent_port={} public_url={} data={}", p->server->port(),
               p->server->tls_port(), p->seeder->listen_port(), p->public_url, config.data_dir);
  return std::unique_ptr<OriginService>(new OriginService(std::move(p)));
}

OriginService::OriginService(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

OriginService::~OriginService() { Stop(); }

std::uint16_t OriginService::http_port() const { return parts_->server->port(); }

std::uint16_t OriginService::https_port() const { return parts_->server->tls_port(); }

Status OriginService::ReloadTls() {
  Status st = parts_->server->ReloadTls();
  if (st.ok()) {
    parts_->log->info("tls_reloaded cert={}", parts_->config.serving.tls_cert_file);
  } else {
    parts_->log->error("tls_reload_failed error=\"{}\"", st.message());
  }
  return st;
}
std::uint16_t OriginService::torrent_port() const { return parts_->seeder->listen_port(); }
const std::string& OriginService::public_url() const { return parts_->public_url; }

void OriginService::Stop() {
  if (parts_->stopped) return;
  parts_->stopped = true;
  parts_->server->Stop(std::chrono::milliseconds(3000));
  parts_->workers->Stop();
  parts_->registrar->Stop();
  parts_->seeder.reset();  // saves resume data
}

}  // namespace lm::origin
