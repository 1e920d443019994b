#pragma once
// The origin's transcode jobs, kept in SQLite so they survive a crash: a finished upload becomes a
// queued job; a worker claims it (running), reports progress, and finishes it (done, with the
// lesson id) or fails it (transient failures go back to the queue with exponential backoff).
// Jobs left running by a crash are queued again on Open. Done jobs wait in the queue until their
// bundle is registered with the catalog. Thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/sqlite_connections.h"
#include "common/status.h"

namespace lm::origin {

enum class JobState { kQueued, kRunning, kDone, kFailed };
const char* JobStateName(JobState s);

struct Job {
  std::int64_t id = 0;
  std::string upload_id;
  JobState state = JobState::kQueued;
  double progress = 0;  // 0..1 while running
  int attempts = 0;
  std::string error;      // the last failure
  std::string lesson_id;  // when done
  bool registered = false;  // the catalog knows the lesson
  std::int64_t created_at = 0, updated_at = 0, next_attempt_at = 0;
};

struct JobQueueOptions {
  int max_attempts = 4;               // then a transient failure is final
  std::int64_t backoff_seconds = 30;  // doubled at each attempt
};

class JobQueue {
 public:
  static Result<std::unique_ptr<JobQueue>> Open(const std::string& path, JobQueueOptions options = {});

  // Queues the upload's job; the same upload queued twice is the same job.
  Result<Job> Enqueue(const std::string& upload_id, std::int64_t now);
  // The oldest queued job due by `now`, now running; nullopt if none.
  Result<std::optional<Job>> ClaimNext(std::int64_t now);
  Status SetProgress(std::int64_t id, double fraction, std::int64_t now);
  Status Finish(std::int64_t id, const std::string& lesson_id, std::int64_t now);
  Status Fail(std::int64_t id, const std::string& error, bool transient, std::int64_t now);
  Status MarkRegistered(std::int64_t id, std::int64_t now);
  Result<Job> Get(std::int64_t id);
  // The job of an upload; kNotFound if the upload has not finished.
  Result<Job> GetByUpload(const std::string& upload_id);
  // The first done job that made `lesson_id`; kNotFound if none did.
  Result<Job> GetByLesson(const std::string& lesson_id);
  // Done jobs whose lesson the catalog does not know yet.
  Result<std::vector<Job>> Unregistered();
  // The newest `limit` jobs, newest first.
  Result<std::vector<Job>> Recent(int limit);

 private:
  JobQueue(const std::string& path, JobQueueOptions options) : connections_(path), options_(options) {}
  Result<Job> GetOne(std::int64_t id);
  Result<Job> GetOneByUpload(const std::string& upload_id);

  sql::ThreadConnections connections_;
  const JobQueueOptions options_;
};

}  // namespace lm::origin
