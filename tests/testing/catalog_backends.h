#pragma once
// The catalog's tests run against both stores: a test parameterised by StoreBackend gets a fresh,
// empty store of either kind. SQLite: a file in the test's directory. PostgreSQL: a new database
// on one throwaway server per test program (postgres_server.h), started by the first test that
// needs it and stopped when the program's tests end. Tests of the PostgreSQL store are named
// .../postgresql (BackendName): CMake runs them in one process, so the server starts once.
// Called from test threads.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "catalog/catalog_store.h"

namespace lm::testing {

enum class StoreBackend { kSqlite, kPostgresql };

// Both, for ::testing::Values; and the parameter's name in test names: "sqlite", "postgresql".
inline const auto kBothBackends = ::testing::Values(StoreBackend::kSqlite, StoreBackend::kPostgresql);
std::string BackendName(const ::testing::TestParamInfo<StoreBackend>& info);

// Why this machine cannot run PostgreSQL tests (its server binaries are missing), or "".
std::string PostgresMissing();

// A fresh, empty store, its schema up to date. `dir` is the test's own directory (SQLite's file).
Result<std::unique_ptr<catalog::CatalogStore>> OpenFreshStore(StoreBackend backend, const std::filesystem::path& dir);

// A new, empty database on the program's PostgreSQL server: its postgresql:// URI.
Result<std::string> FreshPostgresDatabase();

}  // namespace lm::testing

// In a parameterised fixture's SetUp: skips a PostgreSQL test, with the reason, on a machine
// without PostgreSQL's server (scripts/install-deps.sh installs it, so CI never skips).
#define LM_SKIP_IF_NO_BACKEND(backend)                                                          \
  do {                                                                                          \
    if ((backend) == ::lm::testing::StoreBackend::kPostgresql) {                                \
      const std::string lm_missing_ = ::lm::testing::PostgresMissing();                         \
      if (!lm_missing_.empty()) GTEST_SKIP() << lm_missing_;                                    \
    }                                                                                           \
  } while (0)
