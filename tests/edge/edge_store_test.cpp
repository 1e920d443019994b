// The edge's state: an accepted pack version replaces the pack's items in one step and adds only
// the lessons that are new; play events are reported in batches that keep their id until the
// catalog acknowledges them.

#include "edge/edge_store.h"

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace lm::edge {
namespace {

bundle::PackManifest Pack(std::int64_t version, const std::vector<std::pair<std::string, std::string>>& items) {
  bundle::PackManifest m;
  m.pack_id = 4;
  m.version = version;
  m.title = "资源包";
  for (const auto& [id, needed_by] : items) {
    bundle::PackItem item;
    item.lesson_id = id;
    item.kind = "lesson";
    item.title = "课 " + id.substr(0, 2);
    item.info_hash_v1 = std::string(40, 'a');
    item.info_hash_v2 = std::string(64, 'b');
    item.needed_by = needed_by;
    m.items.push_back(item);
  }
  return m;
}

const std::string kA = std::string(32, 'a'), kB = std::string(32, 'b'), kC = std::string(32, 'c');

TEST(EdgeStoreTest, PackVersionsReplaceItemsAndAddOnlyNewLessons) {
  lm::testing::TempDir tmp;
  auto store = EdgeStore::Open((tmp / "state.db").string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto added = (*store)->ApplyPack({"m1", "s1"}, Pack(1, {{kA, "2026-12-07"}, {kB, "2026-12-14"}}),
                                   {{kA, "torrent-a"}, {kB, "torrent-b"}}, 100);
  ASSERT_TRUE(added.ok()) << added.status().ToString();
  EXPECT_EQ(*added, (std::vector<std::string>{kA, kB}));
  ASSERT_TRUE((*store)->SetState(kA, LessonState::kReady, "", 150).ok());

  // Version 2 drops B, keeps A with a new date and adds C; A is not fetched again.
  added = (*store)->ApplyPack({"m2", "s2"}, Pack(2, {{kA, "2026-12-21"}, {kC, "2026-12-08"}}), {{kC, "torrent-c"}}, 200);
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(*added, std::vector<std::string>{kC});
  auto a = (*store)->Lesson(kA);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state, LessonState::kReady);
  EXPECT_EQ(a->needed_by, "2026-12-21");
  EXPECT_EQ(a->packs, std::vector<std::int64_t>{4});
  auto b = (*store)->Lesson(kB);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->packs.empty());  // unpinned, still here until space is needed
  EXPECT_EQ(*(*store)->Torrent(kB), "torrent-b");
  auto versions = (*store)->PackVersions();
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(versions->at(4), 2);
  auto packs = (*store)->Packs();
  ASSERT_TRUE(packs.ok());
  ASSERT_EQ(packs->size(), 1u);
  EXPECT_EQ((*packs)[0].signed_manifest.manifest, "m2");
}

TEST(EdgeStoreTest, PlaysKeepTheirReportUntilAcknowledged) {
  lm::testing::TempDir tmp;
  auto store = EdgeStore::Open((tmp / "state.db").string());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ApplyPack({"m", "s"}, Pack(1, {{kA, "2026-12-07"}}), {{kA, "t"}}, 1).ok());
  EXPECT_TRUE(*(*store)->AddPlay({"e1", kA, "240p", 30, 1000}));
  EXPECT_FALSE(*(*store)->AddPlay({"e1", kA, "240p", 30, 1000}));  // the page retried
  auto first = (*store)->PlaysToReport("r1");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->first, "r1");
  ASSERT_EQ(first->second.size(), 1u);
  // A play arrives while r1 is unacknowledged: r1 is sent again as it was.
  EXPECT_TRUE(*(*store)->AddPlay({"e2", kA, "240p", 60, 2000}));
  auto retry = (*store)->PlaysToReport("r2");
  ASSERT_TRUE(retry.ok());
  EXPECT_EQ(retry->first, "r1");
  EXPECT_EQ(retry->second.size(), 1u);
  ASSERT_TRUE((*store)->AckPlays("r1").ok());
  auto next = (*store)->PlaysToReport("r3");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->first, "r3");
  ASSERT_EQ(next->second.size(), 1u);
  EXPECT_EQ(next->second[0].event_id, "e2");
  ASSERT_TRUE((*store)->AckPlays("r3").ok());
  EXPECT_EQ(*(*store)->PendingPlays(), 0);

  // A restart keeps what was not acknowledged.
  EXPECT_TRUE(*(*store)->AddPlay({"e3", kA, "240p", 10, 3000}));
  store->reset();
  auto reopened = EdgeStore::Open((tmp / "state.db").string());
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(*(*reopened)->PendingPlays(), 1);
}

TEST(EdgeStoreTest, SearchFindsReadyLessonsByChineseWords) {
  lm::testing::TempDir tmp;
  auto store = EdgeStore::Open((tmp / "state.db").string());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->ApplyPack({"m", "s"}, Pack(1, {{kA, "2026-12-07"}, {kB, "2026-12-07"}}),
                                  {{kA, "t"}, {kB, "t"}}, 1).ok());
  bundle::LessonManifest m;
  m.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
  ASSERT_TRUE((*store)->SetMetadata(kA, m, {"240p"}).ok());
  m.metadata = {"古诗两首", "李老师", "语文", "二年级"};
  ASSERT_TRUE((*store)->SetMetadata(kB, m, {"240p"}).ok());
  ASSERT_TRUE((*store)->SetState(kA, LessonState::kReady, "", 10).ok());
  EXPECT_EQ(*(*store)->Search({"分数", "", "", 0}), std::vector<std::string>{kA});
  EXPECT_TRUE((*store)->Search({"古诗", "", "", 0})->empty());  // not ready yet
  ASSERT_TRUE((*store)->SetState(kB, LessonState::kReady, "", 20).ok());
  EXPECT_EQ(*(*store)->Search({"古诗", "", "", 0}), std::vector<std::string>{kB});
  EXPECT_EQ(*(*store)->Search({"", "数学", "", 0}), std::vector<std::string>{kA});
  EXPECT_EQ(*(*store)->Search({"", "", "", 0}), (std::vector<std::string>{kB, kA}));  // newest first
  EXPECT_EQ(*(*store)->Search({"", "", "", 4}), (std::vector<std::string>{kB, kA}));
  EXPECT_TRUE((*store)->Search({"", "", "", 5})->empty());
  EXPECT_TRUE((*store)->Search({"\"*", "", "", 0})->empty());
}

}  // namespace
}  // namespace lm::edge
