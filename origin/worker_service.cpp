#include "origin/worker_service.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "common/logging.h"
#include "common/unix_time.h"
#include "origin/job_queue.h"
#include "origin/transcode_workers.h"
#include "origin/upload_store.h"

namespace lm::origin {

namespace fs = std::filesystem;

std::string QueueWorkerName() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host) + ":" + std::to_string(::getpid());
}

JobQueueOptions QueueOptionsFor(const OriginConfig& config) {
  JobQueueOptions options;
  options.lease_seconds = config.lease_seconds;
  options.worker = QueueWorkerName();
  return options;
}

std::chrono::milliseconds LeaseRenewPeriod(const OriginConfig& config) {
  // Three renewals per lease: one late or failed renewal does not lose the job.
  return std::chrono::milliseconds(std::int64_t{config.lease_seconds} * 1000 / 3);
}

struct WorkerService::Parts {
  std::string name;
  std::unique_ptr<UploadStore> uploads;
  std::unique_ptr<JobQueue> jobs;
  std::unique_ptr<TranscodeWorkers> workers;
  bool stopped = false;
};

Result<std::unique_ptr<WorkerService>> WorkerService::Start(const OriginConfig& config) {
  RETURN_IF_ERROR(ValidateOriginConfig(config));
  if (!IsWorkerRole(config)) return InvalidArgument("WorkerService runs role worker", "role");
  auto p = std::make_unique<Parts>();
  const fs::path data(config.data_dir);
  const fs::path bundles_root = data / "bundles";
  std::error_code ec;
  fs::create_directories(bundles_root, ec);
  if (ec) return IoError("create " + bundles_root.string() + ": " + ec.message());
  ASSIGN_OR_RETURN(p->uploads, UploadStore::Open(data / "uploads", config.max_upload_bytes));
  const JobQueueOptions queue_options = QueueOptionsFor(config);
  p->name = queue_options.worker;
  ASSIGN_OR_RETURN(p->jobs, JobQueue::Open(config.queue, queue_options));

  TranscodeWorkersOptions work;
  work.threads = config.workers;
  work.bundles_root = bundles_root;
  work.now = UnixNow;
  work.renew_every = LeaseRenewPeriod(config);
  p->workers = std::make_unique<TranscodeWorkers>(*p->jobs, *p->uploads, work, nullptr);
  // The serving origin's web seed and tracker, exactly as it writes them into its own torrents.
  const std::string url = PublicUrl(config, config.port);
  transcoder::BundleOptions bundle;
  bundle.web_seeds = {url + "/bundles/"};
  bundle.trackers = {url + "/announce"};
  p->workers->Start(std::move(bundle));
  AreaLogger("origin")->info("worker_started name={} threads={} lease_s={} data={}", p->name, config.workers,
                             config.lease_seconds, config.data_dir);
  return std::unique_ptr<WorkerService>(new WorkerService(std::move(p)));
}

WorkerService::WorkerService(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

WorkerService::~WorkerService() { Stop(); }

const std::string& WorkerService::name() const { return parts_->name; }

void WorkerService::Stop() {
  if (parts_->stopped) return;
  parts_->stopped = true;
  parts_->workers->Stop();
}

}  // namespace lm::origin
