// The transcode queue survives a crash: a job running when the origin died runs again; transient
// failures come back after a growing delay, final ones stay failed; done jobs wait for the
// catalog to know their lesson. Both stores; on the shared (PostgreSQL) one, workers never claim
// the same job twice, and a job whose worker stopped renewing its lease goes to another worker.

#include "origin/job_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "tests/testing/catalog_backends.h"
#include "tests/testing/temp_dir.h"

namespace lm::origin {
namespace {

TEST(JobQueueTest, CrashedRunningJobRunsAgainAfterRestart) {
  lm::testing::TempDir tmp;
  const std::string path = (tmp / "jobs.db").string();
  std::int64_t id = 0;
  {
    auto q = JobQueue::Open(path);
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    auto job = (*q)->Enqueue("upload-a", 100);
    ASSERT_TRUE(job.ok());
    id = job->id;
    EXPECT_EQ((*q)->Enqueue("upload-a", 101)->id, id);  // the same upload is the same job
    auto claimed = (*q)->ClaimNext(102);
    ASSERT_TRUE(claimed.ok() && claimed->has_value());
    EXPECT_EQ((*claimed)->state, JobState::kRunning);
    ASSERT_TRUE((*q)->SetProgress(id, 0.4, 103).ok());
    EXPECT_DOUBLE_EQ((*q)->Get(id)->progress, 0.4);
    // The origin is killed here: the queue object goes away without finishing the job.
  }
  auto q = JobQueue::Open(path);
  ASSERT_TRUE(q.ok());
  auto job = (*q)->Get(id);
  EXPECT_EQ(job->state, JobState::kQueued);
  EXPECT_DOUBLE_EQ(job->progress, 0);
  auto again = (*q)->ClaimNext(200);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->id, id);
  EXPECT_EQ((*again)->attempts, 2);
  ASSERT_TRUE((*q)->Finish(id, "0b98c0d231a14ecc5afa07d958c31a91", 210).ok());
  job = (*q)->Get(id);
  EXPECT_EQ(job->state, JobState::kDone);
  EXPECT_EQ(job->lesson_id, "0b98c0d231a14ecc5afa07d958c31a91");
  EXPECT_FALSE(*(*q)->ClaimNext(300));  // nothing left to run
}

using lm::testing::StoreBackend;

// A fresh queue of either kind: a SQLite file in `tmp`, or a new PostgreSQL database.
std::string FreshQueue(StoreBackend backend, const lm::testing::TempDir& tmp) {
  if (backend == StoreBackend::kSqlite) return (tmp / "jobs.db").string();
  auto uri = lm::testing::FreshPostgresDatabase();
  EXPECT_TRUE(uri.ok()) << uri.status().ToString();
  return uri.ok() ? *uri : "";
}

class JobQueueBackendTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { LM_SKIP_IF_NO_BACKEND(GetParam()); }
  lm::testing::TempDir tmp;
};

INSTANTIATE_TEST_SUITE_P(Both, JobQueueBackendTest, lm::testing::kBothBackends, lm::testing::BackendName);

TEST_P(JobQueueBackendTest, TransientFailuresBackOffThenFail) {
  auto q = JobQueue::Open(FreshQueue(GetParam(), tmp), {3, 30});
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const auto id = (*q)->Enqueue("u", 0)->id;
  ASSERT_TRUE((*q)->ClaimNext(0)->has_value());
  ASSERT_TRUE((*q)->Fail(id, "disk full", /*transient=*/true, 10).ok());
  EXPECT_EQ((*q)->Get(id)->state, JobState::kQueued);
  EXPECT_EQ((*q)->Get(id)->next_attempt_at, 40);  // 30 s after the first attempt
  EXPECT_FALSE(*(*q)->ClaimNext(39));             // not due yet
  ASSERT_TRUE((*q)->ClaimNext(40)->has_value());
  ASSERT_TRUE((*q)->Fail(id, "disk full", true, 50).ok());
  EXPECT_EQ((*q)->Get(id)->next_attempt_at, 110);  // then 60 s
  ASSERT_TRUE((*q)->ClaimNext(110)->has_value());
  ASSERT_TRUE((*q)->Fail(id, "disk full", true, 120).ok());  // third attempt: that was the last
  auto job = (*q)->Get(id);
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->error, "disk full");
  EXPECT_FALSE(*(*q)->ClaimNext(100000));
}

TEST_P(JobQueueBackendTest, BadInputFailsAtOnceAndDoneJobsAwaitRegistration) {
  auto q = JobQueue::Open(FreshQueue(GetParam(), tmp));
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const auto bad = (*q)->Enqueue("text-renamed-mp4", 0)->id;
  const auto good = (*q)->Enqueue("lesson", 0)->id;
  ASSERT_EQ((**(*q)->ClaimNext(1)).id, bad);
  ASSERT_TRUE((*q)->Fail(bad, "neither media nor a known document", /*transient=*/false, 2).ok());
  EXPECT_EQ((*q)->Get(bad)->state, JobState::kFailed);
  ASSERT_EQ((**(*q)->ClaimNext(3)).id, good);
  ASSERT_TRUE((*q)->Finish(good, "abc", 4).ok());
  auto pending = (*q)->Unregistered();
  ASSERT_EQ(pending->size(), 1u);
  EXPECT_EQ(pending->front().id, good);
  ASSERT_TRUE((*q)->MarkRegistered(good, 5).ok());
  EXPECT_TRUE((*q)->Unregistered()->empty());
  EXPECT_TRUE((*q)->Get(good)->registered);
}

