#pragma once
// Waiting in tests on a condition with a deadline, never on a fixed sleep. Every deadline a test
// states is the one for a normal build on a quiet machine; `Scaled` stretches it for the
// sanitizer build (ASan + UBSan run our code several times slower), and WaitFor, ChildProcess and
// HttpClient apply it themselves. Any thread may call these.

#include <chrono>
#include <functional>
#include <thread>

namespace lm::testing {

#ifdef LM_SANITIZE
inline constexpr double kDeadlineScale = 4.0;  // built with -DLM_SANITIZE=ON
#else
inline constexpr double kDeadlineScale = 1.0;
#endif

// `seconds` as a deadline for this build.
inline double Scaled(double seconds) { return seconds * kDeadlineScale; }

inline std::chrono::steady_clock::duration ScaledDuration(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(Scaled(seconds)));
}

// Polls `done` every `poll_ms` until it holds (true) or Scaled(`seconds`) pass (then one last look).
inline bool WaitFor(const std::function<bool()>& done, double seconds, int poll_ms = 50) {
  const auto deadline = std::chrono::steady_clock::now() + ScaledDuration(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
  return done();
}

}  // namespace lm::testing
