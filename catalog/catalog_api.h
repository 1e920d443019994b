#pragma once
// The catalog's HTTP API as a route table: each route declares its method, path pattern, who may
// call it (roles, and whose school it concerns), its largest body, and has one handler. Handle()
// refuses addresses that failed authentication too often (429), authenticates the bearer token
// (unknown, revoked and expired tokens are 401), checks the route's roles and owner, runs the
// handler, records metrics and logs what failed. Edges' long polls are parked until a pack they
// follow changes. The admin's page and the dashboard are routes too. Knows no sockets:
// CatalogService (or a test) serves it over HTTP. Handle() is called from the server's worker
// threads; thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"
#include "catalog/metrics.h"
#include "common/config_keys.h"
#include "common/http/failed_auth_limiter.h"
#include "common/http/http_types.h"
#include "common/http/route_table.h"
#include "common/http/static_files.h"
#include "common/lesson_link.h"
#include "common/signing.h"

namespace spdlog {
class logger;
}

namespace lm::catalog {

class EdgePackPolls;

struct CatalogApiOptions {
  int max_wait_seconds = 120;  // longest long poll an edge may ask for
  std::function<std::int64_t()> now = nullptr;  // unix seconds; null = the system clock
  std::string web_dir = DefaultWebDir();        // the built pages: /admin and /dashboard
  http::FailedAuthLimits failed_auth{};         // per client address
  std::string lan_name = kDefaultLanName;       // printed QR codes carry http://<lan_name>/l/ID
  int poster_budget_ms = 5000;                  // a QR sheet's wait for its posters (from the origin)
  // Whether a publish here wakes the parked polls itself. False where the store tells every
  // catalog sharing it, this one included, of each publish (PostgreSQL: PackChangeListener), and
  // that calls PacksChanged(): then each publish wakes the polls once.
  bool publish_wakes_polls = true;
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

  // Packs may have changed (published through any catalog on the same store): answers every
  // parked long poll whose list changed.
  void PacksChanged();

  // Answers every parked long poll now (304): call before stopping the server.
  void ReleaseWaiters();

  // The largest request body the route for `method` and `target` accepts (64 KiB where none
  // matches): the server checks it before reading the body.
  static std::size_t BodyLimit(const std::string& method, const std::string& target);

  // Every route, as data: what the router dispatches by and what the access tests walk. Roles are
  // RoleName()s; a route's owner is the {school} its path names.
  static std::vector<http::RouteInfo> RouteTable();

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
  http::Reply PackQrSheet(const Call& call);
  http::Reply ListPacks(const Call& call);
  http::Reply EdgePacks(const Call& call);
  http::Reply ReceiveReport(const Call& call);
  http::Reply ListEdges(const Call& call);
  http::Reply Coverage(const Call& call);
  http::Reply Monthly(const Call& call);
  http::Reply ListTokens(const Call& call);
  http::Reply RevokeToken(const Call& call);
  http::Reply WhoIs(const Call& call);
  http::Reply Page(const Call& call);

  Caller Authenticate(const http::Request& req);
  // Metrics and, for a server error, a log line: for every reply, sent now or later.
  void Record(const std::string& method, const std::string& route, const http::Reply& reply, double seconds);
  std::int64_t Now() const;

  CatalogStore& store_;
  const SigningKey& key_;
  const CatalogApiOptions options_;
  std::shared_ptr<spdlog::logger> log_;
  Metrics metrics_;
  http::FailedAuthLimiter failed_auth_;
  http::StaticFiles pages_;
  std::unique_ptr<EdgePackPolls> polls_;
};

}  // namespace lm::catalog
