#include "catalog/catalog_service.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/open_catalog_store.h"
#include "catalog/pack_change_listener.h"
#include "common/atomic_file.h"
#include "common/http/http_server.h"
#include "common/logging.h"
#include "common/signing.h"
#include "common/postgres_uri.h"
#include "common/unix_time.h"

namespace lm::catalog {

namespace fs = std::filesystem;

struct CatalogService::Parts {
  std::shared_ptr<spdlog::logger> log = AreaLogger("catalog");
  // Declared before what uses them: members die in reverse order.
  std::unique_ptr<CatalogStore> store;
  std::unique_ptr<SigningKey> key;
  std::unique_ptr<CatalogApi> api;
  std::unique_ptr<http::HttpServer> server;
  // PostgreSQL: hears publishes through every catalog on the database and wakes the polls here.
  std::unique_ptr<PackChangeListener> pack_changes;
  bool stopped = false;

  // First start, or every admin token revoked or expired: an admin token, written where only the
  // operator can read it.
  Status BootstrapAdminToken(const fs::path& data_dir) {
    const std::int64_t now = UnixNow();
    ASSIGN_OR_RETURN(bool has_admin, store->HasAdminToken(now));
    if (has_admin) return Status::Ok();
    ASSIGN_OR_RETURN(IssuedToken issued, IssueToken(*store, {.role = Role::kAdmin, .label = "bootstrap"}, now));
    const fs::path path = data_dir / "admin.token";
    RETURN_IF_ERROR(WriteFileAtomically(path, issued.token + "\n", 0600));
    log->info("admin_token_written path={}", path.string());
    return Status::Ok();
  }
};

Result<std::unique_ptr<CatalogService>> CatalogService::Start(const CatalogConfig& config) {
  RETURN_IF_ERROR(ValidateCatalogConfig(config));
  auto p = std::make_unique<Parts>();
  const fs::path data(config.data_dir);
  std::error_code ec;
  fs::create_directories(data, ec);  // the signing key and admin token live there whatever the store
  if (ec) return IoError("create " + config.data_dir + ": " + ec.message());
  ASSIGN_OR_RETURN(p->store, OpenCatalogStore(config));
  ASSIGN_OR_RETURN(SigningKey key, SigningKey::LoadOrCreate(SigningKeyPath(config)));
  p->key = std::make_unique<SigningKey>(std::move(key));
  RETURN_IF_ERROR(p->BootstrapAdminToken(data));

  CatalogApiOptions api_options;
  api_options.max_wait_seconds = config.max_wait_seconds;
  api_options.web_dir = config.web_dir;
  api_options.lan_name = config.lan_name;
  // On PostgreSQL other catalogs may share the database: every publish, here or there, reaches the
  // polls through the database's NOTIFY, and only that way.
  const bool shared_store = pg::IsPostgresUri(config.store);
  api_options.publish_wakes_polls = !shared_store;
  p->api = std::make_unique<CatalogApi>(*p->store, *p->key, api_options);
  if (shared_store) {
    // Listening before the first poll parks: no publish slips past it.
    ASSIGN_OR_RETURN(p->pack_changes,
                     PackChangeListener::Start(config.store, [api = p->api.get()] { api->PacksChanged(); }));
  }
  http::ServerOptions server_options;
  server_options.address = config.listen_address;
  server_options.port = config.port;
  server_options.worker_threads = WorkerThreads(config);
  server_options.read_timeout_ms = config.read_timeout_ms;
  server_options.idle_timeout_ms = config.idle_timeout_ms;
  ApplyServingConfig(config.serving, &server_options);
  CatalogApi* api = p->api.get();
  ASSIGN_OR_RETURN(p->server, http::HttpServer::Start(
                                  server_options,
                                  [api](http::Request r, http::Responder respond) { api->Handle(std::move(r), respond); },
                                  &CatalogApi::BodyLimit));
  api->SetRunAfter([s = p->server.get()](std::chrono::milliseconds d, std::function<void()> fn) {
    s->RunAfter(d, std::move(fn));
  });
  p->log->info("started http={} https={} data={} public_key={}", p->server->port(), p->server->tls_port(), config.data_dir,
               p->key->public_key_base64());
  return std::unique_ptr<CatalogService>(new CatalogService(std::move(p)));
}

CatalogService::CatalogService(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}

CatalogService::~CatalogService() { Stop(); }

std::uint16_t CatalogService::port() const { return parts_->server->port(); }

std::uint16_t CatalogService::tls_port() const { return parts_->server->tls_port(); }

Status CatalogService::ReloadTls() {
  Status st = parts_->server->ReloadTls();
  if (st.ok()) {
    parts_->log->info("tls_reloaded");
  } else {
    parts_->log->error("tls_reload_failed error=\"{}\"", st.message());
  }
  return st;
}

const std::string& CatalogService::public_key_base64() const { return parts_->key->public_key_base64(); }

void CatalogService::Stop() {
  if (parts_->stopped) return;
  parts_->stopped = true;
  parts_->pack_changes.reset();  // wakes no more polls
  parts_->api->ReleaseWaiters();
  parts_->server->Stop();
  parts_->log->info("stopped");
}

}  // namespace lm::catalog
