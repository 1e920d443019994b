#pragma once
// The two JobQueue stores (origin/job_queue.h), opened by JobQueue::Open. Only origin/ includes this.

#include <memory>
#include <string>

#include "common/status.h"
#include "origin/job_queue.h"

namespace lm::origin::detail {

// A SQLite file (WAL): one process. Jobs a crash left running are queued again here.
Result<std::unique_ptr<JobQueue>> OpenSqliteJobQueue(const std::string& path, const JobQueueOptions& options);
// A PostgreSQL database shared by many processes; creates the origin_jobs table if missing.
Result<std::unique_ptr<JobQueue>> OpenPostgresJobQueue(const std::string& uri, const JobQueueOptions& options);

}  // namespace lm::origin::detail
