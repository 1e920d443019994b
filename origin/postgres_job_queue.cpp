// The PostgreSQL job queue: one table, origin_jobs, shared by the serving origin and its workers.
// A claim is one UPDATE of the oldest due row picked with FOR UPDATE SKIP LOCKED (workers never
// wait on each other's claims), leased until lease_until; the worker renews the lease while it
// runs. A running job whose lease ran out is due again: its worker died (or lost the database).

#include <algorithm>

#include "common/postgres_pool.h"
#include "origin/detail/job_queue_stores.h"

namespace lm::origin {

namespace {

// Concurrent first starts create the table once: the script holds a transaction-scoped advisory
// lock (the key is arbitrary, fixed for this table).
constexpr char kSchema[] = R"sql(
SET client_min_messages = warning;
BEGIN;
SELECT pg_advisory_xact_lock(7215010);
CREATE TABLE IF NOT EXISTS origin_jobs (
  id BIGSERIAL PRIMARY KEY, upload_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '',
  lesson_id TEXT NOT NULL DEFAULT '', registered BOOLEAN NOT NULL DEFAULT false, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL, next_attempt_at BIGINT NOT NULL DEFAULT 0, lease_until BIGINT NOT NULL DEFAULT 0,
  worker TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS origin_jobs_due ON origin_jobs(state, next_attempt_at);
COMMIT;
)sql";

constexpr char kColumns[] =
    "id, upload_id, state, progress, attempts, error, lesson_id, registered::int, created_at, updated_at, "
    "next_attempt_at, lease_until, worker";

// Connections per process: worker threads, the lease renewer, HTTP handlers and the registrar.
constexpr int kMaxConnections = 8;

JobState StateFrom(const std::string& s) {
  if (s == "running") return JobState::kRunning;
  if (s == "done") return JobState::kDone;
  if (s == "failed") return JobState::kFailed;
  return JobState::kQueued;
}

Job JobFromRow(const pg::Rows& rows, int r) {
  Job j;
  j.id = rows.Int(r, 0);
  j.upload_id = rows.Text(r, 1);
  j.state = StateFrom(rows.Text(r, 2));
  j.progress = rows.Double(r, 3);
  j.attempts = static_cast<int>(rows.Int(r, 4));
  j.error = rows.Text(r, 5);
  j.lesson_id = rows.Text(r, 6);
  j.registered = rows.Int(r, 7) != 0;
  j.created_at = rows.Int(r, 8);
  j.updated_at = rows.Int(r, 9);
  j.next_attempt_at = rows.Int(r, 10);
  j.lease_until = rows.Int(r, 11);
  j.worker = rows.Text(r, 12);
  return j;
}

std::vector<Job> JobsFrom(const pg::Rows& rows) {
  std::vector<Job> out;
  for (int r = 0; r < rows.size(); ++r) out.push_back(JobFromRow(rows, r));
  return out;
}

class PostgresJobQueue final : public JobQueue {
 public:
  PostgresJobQueue(const std::string& uri, JobQueueOptions options)
      : pool_(uri, kMaxConnections), options_(std::move(options)) {}

  Status Init() {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return pg::ExecScript(conn.get(), kSchema);
  }

  bool shared() const override { return true; }

  Result<Job> Enqueue(const std::string& upload_id, std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    RETURN_IF_ERROR(pg::Exec(conn.get(),
                             "INSERT INTO origin_jobs (upload_id, state, created_at, updated_at) VALUES ($1, 'queued', "
                             "$2, $2) ON CONFLICT (upload_id) DO NOTHING",
                             pg::Params().Add(upload_id).Add(now))
                        .status());
    return One(conn.get(), "upload_id = $1", pg::Params().Add(upload_id), "no job for upload " + upload_id);
  }

  Result<std::optional<Job>> ClaimNext(std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    // A job whose workers keep dying with it (an input that crashes the transcoder) stops here.
    ASSIGN_OR_RETURN(pg::Rows lost,
                     pg::Exec(conn.get(),
                              "UPDATE origin_jobs SET state = 'failed', progress = 0, updated_at = $1, "
                              "error = 'its worker stopped while running it ' || attempts || ' times (lease expired)' "
                              "WHERE state = 'running' AND lease_until < $1 AND attempts >= $2",
                              pg::Params().Add(now).Add(options_.max_attempts)));
    (void)lost;
    ASSIGN_OR_RETURN(
        pg::Rows rows,
        pg::Exec(conn.get(),
                 std::string("UPDATE origin_jobs SET state = 'running', attempts = attempts + 1, progress = 0, "
                             "updated_at = $1, lease_until = $1::bigint + $2::bigint, worker = $3 WHERE id = ("
                             "SELECT id FROM origin_jobs WHERE (state = 'queued' AND next_attempt_at <= $1) "
                             "OR (state = 'running' AND lease_until < $1) ORDER BY next_attempt_at, id LIMIT 1 "
                             "FOR UPDATE SKIP LOCKED) RETURNING ") +
                     kColumns,
                 pg::Params().Add(now).Add(options_.lease_seconds).Add(options_.worker)));
    if (rows.empty()) return std::optional<Job>();
    return std::optional<Job>(JobFromRow(rows, 0));
  }

