#include "tests/testing/catalog_fixture.h"


#include "catalog/auth.h"
#include "catalog/catalog_service.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/unix_time.h"

namespace lm::testing {

// The catalog as lessonmesh-catalog runs it (store, key, API, pages, server), on the held port.
struct CatalogFixture::Running {
  std::unique_ptr<catalog::CatalogService> service;
};

CatalogFixture::CatalogFixture(std::filesystem::path data_dir) : data_dir_(std::move(data_dir)), port_(hold_.port()) {
  std::filesystem::create_directories(data_dir_);
}

CatalogFixture::~CatalogFixture() { Stop(); }

bool CatalogFixture::Start() {
  if (running_) return true;
  if (port_ == 0) return false;  // no port to hold
  catalog::CatalogConfig config;
  config.port = port_;
  config.data_dir = data_dir_.string();
  config.worker_threads = 2;
  auto service = catalog::CatalogService::Start(config);
  if (!service.ok()) return false;
  running_ = std::make_unique<Running>();
  running_->service = std::move(*service);
  port_ = running_->service->port();
  return true;
}

void CatalogFixture::Stop() {
  if (!running_) return;
  running_->service->Stop();
  running_.reset();
}

std::string CatalogFixture::Token(catalog::Role role, const std::string& school) {
  auto store = catalog::SqliteCatalogStore::Open((data_dir_ / "catalog.db").string());
  if (!store.ok()) return "";
  const std::int64_t now = UnixNow();
  auto issued = catalog::IssueToken(**store, {.role = role, .school_id = school, .label = "test"}, now);
  return issued.ok() ? issued->token : "";
}

}  // namespace lm::testing
