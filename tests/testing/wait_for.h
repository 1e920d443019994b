#pragma once
// Waiting in tests on a condition with a deadline, never on a fixed sleep.

#include <chrono>
#include <functional>
#include <thread>

namespace lm::testing {

// Polls `done` every 50 ms until it holds (true) or `seconds` pass (then one last look).
inline bool WaitFor(const std::function<bool()>& done, double seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

}  // namespace lm::testing
