#pragma once
// Edges' GET /v1/edges/{school}/packs: the school's signed pack list with its ETag, a 304 when the
// edge's If-None-Match still holds, or, with ?wait=N, the request parked until a publish changes
// that list or the wait runs out (then 304). Owned by CatalogApi; thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "catalog/catalog_store.h"
#include "common/http/http_types.h"

namespace lm::catalog {

class EdgePackPolls {
 public:
  using RunAfter = std::function<void(std::chrono::milliseconds, std::function<void()>)>;
  // Told of every reply sent after Poll returned (a woken or timed-out poll), on the thread that sends it.
  using OnLateReply = std::function<void(const http::Reply&)>;

  EdgePackPolls(CatalogStore& store, int max_wait_seconds, OnLateReply on_late_reply);

  // Polls need a timer (the HTTP server's). Without one, they answer at once.
  void SetRunAfter(RunAfter run_after);

  // Answers `req` for `school`, or parks it: then `*respond` is taken (left empty) and called later.
  http::Reply Poll(const http::Request& req, const std::string& school, http::Responder* respond);

  // Packs may have changed: answers every parked poll whose list did. Any thread; calls may overlap.
  void Wake();

  // Answers every parked poll now (304) and parks no more: call before stopping the server.
  void ReleaseAll();

  // How many polls are parked now.
  std::size_t Waiting();

 private:
  struct Waiter {
    std::string school_id;
    std::string etag;
    http::Responder respond;
  };
  // The school's list as the JSON body, and its ETag.
  Result<std::pair<std::string, std::string>> PacksBody(const std::string& school);

  CatalogStore& store_;
  const int max_wait_seconds_;
  const OnLateReply on_late_reply_;
  std::mutex mu_;
  RunAfter run_after_;
  std::map<std::uint64_t, Waiter> waiters_;
  std::uint64_t next_waiter_ = 1;
  std::uint64_t wakes_ = 0;  // Wake()s begun: a poll that saw one begin while reading rereads
};

}  // namespace lm::catalog
