// The queue between the decode thread and a rendition branch: it bounds the pictures in flight
// apart from the audio packets between them, keeps their order, and lets a producer that it holds
// back go on as soon as there is room, or stop when the branch is aborted.

#include "transcoder/detail/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/testing/wait_for.h"

namespace lm::transcoder {
namespace {

struct Item {
  bool picture = false;
  int n = 0;
};

bool IsPicture(const Item& item) { return item.picture; }

// A push from another thread, to see whether the queue holds it back.
class PushFromAnotherThread {
 public:
  PushFromAnotherThread(WorkQueue<Item>& queue, Item item)
      : queue_(queue), thread_([this, &queue, item] {
          accepted_ = queue.Push(item);
          returned_ = true;
        }) {}

  // A push that is let through returns at once; one held back, not within a short look.
  bool ReturnsWithin(double seconds) const {
    return lm::testing::WaitFor([this] { return returned_.load(); }, seconds);
  }
  bool accepted() const { return accepted_.load(); }

  // A push still held back (the test has failed) is let go, so that the test ends instead of
  // waiting for it.
  ~PushFromAnotherThread() {
    if (!returned_.load()) queue_.Abort();
  }

 private:
  WorkQueue<Item>& queue_;
  std::atomic<bool> accepted_{false};
  std::atomic<bool> returned_{false};
  std::jthread thread_;  // last: started after the flags exist, joined before they go
};

constexpr double kShortLookSeconds = 0.2;
constexpr double kDeadlineSeconds = 5;

TEST(WorkQueueTest, HoldsBackTheNextPictureButLetsAudioThroughAndKeepsTheOrder) {
  WorkQueue<Item> queue(/*capacity=*/8, /*heavy_capacity=*/2, &IsPicture);
  ASSERT_TRUE(queue.Push({true, 1}));
  ASSERT_TRUE(queue.Push({true, 2}));
  for (int n = 3; n <= 5; ++n) ASSERT_TRUE(queue.Push({false, n}));  // audio between the pictures

  {
    PushFromAnotherThread third(queue, {true, 6});
    EXPECT_FALSE(third.ReturnsWithin(kShortLookSeconds)) << "a third picture went into a queue bounded at two";
    auto first = queue.Pop();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->n, 1);
    EXPECT_TRUE(third.ReturnsWithin(kDeadlineSeconds)) << "the producer was not let go";
    EXPECT_TRUE(third.accepted());
  }

  queue.Close();
  for (int n = 2; n <= 6; ++n) {
    auto item = queue.Pop();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->n, n);
  }
  EXPECT_FALSE(queue.Pop().has_value()) << "a closed, drained queue gave another item";
}

TEST(WorkQueueTest, BoundsAllItemsToo) {
  WorkQueue<Item> queue(/*capacity=*/3, /*heavy_capacity=*/2, &IsPicture);
  for (int n = 1; n <= 3; ++n) ASSERT_TRUE(queue.Push({false, n}));
  PushFromAnotherThread fourth(queue, {false, 4});
  EXPECT_FALSE(fourth.ReturnsWithin(kShortLookSeconds)) << "a fourth item went into a queue bounded at three";
  ASSERT_TRUE(queue.Pop().has_value());
  EXPECT_TRUE(fourth.ReturnsWithin(kDeadlineSeconds)) << "the producer was not let go";
  EXPECT_TRUE(fourth.accepted());
}

TEST(WorkQueueTest, AbortReleasesAHeldBackProducerAndRefusesItsItem) {
  WorkQueue<Item> queue(/*capacity=*/8, /*heavy_capacity=*/1, &IsPicture);
  ASSERT_TRUE(queue.Push({true, 1}));
  PushFromAnotherThread second(queue, {true, 2});
  EXPECT_FALSE(second.ReturnsWithin(kShortLookSeconds));
  queue.Abort();
  EXPECT_TRUE(second.ReturnsWithin(kDeadlineSeconds)) << "abort did not wake the producer";
  EXPECT_FALSE(second.accepted()) << "an aborted queue took the item";
  EXPECT_FALSE(queue.Pop().has_value());
}

}  // namespace
}  // namespace lm::transcoder
