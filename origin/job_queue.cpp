#include "origin/job_queue.h"

#include "origin/detail/job_queue_stores.h"

namespace lm::origin {

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kDone: return "done";
    case JobState::kFailed: return "failed";
  }
  return "unknown";
}

bool IsPostgresQueue(const std::string& where) {
  return where.starts_with("postgresql://") || where.starts_with("postgres://");
}

Result<std::unique_ptr<JobQueue>> JobQueue::Open(const std::string& where, JobQueueOptions options) {
  if (IsPostgresQueue(where)) return detail::OpenPostgresJobQueue(where, options);
  return detail::OpenSqliteJobQueue(where, options);
}

}  // namespace lm::origin
