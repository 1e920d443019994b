// catalog.toml's `store` picks the backend: empty, catalog.db in data_dir; a postgresql:// URI,
// that database. What one opening keeps, the next finds (its schema migrated once).

#include "catalog/open_catalog_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/catalog_config.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/temp_dir.h"

namespace lm::catalog {
namespace {

using lm::testing::StoreBackend;

class OpenCatalogStoreTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { LM_SKIP_IF_NO_BACKEND(GetParam()); }
  lm::testing::TempDir tmp_;
};

INSTANTIATE_TEST_SUITE_P(Backends, OpenCatalogStoreTest, lm::testing::kBothBackends, lm::testing::BackendName);

TEST_P(OpenCatalogStoreTest, TheStoreKeyPicksTheBackendAndWhatItKeepsStays) {
  CatalogConfig config;
  config.data_dir = (tmp_ / "data").string();
  if (GetParam() == StoreBackend::kPostgresql) {
    auto uri = lm::testing::FreshPostgresDatabase();
    ASSERT_TRUE(uri.ok()) << uri.status().ToString();
    config.store = *uri;
  }
  ASSERT_TRUE(ValidateCatalogConfig(config).ok());
  const School school{"tianhe-3", "天河第三小学", "广东省", "广州市", "天河区", "urban", 1200};
  {
    auto store = OpenCatalogStore(config);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->PutSchool(school).ok());
  }
  auto again = OpenCatalogStore(config);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto back = (*again)->GetSchool("tianhe-3");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->name, school.name);
  EXPECT_EQ(back->pupils, 1200);
  // SQLite's file is in data_dir; PostgreSQL leaves none there.
  EXPECT_EQ(std::filesystem::exists(tmp_ / "data" / "catalog.db"), GetParam() == StoreBackend::kSqlite);
}

TEST(OpenCatalogStoreConfigTest, AStoreThatIsNoPostgresqlUriIsRefusedByName) {
  CatalogConfig config;
  config.store = "mysql://catalog";
  const Status st = ValidateCatalogConfig(config);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "store");
  config.store = "postgres://lessonmesh@db.example/catalog";
  EXPECT_TRUE(ValidateCatalogConfig(config).ok());
}

}  // namespace
}  // namespace lm::catalog
