#pragma once
// lessonmesh-origin --role worker: only the transcode side of an origin. It claims jobs from the
// shared (PostgreSQL) queue, reads each upload from the shared data_dir and writes the bundle into
// its bundles/ (staging name, fsync, rename), renewing each job's lease while it runs. The serving
// origin picks the done jobs up from the queue and seeds and registers them. No HTTP, no catalog,
// no libtorrent session. Owned by main(); Start and Stop on one thread.

#include <chrono>
#include <memory>
#include <string>

#include "common/status.h"
#include "origin/job_queue.h"
#include "origin/origin_config.h"

namespace lm::origin {

class WorkerService {
 public:
  static Result<std::unique_ptr<WorkerService>> Start(const OriginConfig& config);
  ~WorkerService();  // Stop()
  WorkerService(const WorkerService&) = delete;
  WorkerService& operator=(const WorkerService&) = delete;

  // This process's name in the queue (host:pid), as `worker` of the jobs it runs.
  const std::string& name() const;
  // Cancels transcodes in flight; their leases run out and other workers take them.
  void Stop();

  struct Parts;

 private:
  explicit WorkerService(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// host:pid, the name a process's claims carry in a shared queue.
std::string QueueWorkerName();

// The queue's options for `config`: its lease, and this process's name.
JobQueueOptions QueueOptionsFor(const OriginConfig& config);
// How often a process renews the leases of the jobs it runs: three times per lease.
std::chrono::milliseconds LeaseRenewPeriod(const OriginConfig& config);

}  // namespace lm::origin
