// Both catalog stores find and rank (bm25, the same scores) the same lessons for the same Chinese searches: the corpus
// and queries of the tokenizer's tests, registered in an SQLite and a PostgreSQL store alike. A
// lesson superseded by a new version is found no more, in either store, with or without words,
// and leaves both stores' bm25 statistics alike; it is still read by its id.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/catalog_store.h"
#include "tests/catalog/corpus_lessons.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/cjk_search_corpus.h"
#include "tests/testing/temp_dir.h"

namespace lm::catalog {
namespace {

using lm::testing::StoreBackend;

std::vector<std::string> Ids(const std::vector<SearchHit>& hits) {
  std::vector<std::string> ids;
  for (const SearchHit& h : hits) ids.push_back(h.lesson.id);
  return ids;
}

// Every query of the tokenizer's tests finds the same lessons in `other` as in `sqlite`, in the
// same order, with the same bm25 scores.
void ExpectTheSameResults(CatalogStore& sqlite, CatalogStore& other) {
  int with_hits = 0;
  for (const char* text : lm::testing::kCjkSearchQueries) {
    SearchQuery q;
    q.text = text;
    q.page_size = 20;
    auto expected = sqlite.SearchLessons(q);
    ASSERT_TRUE(expected.ok()) << text << ": " << expected.status().ToString();
    auto got = other.SearchLessons(q);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().ToString();
    EXPECT_EQ(Ids(*got), Ids(*expected)) << "query <" << text << ">";
    for (size_t i = 0; i < std::min(got->size(), expected->size()); ++i) {
      EXPECT_NEAR((*got)[i].rank, (*expected)[i].rank, 1e-9) << "query <" << text << "> hit " << i;
    }
    if (!expected->empty()) ++with_hits;
  }
  EXPECT_GT(with_hits, 30);  // most queries find something: the comparison compares results
}

// Parameterised by the backend compared with SQLite's: PostgreSQL.
class SearchBackendsTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { LM_SKIP_IF_NO_BACKEND(GetParam()); }
  // sqlite_ and other_, fresh, with the corpus registered in each.
  void OpenBothWithTheCorpus() {
    auto sqlite = lm::testing::OpenFreshStore(StoreBackend::kSqlite, sqlite_dir_.path());
    ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
    auto other = lm::testing::OpenFreshStore(GetParam(), other_dir_.path());
    ASSERT_TRUE(other.ok()) << other.status().ToString();
    sqlite_ = std::move(*sqlite);
    other_ = std::move(*other);
    for (const Lesson& l : CorpusLessons()) {
      ASSERT_TRUE(sqlite_->PutLesson(l).ok());
      ASSERT_TRUE(other_->PutLesson(l).ok());
    }
  }
  lm::testing::TempDir sqlite_dir_, other_dir_;
  std::unique_ptr<CatalogStore> sqlite_, other_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SearchBackendsTest, ::testing::Values(StoreBackend::kPostgresql),
                         lm::testing::BackendName);

TEST_P(SearchBackendsTest, TopResultsMatchSqliteOnTheTokenizersQueries) {
  ASSERT_NO_FATAL_FAILURE(OpenBothWithTheCorpus());
  // The lesson reads back whole, binary torrent bytes included.
  auto back = other_->GetLesson("lesson-1");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->torrent, CorpusLessons()[0].torrent);
  EXPECT_EQ(back->tags, CorpusLessons()[0].tags);

  ExpectTheSameResults(*sqlite_, *other_);
}

// Every third lesson of the corpus gets a new version (the same words; "-v2" on its id), which
// supersedes it, in both stores.
void SupersedeEveryThird(CatalogStore& store) {
  int n = 0;
  for (Lesson l : CorpusLessons()) {
    if (++n % 3 != 0) continue;
    const std::string old_id = l.id;
    l.id += "-v2";
    l.created_at += 100000;
    ASSERT_TRUE(store.PutLesson(l).ok());
    ASSERT_TRUE(store.SupersedeLesson(old_id, l.id).ok());
  }
}

class SupersededSearchTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { LM_SKIP_IF_NO_BACKEND(GetParam()); }
  lm::testing::TempDir dir_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SupersededSearchTest, lm::testing::kBothBackends, lm::testing::BackendName);

TEST_P(SupersededSearchTest, ASupersededLessonIsFoundNoMoreButItsNewVersionIs) {
  auto store = lm::testing::OpenFreshStore(GetParam(), dir_.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const Lesson& l : CorpusLessons()) ASSERT_TRUE((*store)->PutLesson(l).ok());
  SupersedeEveryThird(**store);
  const Lesson third = CorpusLessons()[2];  // lesson-3, superseded by lesson-3-v2

  SearchQuery by_title;
  by_title.text = third.title;
  by_title.page_size = 100;
  auto hits = (*store)->SearchLessons(by_title);
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  const std::vector<std::string> ids = Ids(*hits);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "lesson-3-v2"), ids.end()) << third.title;
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "lesson-3"), ids.end()) << third.title;

  SearchQuery everything;  // no words: the newest lessons
  everything.page_size = 1000;
  auto listed = (*store)->SearchLessons(everything);
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  const size_t corpus = CorpusLessons().size();
  EXPECT_EQ(listed->size(), corpus);  // each superseded lesson's place taken by its version
  for (const SearchHit& h : *listed) {
    auto lesson = (*store)->GetLesson(h.lesson.id);
    ASSERT_TRUE(lesson.ok()) << h.lesson.id;
    EXPECT_EQ(lesson->superseded_by, "") << h.lesson.id;
  }

  auto old = (*store)->GetLesson("lesson-3");
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_EQ(old->superseded_by, "lesson-3-v2");
}

TEST_P(SearchBackendsTest, TheStoresStillAgreeOnceLessonsAreSuperseded) {
  ASSERT_NO_FATAL_FAILURE(OpenBothWithTheCorpus());
  SupersedeEveryThird(*sqlite_);
  SupersedeEveryThird(*other_);
  ExpectTheSameResults(*sqlite_, *other_);
}

}  // namespace
}  // namespace lm::catalog
