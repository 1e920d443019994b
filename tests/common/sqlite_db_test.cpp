#include "common/sqlite_db.h"

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace lm::sql {
namespace {

TEST(SqliteDbTest, WalModeTransactionsAndStatements) {
  lm::testing::TempDir tmp;
  auto db = OpenDatabase((tmp / "t.db").string());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto mode = Statement::Prepare(db->get(), "PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->Step());
  EXPECT_EQ(mode->Text(0), "wal");
  mode->Reset();

  ASSERT_TRUE(Exec(db->get(), "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)").ok());
  {
    auto tx = Transaction::Begin(db->get());
    ASSERT_TRUE(tx.ok());
    auto ins = Statement::Prepare(db->get(), "INSERT INTO t (name) VALUES (?1)");
    ASSERT_TRUE(ins.ok()) << ins.status().ToString();
    ASSERT_TRUE(ins->Bind(1, std::string_view("分数")).Run().ok());
    // Dropped without Commit(): rolled back.
  }
  auto count = Statement::Prepare(db->get(), "SELECT count(*) FROM t");
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 0);

  count->Reset();  // a statement left mid-result keeps its read transaction open
  auto tx = Transaction::Begin(db->get());
  ASSERT_TRUE(tx.ok()) << tx.status().ToString();
  auto ins = Statement::Prepare(db->get(), "INSERT INTO t (name) VALUES (?1)");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  ASSERT_TRUE(ins->Bind(1, std::string_view("分数")).Run().ok());
  ins->Reset();
  Status dup = ins->Bind(1, std::string_view("分数")).Run();
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
  Status committed = tx->Commit();
  ASSERT_TRUE(committed.ok()) << committed.ToString();
  count->Reset();
  ASSERT_TRUE(*count->Step());
  EXPECT_EQ(count->Int(0), 1);

  auto bad = Statement::Prepare(db->get(), "SELECT nope FROM t");
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace lm::sql
