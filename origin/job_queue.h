#pragma once
// The origin's transcode jobs, kept where they survive a crash: a finished upload becomes a queued
// job; a worker claims it (running, under a lease it renews while it works), reports progress,
// and finishes it (done, with the lesson id) or fails it (transient failures go back to the queue
// with exponential backoff, up to max_attempts). Done jobs wait in the queue until their bundle is
// registered with the catalog.
//
// Two stores behind one interface:
//   SQLite (a file, the default): one origin process; jobs left running by a crash are queued again
//   on Open.
//   PostgreSQL (a postgresql:// URI): shared by the serving origin and any number of
//   `lessonmesh-origin --role worker` processes. Claims use FOR UPDATE SKIP LOCKED; a running job
//   whose lease ran out (its worker died) is claimed again by another worker.
// Thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
  std::int64_t lease_until = 0;  // PostgreSQL: while running, the claim holds until then
  std::string worker;            // PostgreSQL: who claimed it last (host:pid)
};

struct JobQueueOptions {
  int max_attempts = 4;               // then a transient failure (or a lost lease) is final
  std::int64_t backoff_seconds = 30;  // doubled at each attempt
  std::int64_t lease_seconds = 60;    // PostgreSQL: a claim lasts this long unless renewed
  std::string worker;                 // PostgreSQL: this process's name in the queue (host:pid)
};

class JobQueue {
 public:
  // `where`: a SQLite file path, or a postgresql:// URI (the database exists; the queue creates
  // its table).
  static Result<std::unique_ptr<JobQueue>> Open(const std::string& where, JobQueueOptions options = {});
  virtual ~JobQueue() = default;

  // Whether other processes share this queue (PostgreSQL).
  virtual bool shared() const = 0;

  // Queues the upload's job; the same upload queued twice is the same job.
  virtual Result<Job> Enqueue(const std::string& upload_id, std::int64_t now) = 0;
  // The oldest queued job due by `now` (or a running one whose lease ran out), now running and
  // leased to this process; nullopt if none.
  virtual Result<std::optional<Job>> ClaimNext(std::int64_t now) = 0;
  // Extends the lease on `claimed` (as ClaimNext returned it). kNotFound if this claim is no
  // longer the job's (its lease ran out and another worker took it, or it ended).
  virtual Status Renew(const Job& claimed, std::int64_t now) = 0;
  virtual Status SetProgress(std::int64_t id, double fraction, std::int64_t now) = 0;
  // A job already done stays as it is (a worker whose lease ran out finishing the same bundle).
  virtual Status Finish(std::int64_t id, const std::string& lesson_id, std::int64_t now) = 0;
  virtual Status Fail(std::int64_t id, const std::string& error, bool transient, std::int64_t now) = 0;
  virtual Status MarkRegistered(std::int64_t id, std::int64_t now) = 0;
  virtual Result<Job> Get(std::int64_t id) = 0;
  // The job of an upload; kNotFound if the upload has not finished.
  virtual Result<Job> GetByUpload(const std::string& upload_id) = 0;
  // The first done job that made `lesson_id`; kNotFound if none did.
  virtual Result<Job> GetByLesson(const std::string& lesson_id) = 0;
  // Done jobs whose lesson the catalog does not know yet.
  virtual Result<std::vector<Job>> Unregistered() = 0;
  // The newest `limit` jobs, newest first.
  virtual Result<std::vector<Job>> Recent(int limit) = 0;
};

}  // namespace lm::origin
