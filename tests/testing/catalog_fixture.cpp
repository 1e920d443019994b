#include "tests/testing/catalog_fixture.h"

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/http/http_server.h"
#include "common/signing.h"

namespace lm::testing {

struct CatalogFixture::Running {
  std::unique_ptr<catalog::SqliteCatalogStore> store;
  std::unique_ptr<SigningKey> key;
  std::unique_ptr<catalog::CatalogApi> service;
  std::unique_ptr<http::HttpServer> server;
};

CatalogFixture::CatalogFixture(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)), port_(hold_.port()) {
  std::filesystem::create_directories(data_dir_);
}

CatalogFixture::~CatalogFixture() { Stop(); }

bool CatalogFixture::Start() {
  if (running_) return true;
  if (port_ == 0) return false;  // no port to hold
  auto r = std::make_unique<Running>();
  auto store = catalog::SqliteCatalogStore::Open((data_dir_ / "catalog.db").string());
  if (!store.ok()) return false;
  r->store = std::move(*store);
  auto key = SigningKey::LoadOrCreate(data_dir_ / "pack-signing.key");
  if (!key.ok()) return false;
  r->key = std::make_unique<SigningKey>(std::move(*key));
  r->service = std::make_unique<catalog::CatalogApi>(*r->store, *r->key, catalog::CatalogApiOptions{});
  http::ServerOptions options;
  options.port = port_;
  catalog::CatalogApi* service = r->service.get();
  auto server = http::HttpServer::Start(
      options, [service](http::Request req, http::Responder respond) { service->Handle(std::move(req), respond); },
      &catalog::CatalogApi::BodyLimit);
  if (!server.ok()) return false;
  r->server = std::move(*server);
  port_ = r->server->port();
  running_ = std::move(r);
  return true;
}

void CatalogFixture::Stop() {
  if (!running_) return;
  running_->service->ReleaseWaiters();
  running_->server->Stop(std::chrono::milliseconds(1000));
  running_.reset();
}

std::string CatalogFixture::Token(catalog::Role role, const std::string& school) {
  auto store = catalog::SqliteCatalogStore::Open((data_dir_ / "catalog.db").string());
  if (!store.ok()) return "";
  auto token = catalog::NewToken();
  if (!token.ok()) return "";
  if (!(*store)->PutToken(catalog::TokenHash(*token), {role, school}, "test").ok()) return "";
  return *token;
}

}  // namespace lm::testing
