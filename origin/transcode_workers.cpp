#include "origin/transcode_workers.h"

#include <spdlog/spdlog.h>

#include "common/logging.h"
#include "origin/upload_metadata.h"

namespace lm::origin {

namespace {
// Queued jobs whose backoff ends are found by polling at this period.
constexpr auto kPollPeriod = std::chrono::seconds(2);
// Progress is written to SQLite at most this often.
constexpr double kProgressPeriodSeconds = 1.0;

// Staging directories (.<lesson>.tmp-XXXXXX, common/atomic_file.h) of `lesson_id` under `root`:
// after a redone job is done, those are what a worker that died with the job left behind.
int RemoveStaleStaging(const std::filesystem::path& root, const std::string& lesson_id) {
  const std::string prefix = "." + lesson_id + ".tmp-";
  int removed = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
    if (entry.path().filename().string().starts_with(prefix)) {
      std::error_code rm;
      std::filesystem::remove_all(entry.path(), rm);
      if (!rm) ++removed;
    }
  }
  return removed;
}

}  // namespace

TranscodeWorkers::TranscodeWorkers(JobQueue& queue, UploadStore& uploads, TranscodeWorkersOptions options,
                                   OnBundle on_bundle)
    : queue_(queue), uploads_(uploads), options_(std::move(options)), on_bundle_(std::move(on_bundle)) {}

TranscodeWorkers::~TranscodeWorkers() { Stop(); }

void TranscodeWorkers::Start(transcoder::BundleOptions bundle) {
  bundle_ = std::move(bundle);
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
  if (options_.renew_every.count() > 0) renewer_ = std::thread([this] { RenewLeases(); });
}

void TranscodeWorkers::Wake() {
  std::lock_guard lock(mu_);
  ++wakeups_;
  wake_.notify_all();
}

void TranscodeWorkers::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    for (auto& [id, held] : held_) held.cancel->store(true);
  }
  Wake();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (renewer_.joinable()) renewer_.join();
}

void TranscodeWorkers::RenewLeases() {
  auto log = AreaLogger("jobs");
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_for(lock, options_.renew_every, [&] { return stop_.load(); });
    if (stop_) break;
    std::vector<Job> held;
    for (const auto& [id, h] : held_) held.push_back(h.job);
    lock.unlock();
    std::vector<Job> lost;
    for (const Job& job : held) {
      Status st = queue_.Renew(job, options_.now());
      if (st.code() == StatusCode::kNotFound) {
        lost.push_back(job);
      } else if (!st.ok()) {  // the database is unreachable: try again at the next period
        log->warn("lease_renew_failed job={} attempt={} error=\"{}\"", job.id, job.attempts, st.message());
      }
    }
    lock.lock();
    for (const Job& job : lost) {
      auto it = held_.find(job.id);
      if (it == held_.end() || it->second.job.attempts != job.attempts) continue;  // ended meanwhile
      log->warn("lease_lost job={} attempt={} (another worker runs it; this transcode stops)", job.id, job.attempts);
      it->second.cancel->store(true);
    }
  }
}

void TranscodeWorkers::Run() {
  auto log = AreaLogger("jobs");
  while (!stop_) {
    auto claimed = queue_.ClaimNext(options_.now());
    if (!claimed.ok()) {
      log->error("claim_failed error=\"{}\"", claimed.status().message());
    } else if (claimed->has_value()) {
      const Job& job = **claimed;
      std::atomic<bool> cancel{false};
      {
        std::lock_guard lock(mu_);
        cancel = stop_.load();  // Stop() may have run since the claim
        held_[job.id] = Held{job, &cancel};
      }
      RunJob(job, cancel);
      std::lock_guard lock(mu_);
      held_.erase(job.id);
      continue;
    }
    std::unique_lock lock(mu_);
    const int seen = wakeups_;
    wake_.wait_for(lock, kPollPeriod, [&] { return stop_ || wakeups_ != seen; });
  }
}

void TranscodeWorkers::RunJob(const Job& job, const std::atomic<bool>& cancel) {
  auto log = AreaLogger("jobs");
  auto upload = uploads_.Get(job.upload_id);
  if (!upload.ok() || !upload->complete()) {
    const std::string why = upload.ok() ? "the upload is not complete" : upload.status().message();
    (void)queue_.Fail(job.id, "upload " + job.upload_id + ": " + why, /*transient=*/false, options_.now());
    log->warn("job_failed job={} error=\"{}\"", job.id, why);
    return;
  }
  auto lesson = LessonFromUploadMetadata(upload->metadata);
  if (!lesson.ok()) {  // refused at POST /uploads; an upload from before that check
    (void)queue_.Fail(job.id, lesson.status().message(), /*transient=*/false, options_.now());
    log->warn("job_failed job={} error=\"{}\"", job.id, lesson.status().message());
    return;
  }
  transcoder::BundleOptions bundle = bundle_;
  bundle.metadata = std::move(lesson->metadata);
  bundle.chapters = std::move(lesson->chapters);

  log->info("job_started job={} upload={} attempt={} worker={}", job.id, job.upload_id, job.attempts, job.worker);
  double last_progress_at = -kProgressPeriodSeconds;
  auto progress = [&](const transcoder::Progress& p) {
    if (p.total_seconds <= 0 || p.wall_seconds - last_progress_at < kProgressPeriodSeconds) return;
    last_progress_at = p.wall_seconds;
    (void)queue_.SetProgress(job.id, std::min(0.99, p.done_seconds / p.total_seconds), options_.now());
  };
  auto result = transcoder::MakeBundleUnder(uploads_.DataPath(job.upload_id), options_.bundles_root, bundle,
                                            progress, &cancel);
  if (!result.ok()) {
    const Status& st = result.status();
    if (st.code() == StatusCode::kCancelled) {
      if (stop_) {
        log->info("job_interrupted job={} (runs again at the next start, or on another worker)", job.id);
      } else {
        log->info("job_abandoned job={} attempt={} (its lease was lost: another worker runs it)", job.id,
                  job.attempts);
      }
      return;  // still "running" in the queue: requeued at the next start, or its lease runs out
    }
    const bool transient = st.code() != StatusCode::kUnsupportedInput && st.code() != StatusCode::kInvalidArgument;
    (void)queue_.Fail(job.id, st.message(), transient, options_.now());
    log->warn("job_failed job={} transient={} error=\"{}\"", job.id, transient, st.message());
    return;
  }
  if (Status st = queue_.Finish(job.id, result->id, options_.now()); !st.ok()) {
    log->error("job_finish_failed job={} error=\"{}\"", job.id, st.message());
    return;
  }
  log->info("job_done job={} lesson={} reused={} attempt={} wall_s={:.1f}", job.id, result->id, result->reused,
            job.attempts, result->wall_seconds);
  if (job.attempts > 1 && queue_.shared()) {
    if (int removed = RemoveStaleStaging(options_.bundles_root, result->id); removed > 0) {
      log->info("stale_staging_removed job={} lesson={} dirs={}", job.id, result->id, removed);
    }
  }
  auto done = queue_.Get(job.id);
  if (done.ok() && on_bundle_) on_bundle_(*done, *result);
}

}  // namespace lm::origin