  Status Renew(const Job& claimed, std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    ASSIGN_OR_RETURN(pg::Rows rows,
                     pg::Exec(conn.get(),
                              "UPDATE origin_jobs SET lease_until = $2::bigint + $3::bigint WHERE id = $1 AND state = 'running' "
                              "AND attempts = $4 AND worker = $5",
                              pg::Params()
                                  .Add(claimed.id)
                                  .Add(now)
                                  .Add(options_.lease_seconds)
                                  .Add(claimed.attempts)
                                  .Add(claimed.worker)));
    if (rows.Changed() == 0) {
      return Status(StatusCode::kNotFound, "job " + std::to_string(claimed.id) + " attempt " +
                                               std::to_string(claimed.attempts) + " is no longer running here");
    }
    return Status::Ok();
  }

  Status SetProgress(std::int64_t id, double fraction, std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return pg::Exec(conn.get(),
                    "UPDATE origin_jobs SET progress = $2, updated_at = $3 WHERE id = $1 AND state = 'running'",
                    pg::Params().Add(id).Add(std::clamp(fraction, 0.0, 1.0)).Add(now))
        .status();
  }

  Status Finish(std::int64_t id, const std::string& lesson_id, std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return pg::Exec(conn.get(),
                    "UPDATE origin_jobs SET state = 'done', progress = 1, lesson_id = $2, error = '', updated_at = $3 "
                    "WHERE id = $1 AND state <> 'done'",
                    pg::Params().Add(id).Add(lesson_id).Add(now))
        .status();
  }

  // Only while this worker holds the job: one whose lease ran out and whose job another worker
  // took must not send that job back to the queue, or fail it, under the other's feet.
  Status Fail(std::int64_t id, const std::string& error, bool transient, std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    // As the SQLite queue: 30 s, 60 s, 120 s, ... after the 1st, 2nd, 3rd attempt; the last is final.
    return pg::Exec(conn.get(),
                    "UPDATE origin_jobs SET state = CASE WHEN $4::boolean AND attempts < $5 THEN 'queued' ELSE "
                    "'failed' END, next_attempt_at = CASE WHEN $4::boolean AND attempts < $5 THEN $3::bigint + ($6::bigint "
                    "<< LEAST(GREATEST(attempts - 1, 0), 20)) ELSE 0 END, error = $2, progress = 0, updated_at = $3 "
                    "WHERE id = $1 AND state = 'running' AND worker = $7",
                    pg::Params()
                        .Add(id)
                        .Add(error)
                        .Add(now)
                        .Add(transient ? "true" : "false")
                        .Add(options_.max_attempts)
                        .Add(options_.backoff_seconds)
                        .Add(options_.worker))
        .status();
  }

  Status MarkRegistered(std::int64_t id, std::int64_t now) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return pg::Exec(conn.get(),
                    "UPDATE origin_jobs SET registered = true, updated_at = $2 WHERE id = $1 AND state = 'done'",
                    pg::Params().Add(id).Add(now))
        .status();
  }

  Result<Job> Get(std::int64_t id) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return One(conn.get(), "id = $1", pg::Params().Add(id), "no job " + std::to_string(id));
  }

  Result<Job> GetByUpload(const std::string& upload_id) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return One(conn.get(), "upload_id = $1", pg::Params().Add(upload_id), "no job for upload " + upload_id);
  }

  Result<Job> GetByLesson(const std::string& lesson_id) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    return One(conn.get(), "lesson_id = $1 AND state = 'done' ORDER BY id LIMIT 1", pg::Params().Add(lesson_id),
               "no job made lesson " + lesson_id);
  }

  Result<std::vector<Job>> Unregistered() override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    ASSIGN_OR_RETURN(pg::Rows rows, pg::Exec(conn.get(), std::string("SELECT ") + kColumns +
                                                             " FROM origin_jobs WHERE state = 'done' AND NOT "
                                                             "registered ORDER BY id"));
    return JobsFrom(rows);
  }

  Result<std::vector<Job>> Recent(int limit) override {
    ASSIGN_OR_RETURN(auto conn, pool_.Acquire());
    ASSIGN_OR_RETURN(pg::Rows rows,
                     pg::Exec(conn.get(), std::string("SELECT ") + kColumns + " FROM origin_jobs ORDER BY id DESC LIMIT $1",
                              pg::Params().Add(limit)));
    return JobsFrom(rows);
  }

 private:
  static Result<Job> One(PGconn* conn, const std::string& where, const pg::Params& params, const std::string& missing) {
    ASSIGN_OR_RETURN(pg::Rows rows,
                     pg::Exec(conn, std::string("SELECT ") + kColumns + " FROM origin_jobs WHERE " + where, params));
    if (rows.empty()) return Status(StatusCode::kNotFound, missing);
    return JobFromRow(rows, 0);
  }

  pg::ConnectionPool pool_;
  const JobQueueOptions options_;
};

}  // namespace

namespace detail {

Result<std::unique_ptr<JobQueue>> OpenPostgresJobQueue(const std::string& uri, const JobQueueOptions& options) {
  auto queue = std::make_unique<PostgresJobQueue>(uri, options);
  RETURN_IF_ERROR(queue->Init());
  return std::unique_ptr<JobQueue>(std::move(queue));
}

}  // namespace detail
}  // namespace lm::origin
