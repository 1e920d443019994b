// The SQLite job queue: one origin process owns the file.

#include <algorithm>

#include "common/sqlite_connections.h"
#include "origin/detail/job_queue_stores.h"

namespace lm::origin {

using sql::Statement;

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY, upload_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL, progress REAL NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0, error TEXT NOT NULL DEFAULT '', lesson_id TEXT NOT NULL DEFAULT '',
  registered INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs(state, next_attempt_at);
)sql";

constexpr char kColumns[] =
    "id, upload_id, state, progress, attempts, error, lesson_id, registered, created_at, updated_at, next_attempt_at";

JobState StateFrom(const std::string& s) {
  if (s == "running") return JobState::kRunning;
  if (s == "done") return JobState::kDone;
  if (s == "failed") return JobState::kFailed;
  return JobState::kQueued;
}

Job JobFromRow(const Statement& st) {
  Job j;
  j.id = st.Int(0);
  j.upload_id = st.Text(1);
  j.state = StateFrom(st.Text(2));
  j.progress = st.Double(3);
  j.attempts = static_cast<int>(st.Int(4));
  j.error = st.Text(5);
  j.lesson_id = st.Text(6);
  j.registered = st.Int(7) != 0;
  j.created_at = st.Int(8);
  j.updated_at = st.Int(9);
  j.next_attempt_at = st.Int(10);
  return j;
}

class SqliteJobQueue final : public JobQueue {
 public:
  SqliteJobQueue(const std::string& path, JobQueueOptions options) : connections_(path), options_(options) {}
  Status Init();

  bool shared() const override { return false; }
  Result<Job> Enqueue(const std::string& upload_id, std::int64_t now) override;
  Result<std::optional<Job>> ClaimNext(std::int64_t now) override;
  // One process: nobody else can take a running job, so there is no lease to renew.
  Status Renew(const Job&, std::int64_t) override { return Status::Ok(); }
  Status SetProgress(std::int64_t id, double fraction, std::int64_t now) override;
  Status Finish(std::int64_t id, const std::string& lesson_id, std::int64_t now) override;
  Status Fail(std::int64_t id, const std::string& error, bool transient, std::int64_t now) override;
  Status MarkRegistered(std::int64_t id, std::int64_t now) override;
  Result<Job> Get(std::int64_t id) override { return GetOne(id); }
  Result<Job> GetByUpload(const std::string& upload_id) override { return GetOneByUpload(upload_id); }
  Result<Job> GetByLesson(const std::string& lesson_id) override;
  Result<std::vector<Job>> Unregistered() override;
  Result<std::vector<Job>> Recent(int limit) override;

 private:
  Result<Job> GetOne(std::int64_t id);
  Result<Job> GetOneByUpload(const std::string& upload_id);

  sql::ThreadConnections connections_;
  const JobQueueOptions options_;
};

Status SqliteJobQueue::Init() {
  SqliteJobQueue* queue = this;
  ASSIGN_OR_RETURN(sqlite3 * db, queue->connections_.Db());
  RETURN_IF_ERROR(sql::Exec(db, kSchema));
  // A job that was running when the origin died runs again from the start.
  return sql::Exec(db, "UPDATE jobs SET state = 'queued', progress = 0 WHERE state = 'running'");
}

Result<Job> SqliteJobQueue::GetOne(std::int64_t id) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kColumns + " FROM jobs WHERE id = ?1"));
  st->Bind(1, id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status(StatusCode::kNotFound, "no job " + std::to_string(id));
  return JobFromRow(*st);
}

Result<Job> SqliteJobQueue::Enqueue(const std::string& upload_id, std::int64_t now) {
  ASSIGN_OR_RETURN(auto ins, connections_.Prepared("INSERT INTO jobs (upload_id, state, created_at, updated_at) VALUES (?1, 'queued', ?2, ?2) "
      "ON CONFLICT(upload_id) DO NOTHING"));
  RETURN_IF_ERROR(ins->Bind(1, upload_id).Bind(2, now).Run());
  return GetOneByUpload(upload_id);
}

Result<Job> SqliteJobQueue::GetByLesson(const std::string& lesson_id) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kColumns +
                                                  " FROM jobs WHERE lesson_id = ?1 AND state = 'done' ORDER BY id LIMIT 1"));
  st->Bind(1, lesson_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status(StatusCode::kNotFound, "no job made lesson " + lesson_id);
  return JobFromRow(*st);
}

