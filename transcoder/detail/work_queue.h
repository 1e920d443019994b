#pragma once
// A bounded blocking queue between the decode thread and one rendition branch. It holds at most
// `capacity` items, of which at most `heavy_capacity` heavy ones (decoded pictures, megabytes each,
// against the few hundred bytes of an audio packet), so that memory stays flat however long the
// lesson and does not depend on whether audio is interleaved. Push blocks when full, Pop blocks
// when empty. Close() ends the stream after what is queued; Abort() ends it now and wakes
// everyone. For one producer and one consumer, on any threads.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

namespace lm::transcoder {

template <typename T>
class WorkQueue {
 public:
  using IsHeavy = bool (*)(const T&);

  WorkQueue(std::size_t capacity, std::size_t heavy_capacity, IsHeavy is_heavy)
      : capacity_(capacity), heavy_capacity_(heavy_capacity), is_heavy_(is_heavy) {}

  // False if the queue was aborted; the item is dropped.
  bool Push(T item) {
    const bool heavy = is_heavy_(item);
    std::unique_lock lock(mu_);
    not_full_.wait(lock, [&] {
      return aborted_ || (items_.size() < capacity_ && (!heavy || heavy_ < heavy_capacity_));
    });
    if (aborted_) return false;
    items_.push_back(std::move(item));
    if (heavy) ++heavy_;
    not_empty_.notify_one();
    return true;
  }

  // Empty when closed and drained, or aborted.
  std::optional<T> Pop() {
    std::unique_lock lock(mu_);
    not_empty_.wait(lock, [&] { return aborted_ || closed_ || !items_.empty(); });
    if (aborted_ || items_.empty()) return std::nullopt;
    T item = std::move(items_.front());
    items_.pop_front();
    if (is_heavy_(item)) --heavy_;
    not_full_.notify_one();
    return item;
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    not_empty_.notify_all();
  }

  // Whether Abort() was called: an empty Pop then means "stop", not "done".
  bool aborted() const {
    std::lock_guard lock(mu_);
    return aborted_;
  }

  void Abort() {
    std::lock_guard lock(mu_);
    aborted_ = true;
    items_.clear();
    heavy_ = 0;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const std::size_t capacity_;
  const std::size_t heavy_capacity_;
  const IsHeavy is_heavy_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;
  std::size_t heavy_ = 0;  // heavy items in items_
  bool closed_ = false;
  bool aborted_ = false;
};

}  // namespace lm::transcoder
