#pragma once
// SIGINT and SIGTERM for a daemon's main(), and optionally SIGHUP (reload): blocked in every
// thread, taken by one sigwait. Create it first thing in main(), before any thread starts, so that
// every thread inherits the mask and none is interrupted; then Wait() once the service runs. Used
// by one thread (main).

#include <signal.h>

namespace lm {

class StopSignals {
 public:
  // Blocks SIGINT and SIGTERM, and SIGHUP with `take_hangup`, in the calling thread (and so in
  // every thread it starts later).
  explicit StopSignals(bool take_hangup = false);
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Waits until one of them arrives; returns its number (SIGHUP: reload, then wait again).
  int Wait();

 private:
  sigset_t set_;
};

}  // namespace lm
