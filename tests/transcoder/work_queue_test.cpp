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

// Whether a push that the queue holds back has returned, within a short look (a push that is let
// through returns at once).
constexpr double kHeldBackLookSeconds = 0.2;

TEST(WorkQueueTest, HoldsBackTheNextPictureButLetsAudioThroughAndKeepsTheOrder) {
  WorkQueue<Item> queue(/*capacity=*/8, /*heavy_capacity=*/2, &IsPicture);
  ASSERT_TRUE(queue.Push({true, 1}));
  ASSERT_TRUE(queue.Push({true, 2}));
  for (int n = 3; n <= 5; ++n) ASSERT_TRUE(queue.Push({false, n}));  // audio between the pictures

  std::atomic<bool> pushed{false};
  std::jthread producer([&] {
    EXPECT_TRUE(queue.Push({true, 6}));
    pushed = true;
  });
  EXPECT_FALSE(lm::testing::WaitFor([&] { return pushed.load(); }, kHeldBackLookSeconds))
      << "a third picture went into a queue bounded at two";
  auto first = queue.Pop();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->n, 1);
  EXPECT_TRUE(lm::testing::WaitFor([&] { return pushed.load(); }, 5)) << "the producer was not let go";
  producer.join();

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
  std::atomic<bool> pushed{false};
  std::jthread producer([&] {
    EXPECT_TRUE(queue.Push({false, 4}));
    pushed = true;
  });
  EXPECT_FALSE(lm::testing::WaitFor([&] { return pushed.load(); }, kHeldBackLookSeconds))
      << "a fourth item went into a queue bounded at three";
  ASSERT_TRUE(queue.Pop().has_value());
  EXPECT_TRUE(lm::testing::WaitFor([&] { return pushed.load(); }, 5)) << "the producer was not let go";
}

TEST(WorkQueueTest, AbortReleasesAHeldBackProducerAndRefusesItsItem) {
  WorkQueue<Item> queue(/*capacity=*/8, /*heavy_capacity=*/1, &IsPicture);
  ASSERT_TRUE(queue.Push({true, 1}));
  std::atomic<int> result{-1};
  std::jthread producer([&] { result = queue.Push({true, 2}) ? 1 : 0; });
  EXPECT_FALSE(lm::testing::WaitFor([&] { return result.load() != -1; }, kHeldBackLookSeconds));
  queue.Abort();
  EXPECT_TRUE(lm::testing::WaitFor([&] { return result.load() != -1; }, 5)) << "abort did not wake the producer";
  EXPECT_EQ(result.load(), 0) << "an aborted queue took the item";
  EXPECT_FALSE(queue.Pop().has_value());
}

}  // namespace
}  // namespace lm::transcoder
