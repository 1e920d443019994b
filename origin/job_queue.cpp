#include "origin/job_queue.h"

#include "origin/detail/job_queue_stores.h"
#include "common/postgres_uri.h"

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

Result<std::unique_ptr<JobQueue>> JobQueue::Open(const std::string& where, JobQueueOptions options) {
  if (pg::IsPostgresUri(where)) return detail::OpenPostgresJobQueue(where, options);
  return detail::OpenSqliteJobQueue(where, options);
}

}  // namespace lm::origin
