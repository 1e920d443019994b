#include "origin/catalog_registrar.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/logging.h"

namespace lm::origin {

CatalogRegistrar::CatalogRegistrar(JobQueue& queue, Register reg, CatalogRegistrarOptions options)
    : queue_(queue), register_(std::move(reg)), options_(std::move(options)) {}

CatalogRegistrar::~CatalogRegistrar() { Stop(); }

void CatalogRegistrar::Start() { thread_ = std::thread([this] { Run(); }); }

void CatalogRegistrar::Wake() {
  std::lock_guard lock(mu_);
  ++wakeups_;
  wake_.notify_all();
}

void CatalogRegistrar::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    wake_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

bool CatalogRegistrar::RegisterPending() {
  auto log = AreaLogger("registrar");
  auto pending = queue_.Unregistered();
  if (!pending.ok()) {
    log->error("queue_read_failed error=\"{}\"", pending.status().message());
    return false;
  }
  bool all = true;
  for (const Job& job : *pending) {
    Status st = register_(job);
    if (st.ok()) st = queue_.MarkRegistered(job.id, options_.now());
    if (st.ok()) {
      log->info("registered job={} lesson={}", job.id, job.lesson_id);
      continue;
    }
    all = false;
    log->warn("registration_deferred job={} lesson={} error=\"{}\"", job.id, job.lesson_id, st.message());
    if (st.code() == StatusCode::kIo) break;  // the catalog is unreachable: the others would fail too
  }
  return all;
}

void CatalogRegistrar::Run() {
  std::chrono::milliseconds delay = options_.first_retry;
  std::unique_lock lock(mu_);
  while (!stop_) {
    const int seen = wakeups_;
    lock.unlock();
    const bool all = RegisterPending();
    lock.lock();
    if (stop_) break;
    if (wakeups_ != seen) {  // new work arrived meanwhile
      delay = options_.first_retry;
      continue;
    }
    // Nothing pending: sleep until woken (and check now and then); something failed: back off.
    const auto wait = all ? options_.longest_retry : delay;
    delay = all ? options_.first_retry : std::min(delay * 2, options_.longest_retry);
    if (wake_.wait_for(lock, wait, [&] { return stop_ || wakeups_ != seen; }) && !stop_) {
      delay = options_.first_retry;
    }
  }
}

}  // namespace lm::origin