// Only the shared store: named .../postgresql, they run in the program's PostgreSQL entry.
class SharedJobQueueTest : public JobQueueBackendTest {};
INSTANTIATE_TEST_SUITE_P(Shared, SharedJobQueueTest, ::testing::Values(StoreBackend::kPostgresql),
                         lm::testing::BackendName);

TEST_P(SharedJobQueueTest, LeaseRunsOutAndAnotherWorkerTakesTheJob) {
  const std::string uri = FreshQueue(GetParam(), tmp);
  auto a = JobQueue::Open(uri, {4, 30, /*lease_seconds=*/10, "host-a:1"});
  auto b = JobQueue::Open(uri, {4, 30, 10, "host-b:2"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_TRUE((*a)->shared());
  const auto id = (*a)->Enqueue("upload-a", 100)->id;
  auto claimed = (*a)->ClaimNext(100);
  ASSERT_TRUE(claimed.ok() && claimed->has_value()) << claimed.status().ToString();
  EXPECT_EQ((*claimed)->worker, "host-a:1");
  EXPECT_EQ((*claimed)->lease_until, 110);
  EXPECT_FALSE(*(*b)->ClaimNext(105));  // held by a
  ASSERT_TRUE((*a)->Renew(**claimed, 108).ok());
  EXPECT_EQ((*b)->Get(id)->lease_until, 118);
  EXPECT_FALSE(*(*b)->ClaimNext(117));  // renewed: still a's
  // a is killed here: it renews no more. Once its lease ran out, b takes the job.
  auto taken = (*b)->ClaimNext(119);
  ASSERT_TRUE(taken.ok() && taken->has_value());
  EXPECT_EQ((*taken)->id, id);
  EXPECT_EQ((*taken)->attempts, 2);
  EXPECT_EQ((*taken)->worker, "host-b:2");
  EXPECT_EQ((*a)->Renew(**claimed, 120).code(), StatusCode::kNotFound);  // a's claim is gone
  ASSERT_TRUE((*b)->Renew(**taken, 120).ok());
  // a, back from its stall, fails the job it no longer holds: b's run is left alone.
  ASSERT_TRUE((*a)->Fail(id, "decode error", /*transient=*/false, 121).ok());
  EXPECT_EQ((*b)->Get(id)->state, JobState::kRunning);
  EXPECT_EQ((*b)->Get(id)->worker, "host-b:2");
  ASSERT_TRUE((*b)->Finish(id, "0b98c0d231a14ecc5afa07d958c31a91", 125).ok());
  ASSERT_TRUE((*a)->Finish(id, "0b98c0d231a14ecc5afa07d958c31a91", 126).ok());  // late: changes nothing
  auto job = (*a)->Get(id);
  EXPECT_EQ(job->state, JobState::kDone);
  EXPECT_EQ(job->updated_at, 125);
  EXPECT_EQ(job->attempts, 2);
  EXPECT_FALSE(*(*a)->ClaimNext(1000));
}

TEST_P(SharedJobQueueTest, WorkersThatKeepDyingWithAJobFailItAfterMaxAttempts) {
  const std::string uri = FreshQueue(GetParam(), tmp);
  auto q = JobQueue::Open(uri, {2, 30, 10, "w:1"});
  ASSERT_TRUE(q.ok());
  const auto id = (*q)->Enqueue("crashes-the-transcoder", 0)->id;
  ASSERT_TRUE((*q)->ClaimNext(0)->has_value());
  ASSERT_TRUE((*q)->ClaimNext(11)->has_value());  // the first worker died; the second takes it
  EXPECT_FALSE(*(*q)->ClaimNext(22));             // and dies too: that was the last attempt
  auto job = (*q)->Get(id);
  EXPECT_EQ(job->state, JobState::kFailed);
  EXPECT_EQ(job->attempts, 2);
  EXPECT_NE(job->error.find("lease expired"), std::string::npos) << job->error;
}

TEST_P(SharedJobQueueTest, ConcurrentWorkersClaimEachJobOnce) {
  const std::string uri = FreshQueue(GetParam(), tmp);
  auto producer = JobQueue::Open(uri);
  ASSERT_TRUE(producer.ok());
  constexpr int kJobs = 200;
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE((*producer)->Enqueue("u" + std::to_string(i), 0).ok());
  std::mutex mu;
  std::multiset<std::int64_t> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&, w] {
      auto q = JobQueue::Open(uri, {4, 30, 60, "w:" + std::to_string(w)});
      if (!q.ok()) return ++errors, void();
      for (;;) {
        auto job = (*q)->ClaimNext(1);
        if (!job.ok()) return ++errors, void();
        if (!job->has_value()) return;
        if (!(*q)->Finish((*job)->id, "lesson", 2).ok()) ++errors;
        std::lock_guard lock(mu);
        claimed.insert((*job)->id);
      }
    });
  }
  for (auto& t : workers) t.join();
  EXPECT_EQ(errors, 0);
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  EXPECT_EQ(std::set<std::int64_t>(claimed.begin(), claimed.end()).size(), static_cast<size_t>(kJobs));
  auto jobs = (*producer)->Recent(kJobs);
  ASSERT_TRUE(jobs.ok());
  ASSERT_EQ(jobs->size(), static_cast<size_t>(kJobs));
  for (const Job& j : *jobs) {
    EXPECT_EQ(j.state, JobState::kDone);
    EXPECT_EQ(j.attempts, 1);
  }
}

}  // namespace
}  // namespace lm::origin
