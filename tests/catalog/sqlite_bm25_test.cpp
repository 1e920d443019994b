// lm_bm25 scores every lesson exactly as FTS5's bm25() does (the same doubles, not near ones) on
// the tokenizer's corpus and queries, with subject/grade filters, from counts it kept and after a
// registration changed them; and the SQLite store's search ranks with it.

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "catalog/detail/sqlite_bm25.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/cjk_tokenizer.h"
#include "common/sqlite_db.h"
#include "tests/catalog/corpus_lessons.h"
#include "tests/testing/cjk_search_corpus.h"
#include "tests/testing/temp_dir.h"

namespace lm::catalog {
namespace {

// Per matching row: FTS5's bm25 and lm_bm25, for a MATCH expression and its phrases.
struct Scores {
  std::vector<double> fts5, ours;
};

Scores Score(sqlite3* db, const std::string& match, const std::string& phrases) {
  Scores out;
  auto st = sql::Statement::Prepare(
      db, "SELECT bm25(lessons_fts, 10.0, 5.0, 1.0, 3.0, 0.0, 0.0), "
          "lm_bm25(lessons_fts, 10.0, 5.0, 1.0, 3.0, 0.0, 0.0, ?2) FROM lessons_fts WHERE lessons_fts MATCH ?1");
  EXPECT_TRUE(st.ok()) << st.status().ToString();
  if (!st.ok()) return out;
  st->Bind(1, match).Bind(2, phrases);
  for (;;) {
    auto row = st->Step();
    EXPECT_TRUE(row.ok()) << match << ": " << row.status().ToString();
    if (!row.ok() || !*row) break;
    out.fts5.push_back(st->Double(0));
    out.ours.push_back(st->Double(1));
  }
  return out;
}

class SqliteBm25Test : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteCatalogStore::Open((dir_.path() / "catalog.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    int n = 0;
    for (const auto& c : lm::testing::kCjkSearchCorpus) ASSERT_TRUE(store_->PutLesson(CorpusLesson(c, ++n)).ok());
    auto db = sql::OpenDatabase((dir_.path() / "catalog.db").string());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(*db);
    ASSERT_TRUE(RegisterCjkTokenizer(db_.get()).ok());
    ASSERT_TRUE(RegisterBm25Function(db_.get(), &counts_).ok());
  }

  // Every query of the tokenizer's tests, alone and with a grade filter (weight 0), twice (the
  // second time from kept counts and lesson lengths): lm_bm25 equals bm25 on every row.
  void ExpectSameScores(int* rows_scored) {
    for (const char* text : lm::testing::kCjkSearchQueries) {
      const std::string match = FtsMatchExpression(text);
      if (match.empty()) continue;
      std::string phrases = match;
      for (size_t at; (at = phrases.find(" AND ")) != std::string::npos;) phrases.replace(at, 5, "\n");
      const std::vector<std::pair<std::string, std::string>> asked = {
          {match, phrases}, {"(" + match + ") AND grade : \"三年级\"", phrases + "\ngrade : \"三年级\""}};
      for (const auto& [expression, names] : asked) {
        for (int pass = 0; pass < 2; ++pass) {
          const Scores s = Score(db_.get(), expression, names);
          EXPECT_EQ(s.ours, s.fts5) << "query <" << expression << "> pass " << pass;
          *rows_scored += static_cast<int>(s.fts5.size());
        }
      }
    }
  }

  lm::testing::TempDir dir_;
  std::unique_ptr<SqliteCatalogStore> store_;
  Bm25IndexCounts counts_;
  sql::DbPtr db_;
};

TEST_F(SqliteBm25Test, ScoresAsFts5DoesFromKeptCountsAndAfterARegistration) {
  int rows_scored = 0;
  ExpectSameScores(&rows_scored);
  EXPECT_GT(rows_scored, 100);  // the comparison compares scores

  // A registration changes every phrase's IDF (N) and some counts (n): kept counts are dropped.
  ASSERT_TRUE(store_->PutLesson(CorpusLesson(lm::testing::kCjkSearchCorpus[0], 100)).ok());
  counts_.Invalidate();
  ExpectSameScores(&rows_scored);
}

TEST_F(SqliteBm25Test, TheStoresSearchRanksWithFts5sScoresBeforeAndAfterARegistration) {
  auto expect_fts5_ranks = [&](const char* text, const std::string& grade) {
    SearchQuery q;
    q.text = text;
    q.grade = grade;
    q.page_size = 50;
    auto hits = store_->SearchLessons(q);
    ASSERT_TRUE(hits.ok()) << hits.status().ToString();
    ASSERT_FALSE(hits->empty()) << text;
    std::string match = FtsMatchExpression(text);
    if (!grade.empty()) match = "(" + match + ") AND grade : \"" + grade + "\"";
    auto st = sql::Statement::Prepare(db_.get(),
        "SELECT l.id, bm25(lessons_fts, 10.0, 5.0, 1.0, 3.0, 0.0, 0.0) AS rank FROM lessons_fts "
        "JOIN lessons l ON l.rowid = lessons_fts.rowid WHERE lessons_fts MATCH ?1 ORDER BY rank");
    ASSERT_TRUE(st.ok());
    st->Bind(1, match);
    std::vector<std::pair<std::string, double>> expected, got;
    while (*st->Step()) expected.emplace_back(st->Text(0), st->Double(1));
    for (const SearchHit& h : *hits) got.emplace_back(h.lesson.id, h.rank);
    EXPECT_EQ(got, expected) << text << " grade " << grade;
  };
  int n = 200;
  for (int round = 0; round < 2; ++round) {
    expect_fts5_ranks("分数", "");
    expect_fts5_ranks("数学", "三年级");
    expect_fts5_ranks("Python 入门", "");
    // The same lessons again: every count and the number of lessons change.
    for (const auto& c : lm::testing::kCjkSearchCorpus) ASSERT_TRUE(store_->PutLesson(CorpusLesson(c, ++n)).ok());
  }
}

// Lengths are kept by rowid without a lock, in blocks made as rowids reach them.
TEST(Bm25IndexCountsTest, KeepsEachLessonsLengthByRowidInEveryBlockAndNonePastTheTable) {
  Bm25IndexCounts counts;
  EXPECT_EQ(counts.FindTokens(1), std::nullopt);
  counts.KeepTokens(1, 0);  // a lesson of no tokens is known, not unknown
  EXPECT_EQ(counts.FindTokens(1), 0);
  EXPECT_EQ(counts.FindTokens(2), std::nullopt);
  // Either side of a block's edge, and the last rowid the table holds.
  const std::int64_t last = (std::int64_t{1} << 26) - 1;
  for (std::int64_t rowid : {std::int64_t{65535}, std::int64_t{65536}, last}) {
    counts.KeepTokens(rowid, static_cast<int>(rowid % 1000) + 7);
    EXPECT_EQ(counts.FindTokens(rowid), static_cast<int>(rowid % 1000) + 7) << rowid;
  }
  EXPECT_EQ(counts.FindTokens(65537), std::nullopt);
  // Past the table, or a rowid no lesson has: not kept, so read from the index each time.
  counts.KeepTokens(last + 1, 5);
  EXPECT_EQ(counts.FindTokens(last + 1), std::nullopt);
  counts.KeepTokens(-1, 5);
  EXPECT_EQ(counts.FindTokens(-1), std::nullopt);
  // A registration drops phrase counts, not lengths.
  counts.Invalidate();
  EXPECT_EQ(counts.FindTokens(65536), 65536 % 1000 + 7);
}

TEST(Bm25IndexCountsTest, SearchWorkersKeepAndFindLengthsAtOnce) {
  Bm25IndexCounts counts;
  constexpr int kThreads = 4;
  constexpr std::int64_t kRowids = 300000;  // five blocks, each made by whichever thread came first
  std::vector<std::thread> threads;
  std::vector<int> wrong(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (std::int64_t rowid = 1; rowid <= kRowids; ++rowid) {
        const int tokens = static_cast<int>(rowid % 97);
        if (rowid % kThreads == t) counts.KeepTokens(rowid, tokens);
        // Another worker's lesson: unknown yet, or its length; never anything else.
        const std::optional<int> seen = counts.FindTokens(rowid);
        if (seen && *seen != tokens) ++wrong[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(wrong[static_cast<size_t>(t)], 0) << "thread " << t;
  int missing = 0;
  for (std::int64_t rowid = 1; rowid <= kRowids; ++rowid) {
    if (counts.FindTokens(rowid) != static_cast<int>(rowid % 97)) ++missing;
  }
  EXPECT_EQ(missing, 0);
}

}  // namespace
}  // namespace lm::catalog
