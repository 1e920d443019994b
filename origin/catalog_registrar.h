#pragma once
// Registers finished bundles with the catalog until the catalog has them. A catalog that is down
// or restarting delays a lesson's registration, never loses it: done jobs stay "unregistered" in
// the queue (on disk) and are tried again with backoff, also after a restart of the origin.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "origin/job_queue.h"

namespace lm::origin {

struct CatalogRegistrarOptions {
  std::chrono::milliseconds first_retry{1000};
  std::chrono::milliseconds longest_retry{60000};
  std::function<std::int64_t()> now;
};

class CatalogRegistrar {
 public:
  // Registers one done job's bundle. kIo: try again later; other errors are logged and tried
  // again at the longest interval (an operator has to fix something).
  using Register = std::function<Status(const Job&)>;
  CatalogRegistrar(JobQueue& queue, Register reg, CatalogRegistrarOptions options);
  ~CatalogRegistrar();  // Stop()

  void Start();
  void Wake();  // a job is done: try now
  void Stop();

 private:
  void Run();
  // Tries every unregistered job once; true if all are registered now.
  bool RegisterPending();

  JobQueue& queue_;
  Register register_;
  const CatalogRegistrarOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  int wakeups_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace lm::origin