Result<Job> SqliteJobQueue::GetOneByUpload(const std::string& upload_id) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kColumns +
                                                                  " FROM jobs WHERE upload_id = ?1"));
  st->Bind(1, upload_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return Status(StatusCode::kNotFound, "no job for upload " + upload_id);
  return JobFromRow(*st);
}

Result<std::optional<Job>> SqliteJobQueue::ClaimNext(std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  ASSIGN_OR_RETURN(auto pick, connections_.Prepared("SELECT id FROM jobs WHERE state = 'queued' AND next_attempt_at <= ?1 ORDER BY next_attempt_at, id LIMIT 1"));
  pick->Bind(1, now);
  ASSIGN_OR_RETURN(bool row, pick->Step());
  if (!row) return std::optional<Job>();
  const std::int64_t id = pick->Int(0);
  pick->Reset();
  ASSIGN_OR_RETURN(auto upd, connections_.Prepared("UPDATE jobs SET state = 'running', attempts = attempts + 1, progress = 0, updated_at = ?2 WHERE id = ?1"));
  RETURN_IF_ERROR(upd->Bind(1, id).Bind(2, now).Run());
  RETURN_IF_ERROR(tx.Commit());
  ASSIGN_OR_RETURN(Job job, GetOne(id));
  return std::optional<Job>(std::move(job));
}

Status SqliteJobQueue::SetProgress(std::int64_t id, double fraction, std::int64_t now) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("UPDATE jobs SET progress = ?2, updated_at = ?3 WHERE id = ?1 AND state = 'running'"));
  return st->Bind(1, id).Bind(2, std::clamp(fraction, 0.0, 1.0)).Bind(3, now).Run();
}

Status SqliteJobQueue::Finish(std::int64_t id, const std::string& lesson_id, std::int64_t now) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("UPDATE jobs SET state = 'done', progress = 1, lesson_id = ?2, error = '', updated_at = ?3 WHERE id = ?1 AND state <> 'done'"));
  return st->Bind(1, id).Bind(2, lesson_id).Bind(3, now).Run();
}

Status SqliteJobQueue::Fail(std::int64_t id, const std::string& error, bool transient, std::int64_t now) {
  ASSIGN_OR_RETURN(sqlite3 * db, connections_.Db());
  ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
  ASSIGN_OR_RETURN(Job job, GetOne(id));
  const bool retry = transient && job.attempts < options_.max_attempts;
  // 30 s, 60 s, 120 s, ... after the 1st, 2nd, 3rd attempt.
  const std::int64_t backoff = options_.backoff_seconds << std::clamp(job.attempts - 1, 0, 20);
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("UPDATE jobs SET state = ?2, error = ?3, progress = 0, updated_at = ?4, next_attempt_at = ?5 WHERE id = ?1"));
  RETURN_IF_ERROR(st->Bind(1, id).Bind(2, std::string_view(retry ? "queued" : "failed")).Bind(3, error).Bind(4, now)
      .Bind(5, retry ? now + backoff : std::int64_t{0}).Run());
  return tx.Commit();
}

Status SqliteJobQueue::MarkRegistered(std::int64_t id, std::int64_t now) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared("UPDATE jobs SET registered = 1, updated_at = ?2 WHERE id = ?1 AND state = 'done'"));
  return st->Bind(1, id).Bind(2, now).Run();
}

Result<std::vector<Job>> SqliteJobQueue::Unregistered() {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kColumns +
                                                                  " FROM jobs WHERE state = 'done' AND registered = 0 "
                                                                  "ORDER BY id"));
  std::vector<Job> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(JobFromRow(*st));
  }
  return out;
}

Result<std::vector<Job>> SqliteJobQueue::Recent(int limit) {
  ASSIGN_OR_RETURN(auto st, connections_.Prepared(std::string("SELECT ") + kColumns +
                                                  " FROM jobs ORDER BY id DESC LIMIT ?1"));
  st->Bind(1, std::int64_t{limit});
  std::vector<Job> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(JobFromRow(*st));
  }
  return out;
}

}  // namespace

namespace detail {

Result<std::unique_ptr<JobQueue>> OpenSqliteJobQueue(const std::string& path, const JobQueueOptions& options) {
  auto queue = std::make_unique<SqliteJobQueue>(path, options);
  RETURN_IF_ERROR(queue->Init());
  return std::unique_ptr<JobQueue>(std::move(queue));
}

}  // namespace detail
}  // namespace lm::origin
