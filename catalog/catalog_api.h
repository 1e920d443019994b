#pragma once
// The catalog's HTTP API: authenticates the bearer token, checks role and ownership, routes to the
// handler, records metrics, and parks edges' long polls until a pack they follow changes.
// Handle() is called from the server's worker threads; thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "catalog/catalog_store.h"
#include "catalog/metrics.h"
#include "common/http/http_types.h"
#include "common/signing.h"

namespace lm::catalog {

struct CatalogServiceOptions {
  int max_wait_seconds = 120;  // longest long poll an edge may ask for
  std::function<std::int64_t()> now = nullptr;  // unix seconds; null = the system clock
};

class CatalogService {
 public:
  using RunAfter = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

  CatalogService(CatalogStore& store, const SigningKey& key, CatalogServiceOptions options);

  // Answers one request; may keep `respond` for a long poll.
  void Handle(http::Request request, http::Responder respond);

  // Long polls need a timer (the HTTP server's). Without one, polls answer at once.
  void SetRunAfter(RunAfter run_after);

  // Answers every parked long poll now (304): call before stopping the server.
  void ReleaseWaiters();

  // Largest request body accepted per route.
  static std::size_t BodyLimit(const std::string& method, const std::string& target);

 private:
  struct Caller;
  struct Waiter {
    std::string school_id;
    std::string etag;
    http::Responder respond;
  };

  http::Reply Dispatch(const http::Request& req, const Caller& caller, const std::vector<std::string>& parts,
                       http::Responder* respond, std::string* route);
  http::Reply EdgePacks(const http::Request& req, const Caller& caller, const std::string& school,
                        http::Responder* respond);
  Result<std::pair<std::string, std::string>> PacksBody(const std::string& school);  // body, etag
  void WakeWaiters();
  std::int64_t Now() const;

  CatalogStore& store_;
  const SigningKey& key_;
  CatalogServiceOptions options_;
  Metrics metrics_;
  std::mutex mu_;
  RunAfter run_after_;
  std::map<std::uint64_t, Waiter> waiters_;
  std::uint64_t next_waiter_ = 1;
};

}  // namespace lm::catalog
