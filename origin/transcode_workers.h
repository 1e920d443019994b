#pragma once
// The threads that turn finished uploads into bundles: each claims the next queued job, runs the
// transcoder into the content-addressed bundles/<lesson id> (the same bytes twice are one bundle),
// reports progress into the queue and hands the finished bundle on (to seeding, the tracker and
// catalog registration). Stop() cancels transcodes in flight and leaves their jobs running in the
// queue, where the next start finds and queues them again, exactly as after a crash.
// On a shared (PostgreSQL) queue a renewer thread extends the lease of every job in flight, so
// other workers leave them alone; a job whose lease was lost anyway (this process was cut off
// longer than the lease, and another worker took the job) is cancelled here. A job redone after
// its worker died also clears the staging directories that worker left in bundles_root.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "origin/job_queue.h"
#include "origin/upload_store.h"
#include "transcoder/bundle.h"

namespace lm::origin {

struct TranscodeWorkersOptions {
  int threads = 1;
  std::filesystem::path bundles_root;
  std::function<std::int64_t()> now;
  std::chrono::milliseconds renew_every{0};  // lease renewal period; 0 = none (a queue nobody shares)
};

class TranscodeWorkers {
 public:
  // Called on a worker thread with each finished job and its bundle.
  using OnBundle = std::function<void(const Job&, const transcoder::BundleSummary&)>;
  TranscodeWorkers(JobQueue& queue, UploadStore& uploads, TranscodeWorkersOptions options, OnBundle on_bundle);
  ~TranscodeWorkers();  // Stop()

  // `bundle`: web seeds, trackers, ladder for every bundle; the metadata comes from each upload.
  void Start(transcoder::BundleOptions bundle);
  // A job was queued: look now rather than at the next poll.
  void Wake();
  void Stop();

 private:
  void Run();
  // `cancel`: set by Stop() or when the job's lease is lost.
  void RunJob(const Job& job, const std::atomic<bool>& cancel);
  void RenewLeases();

  JobQueue& queue_;
  UploadStore& uploads_;
  const TranscodeWorkersOptions options_;
  transcoder::BundleOptions bundle_;  // set by Start, before the threads
  OnBundle on_bundle_;
  std::mutex mu_;
  std::condition_variable wake_;
  int wakeups_ = 0;
  struct Held {
    Job job;                     // as claimed
    std::atomic<bool>* cancel;   // the running transcode's, on its worker thread's stack
  };
  std::map<std::int64_t, Held> held_;  // jobs in flight (guarded by mu_)
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::thread renewer_;
};

}  // namespace lm::origin
