#pragma once
// SIGINT and SIGTERM for a daemon's main(): blocked in every thread, taken by one sigwait. Create
// it first thing in main(), before any thread starts, so that every thread inherits the mask and
// none is interrupted; then Wait() once the service runs. Used by one thread (main).

#include <signal.h>

namespace lm {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts later).
  StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Waits until one of them arrives; returns its number.
  int Wait();

 private:
  sigset_t set_;
};

}  // namespace lm
