// A catalog database left by the previous version opens and is upgraded in place, keeping what the
// monthly report reads true across the upgrade.

#include <gtest/gtest.h>

#include "catalog/sqlite_catalog_store.h"
#include "common/cjk_tokenizer.h"
#include "common/sqlite_db.h"
#include "tests/catalog/schema_downgrade.h"
#include "tests/testing/temp_dir.h"

namespace lm::catalog {
namespace {

constexpr std::int64_t kOctober20 = 1792483200;   // 2026-10-20 UTC
constexpr std::int64_t kNovember18 = 1795000000;  // 2026-11-18 UTC

EdgeReport Holding(const std::string& school, const std::string& report_id, const std::string& state) {
  EdgeReport r;
  r.report_id = report_id;
  r.school_id = school;
  r.inventory = {{"lesson-1", state, 100}};
  return r;
}

// Schema 3 kept no delivery times. A pack a school held whole before the upgrade was delivered
// then, not in the month its next report arrives after the upgrade; a school that completes it
// after the upgrade counts in that month.
TEST(CatalogUpgradeTest, PacksWholeBeforeTheUpgradeAreNotDeliveredAgain) {
  lm::testing::TempDir tmp;
  const std::string path = (tmp / "catalog.db").string();
  {
    auto store = SqliteCatalogStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    SqliteCatalogStore& s = **store;
    ASSERT_TRUE(s.PutSchool({"conghua-lx", "良口镇中心小学", "广东省", "广州市", "从化区", "rural", 300}).ok());
    ASSERT_TRUE(s.PutSchool({"conghua-tp1", "石岭教学点", "广东省", "广州市", "从化区", "teaching_point", 20}).ok());
    Lesson lesson;
    lesson.id = "lesson-1";
    lesson.kind = "lesson";
    lesson.title = "分数的初步认识";
    lesson.total_bytes = 100;
    lesson.created_at = kOctober20;
    ASSERT_TRUE(s.PutLesson(lesson).ok());
    PackSpec spec;
    spec.title = "三年级数学";
    spec.items = {{"lesson-1", "2026-11-01", ""}};
    spec.target_schools = {"conghua-lx", "conghua-tp1"};
    auto pack = s.CreatePack(spec, "admin");
    ASSERT_TRUE(pack.ok());
    ASSERT_TRUE(s.AddPackVersion({*pack, 1, "{}", "signature", kOctober20}, spec).ok());
    ASSERT_TRUE(s.ApplyReport(Holding("conghua-lx", "lx-1", "complete"), kOctober20).ok());
    ASSERT_TRUE(s.ApplyReport(Holding("conghua-tp1", "tp1-1", "partial"), kOctober20).ok());
  }
  {
    // Back to the database schema 3 left: the same tables, no delivery times.
    auto db = sql::OpenDatabase(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(RegisterCjkTokenizer(db->get()).ok());  // the search index is rewritten with the lessons table
    ASSERT_TRUE(sql::Exec(db->get(), std::string(kSearchTriggersOfSchema6) +
                                         "DROP TABLE pack_deliveries; ALTER TABLE lessons DROP COLUMN superseded_by; "
                                         "PRAGMA user_version = 3;").ok());
  }
  auto store = SqliteCatalogStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  SqliteCatalogStore& s = **store;
  ASSERT_TRUE(s.ApplyReport(Holding("conghua-lx", "lx-2", "complete"), kNovember18).ok());
  ASSERT_TRUE(s.ApplyReport(Holding("conghua-tp1", "tp1-2", "complete"), kNovember18).ok());
  EXPECT_EQ(*s.PacksDeliveredIn("2026-11", ""), 1);  // the teaching point's, not the school's again
  EXPECT_EQ(*s.PacksDeliveredIn("2026-10", ""), 0);  // when the school's came whole was not kept
}

}  // namespace
}  // namespace lm::catalog
