// The transcode queue survives a crash: a job running when the origin died runs again; transient
// failures come back after a growing delay, final ones stay failed; done jobs wait for the
// catalog to know their lesson.

#include "origin/job_queue.h"

#include <gtest/gtest.h>

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

TEST(JobQueueTest, TransientFailuresBackOffThenFail) {
  lm::testing::TempDir tmp;
  auto q = JobQueue::Open((tmp / "jobs.db").string(), {3, 30});
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

TEST(JobQueueTest, BadInputFailsAtOnceAndDoneJobsAwaitRegistration) {
  lm::testing::TempDir tmp;
  auto q = JobQueue::Open((tmp / "jobs.db").string());
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

}  // namespace
}  // namespace lm::origin
