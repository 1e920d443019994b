#pragma once
// The catalog's HTTP API as a route table: each route declares its method, path pattern, who may
// call it and its largest body, and has one handler. Handle() authenticates the bearer token,
// checks the route's roles, runs the handler, records metrics and logs what failed. Edges' long
// polls are parked until a pack they follow changes. Knows no sockets: CatalogService (or a test)
// serves it over HTTP. Handle() is called from the server's worker threads; thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"
#include "catalog/metrics.h"
#include "common/http/http_types.h"
#include "common/signing.h"

namespace spdlog {
class logger;
}

namespace lm::catalog {

class EdgePackPolls;

struct CatalogApiOptions {
  int max_wait_seconds = 120;  // longest long poll an edge may ask for
  std::function<std::int64_t()> now = nullptr;  // unix seconds; null = the system clock
};

class CatalogApi {
 public:
  using RunAfter = std::function<void(std::chrono::milliseconds, std::function<void()>)>;

  CatalogApi(CatalogStore& store, const SigningKey& key, CatalogApiOptions options);
  ~CatalogApi();
  CatalogApi(const CatalogApi&) = delete;
  CatalogApi& operator=(const CatalogApi&) = delete;

  // Answers one request; may keep `respond` for a long poll.
  void Handle(http::Request request, http::Responder respond);

  // Long polls need a timer (the HTTP server's). Without one, polls answer at once.
  void SetRunAfter(RunAfter run_after);

  // Answers every parked long poll now (304): call before stopping the server.
  void ReleaseWaiters();

  // The largest request body the route for `method` and `target` accepts (64 KiB where none
  // matches): the server checks it before reading the body.
  static std::size_t BodyLimit(const std::string& method, const std::string& target);

 private:
  struct Caller;
  struct Call;
  struct Route;
  static const std::vector<Route>& Routes();

  // One handler per route.
  http::Reply Health(const Call& call);
  http::Reply MetricsText(const Call& call);
  http::Reply Keys(const Call& call);
  http::Reply WhoAmI(const Call& call);
  http::Reply CreateSchool(const Call& call);
  http::Reply ListSchools(const Call& call);
  http::Reply GetSchool(const Call& call);
  http::Reply CreateCommunity(const Call& call);
  http::Reply GetCommunity(const Call& call);
  http::Reply ListCommunities(const Call& call);
  http::Reply RegisterLesson(const Call& call);
  http::Reply SearchLessons(const Call& call);
  http::Reply GetLesson(const Call& call);
  http::Reply GetLessonTorrent(const Call& call);
  http::Reply PublishPack(const Call& call);
  http::Reply GetPackVersion(const Call& call);
  http::Reply ListPacks(const Call& call);
  http::Reply EdgePacks(const Call& call);
  http::Reply ReceiveReport(const Call& call);
  http::Reply ListEdges(const Call& call);
  http::Reply Coverage(const Call& call);
  http::Reply Monthly(const Call& call);

  Caller Authenticate(const http::Request& req);
  // Metrics and, for a server error, a log line: for every reply, sent now or later.
  void Record(const std::string& method, const std::string& route, const http::Reply& reply, double seconds);
  std::int64_t Now() const;

  CatalogStore& store_;
  const SigningKey& key_;
  const CatalogApiOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  Metrics metrics_;
  std::unique_ptr<EdgePackPolls> polls_;
};

}  // namespace lm::catalog
