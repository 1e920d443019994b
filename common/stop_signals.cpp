#include "common/stop_signals.h"

#include <pthread.h>

namespace lm {

StopSignals::StopSignals(bool take_hangup) {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  if (take_hangup) sigaddset(&set_, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

int StopSignals::Wait() {
  int signal_number = 0;
  while (sigwait(&set_, &signal_number) != 0) {
  }
  return signal_number;
}

}  // namespace lm
