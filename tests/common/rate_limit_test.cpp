// The shared rate: a burst goes at once, then senders wait as long as the rate needs for what
// they sent, debt carried from one sender to the next; an idle bucket refills only to its burst.

#include "common/rate_limit.h"

#include <gtest/gtest.h>

#include <chrono>

namespace lm {
namespace {

using std::chrono::milliseconds;

class RateLimitTest : public ::testing::Test {
 protected:
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::time_point() + std::chrono::hours(1);
  RateLimit::Clock clock_ = [this] { return now_; };
};

TEST_F(RateLimitTest, TheBurstGoesAtOnceThenTheRateHolds) {
  RateLimit limit(100'000, 50'000, clock_);  // 100 kB/s
  EXPECT_EQ(limit.Take(50'000).count(), 0);
  // 10 kB of debt: a tenth of a second.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limit.Take(10'000)).count(), 100);
  // Another sender, no time passed: it waits off both.
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limit.Take(10'000)).count(), 200);
  now_ += milliseconds(200);  // the debt is paid
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limit.Take(20'000)).count(), 200);
}

TEST_F(RateLimitTest, AnIdleBucketRefillsOnlyToItsBurst) {
  RateLimit limit(100'000, 50'000, clock_);
  now_ += std::chrono::seconds(60);  // a minute idle is worth no more than the burst
  EXPECT_EQ(limit.Take(50'000).count(), 0);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(limit.Take(100'000)).count(), 1000);
}

TEST_F(RateLimitTest, OverTimeTheSendersTogetherKeepToTheRate) {
  RateLimit limit(1'000'000, 64 * 1024, clock_);
  std::int64_t sent = 0;
  const auto start = now_;
  // Three senders taking turns, each sending 16 KiB and then waiting as told.
  std::chrono::steady_clock::time_point ready[3] = {start, start, start};
  while (now_ - start < std::chrono::seconds(10)) {
    int next = 0;
    for (int i = 1; i < 3; ++i) {
      if (ready[i] < ready[next]) next = i;
    }
    now_ = std::max(now_, ready[next]);
    sent += 16 * 1024;
    ready[next] = now_ + limit.Take(16 * 1024);
  }
  const double seconds = std::chrono::duration<double>(now_ - start).count();
  EXPECT_LE(static_cast<double>(sent), 1'000'000 * seconds + 64 * 1024 + 3 * 16 * 1024);
  EXPECT_GE(static_cast<double>(sent), 1'000'000 * seconds * 0.95);
}

}  // namespace
}  // namespace lm
