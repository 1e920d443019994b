#include "tests/testing/catalog_backends.h"

#include <atomic>
#include <mutex>

#include "catalog/postgres_catalog_store.h"
#include "catalog/sqlite_catalog_store.h"
#include "tests/testing/postgres_server.h"

namespace lm::testing {

namespace {

// The program's PostgreSQL server: started on first use, stopped after the last test (a gtest
// environment's TearDown), so that no server outlives the program that started it.
class SharedPostgres : public ::testing::Environment {
 public:
  static SharedPostgres& Get() {
    static SharedPostgres* env = static_cast<SharedPostgres*>(::testing::AddGlobalTestEnvironment(new SharedPostgres));
    return *env;
  }

  Result<PostgresServer*> Server() {
    std::lock_guard lock(mu_);
    if (!server_) {
      const std::string bin_dir = PostgresServer::FindBinDir();
      if (bin_dir.empty()) return Status(StatusCode::kNotFound, "PostgreSQL's server is not installed");
      ASSIGN_OR_RETURN(server_, PostgresServer::Start(bin_dir));
    }
    return server_.get();
  }

  void TearDown() override {
    std::lock_guard lock(mu_);
    server_.reset();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<PostgresServer> server_;
};

// Registered before RUN_ALL_TESTS, as gtest requires of environments.
[[maybe_unused]] const SharedPostgres& kRegistered = SharedPostgres::Get();

std::atomic<int> next_database{0};

}  // namespace

std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info) {
  return info.param == StoreBackend::kSqlite ? "sqlite" : "postgresql";
}

std::string PostgresMissing() {
  if (PostgresServer::FindBinDir().empty()) {
    return "PostgreSQL's server (initdb, postgres) is not installed under /usr/lib/postgresql: run "
           "scripts/install-deps.sh";
  }
  return "";
}

Result<std::unique_ptr<catalog::CatalogStore>> OpenFreshStore(StoreBackend backend, const std::filesystem::path& dir) {
  if (backend == StoreBackend::kSqlite) {
    ASSIGN_OR_RETURN(auto store, catalog::SqliteCatalogStore::Open((dir / "catalog.db").string()));
    return std::unique_ptr<catalog::CatalogStore>(std::move(store));
  }
  ASSIGN_OR_RETURN(std::string uri, FreshPostgresDatabase());
  ASSIGN_OR_RETURN(auto store, catalog::PostgresCatalogStore::Open(uri));
  return std::unique_ptr<catalog::CatalogStore>(std::move(store));
}

Result<std::string> FreshPostgresDatabase() {
  ASSIGN_OR_RETURN(PostgresServer * server, SharedPostgres::Get().Server());
  return server->CreateDatabase("catalog_" + std::to_string(++next_database));
}

}  // namespace lm::testing
