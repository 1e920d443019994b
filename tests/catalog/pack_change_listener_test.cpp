// PackChangeListener on a real PostgreSQL database: a NOTIFY on the pack channel from any
// connection reaches its owner; when its connection is killed it connects again, tells its owner
// once (publishes may have gone unheard), and hears the next publish; it stops promptly.

#include "catalog/pack_change_listener.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "common/postgres_db.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/wait_for.h"

namespace lm::catalog {
namespace {

using lm::testing::StoreBackend;

class PackChangeListenerTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override {
    LM_SKIP_IF_NO_BACKEND(GetParam());
    auto uri = lm::testing::FreshPostgresDatabase();
    ASSERT_TRUE(uri.ok()) << uri.status().ToString();
    uri_ = *uri;
    auto conn = pg::Connect(uri_);
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    conn_ = std::move(*conn);
  }

  // What a publish sends when it commits (the channel is the database-level contract).
  void Announce(const std::string& pack_id) {
    ASSERT_TRUE(pg::Exec(conn_.get(), "SELECT pg_notify($1, $2)", pg::Params().Add("lessonmesh_pack_changes").Add(pack_id))
                    .ok());
  }

  std::string uri_;
  pg::ConnPtr conn_;
};

INSTANTIATE_TEST_SUITE_P(Postgres, PackChangeListenerTest, ::testing::Values(StoreBackend::kPostgresql),
                         lm::testing::BackendName);

TEST_P(PackChangeListenerTest, HearsPublishesAndComesBackAfterItsConnectionIsKilled) {
  std::atomic<int> heard{0};
  auto listener = PackChangeListener::Start(uri_, [&] { ++heard; }, {.retry = std::chrono::milliseconds(50)});
  ASSERT_TRUE(listener.ok()) << listener.status().ToString();
  EXPECT_EQ(heard.load(), 0) << "starting is no change";

  Announce("1");
  ASSERT_TRUE(lm::testing::WaitFor([&] { return heard.load() == 1; }, 10, 5)) << "heard " << heard.load();
  // Another channel is not ours.
  ASSERT_TRUE(pg::Exec(conn_.get(), "SELECT pg_notify('other_channel', '1')").ok());

  // Kill the listener's backend, as a restarting or failing-over database would.
  auto killed = pg::Exec(conn_.get(),
                         "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
                         "AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'");
  ASSERT_TRUE(killed.ok()) << killed.status().ToString();
  ASSERT_EQ(killed->size(), 1);
  ASSERT_TRUE(lm::testing::WaitFor([&] { return (*listener)->reconnects() == 1; }, 10, 5)) << "never reconnected";
  // Once after reconnecting, for whatever it missed.
  ASSERT_TRUE(lm::testing::WaitFor([&] { return heard.load() == 2; }, 10, 5)) << "heard " << heard.load();

  Announce("2");
  ASSERT_TRUE(lm::testing::WaitFor([&] { return heard.load() == 3; }, 10, 5)) << "heard " << heard.load();

  const auto t0 = std::chrono::steady_clock::now();
  listener->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, lm::testing::ScaledDuration(2)) << "stopping took long";
  EXPECT_EQ(heard.load(), 3);
}

TEST_P(PackChangeListenerTest, ADatabaseItCannotReachIsAnErrorAtStart) {
  auto listener = PackChangeListener::Start(uri_ + "_missing", [] {});
  EXPECT_FALSE(listener.ok());
}

}  // namespace
}  // namespace lm::catalog
