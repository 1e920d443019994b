// Both catalog stores find and rank (bm25, the same scores) the same lessons for the same Chinese searches: the corpus
// and queries of the tokenizer's tests, registered in an SQLite and a PostgreSQL store alike.

#include <gtest/gtest.h>

#include <algorithm>
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

// Parameterised by the backend compared with SQLite's: PostgreSQL.
class SearchBackendsTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override { LM_SKIP_IF_NO_BACKEND(GetParam()); }
  lm::testing::TempDir sqlite_dir_, other_dir_;
};

INSTANTIATE_TEST_SUITE_P(Backends, SearchBackendsTest, ::testing::Values(StoreBackend::kPostgresql),
                         lm::testing::BackendName);

TEST_P(SearchBackendsTest, TopResultsMatchSqliteOnTheTokenizersQueries) {
  auto sqlite = lm::testing::OpenFreshStore(StoreBackend::kSqlite, sqlite_dir_.path());
  ASSERT_TRUE(sqlite.ok()) << sqlite.status().ToString();
  auto other = lm::testing::OpenFreshStore(GetParam(), other_dir_.path());
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  for (const Lesson& l : CorpusLessons()) {
    ASSERT_TRUE((*sqlite)->PutLesson(l).ok());
    ASSERT_TRUE((*other)->PutLesson(l).ok());
  }
  // The lesson reads back whole, binary torrent bytes included.
  auto back = (*other)->GetLesson("lesson-1");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->torrent, CorpusLessons()[0].torrent);
  EXPECT_EQ(back->tags, CorpusLessons()[0].tags);

  int with_hits = 0;
  for (const char* text : lm::testing::kCjkSearchQueries) {
    SearchQuery q;
    q.text = text;
    q.page_size = 20;
    auto expected = (*sqlite)->SearchLessons(q);
    ASSERT_TRUE(expected.ok()) << text << ": " << expected.status().ToString();
    auto got = (*other)->SearchLessons(q);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().ToString();
    // The same lessons, in the same order, with the same bm25 scores.
    EXPECT_EQ(Ids(*got), Ids(*expected)) << "query <" << text << ">";
    for (size_t i = 0; i < std::min(got->size(), expected->size()); ++i) {
      EXPECT_NEAR((*got)[i].rank, (*expected)[i].rank, 1e-9) << "query <" << text << "> hit " << i;
    }
    if (!expected->empty()) ++with_hits;
  }
  EXPECT_GT(with_hits, 30);  // most queries find something: the comparison compares results
}

}  // namespace
}  // namespace lm::catalog
