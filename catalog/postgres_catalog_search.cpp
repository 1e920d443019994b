// PostgresCatalogStore: searching lessons by what a user typed, finding and ranking what the
// SQLite store finds and ranks (the same tokens, FTS5's bm25 computed here: detail/fts5_bm25.h).

#include <algorithm>
#include <map>

#include "catalog/detail/fts5_bm25.h"
#include "catalog/detail/postgres_rows.h"
#include "catalog/detail/postgres_search_text.h"
#include "catalog/postgres_catalog_store.h"
#include "common/postgres_pool.h"

namespace lm::catalog {

namespace {

// A superseded lesson is not found (its packs hold its new version), nor counted in bm25's
// statistics, as it is out of SQLite's index.
constexpr char kExact[] =
    "($2 = '' OR l.subject = $2) AND ($3 = '' OR l.grade = $3) AND ($4 = '' OR l.teacher = $4) AND l.superseded_by = ''";

// "l.id, l.kind, ..." from the lesson columns.
std::string QualifiedLessonColumns() {
  std::string columns;
  for (std::string_view rest = kPgLessonColumns; !rest.empty();) {
    const size_t comma = rest.find(", ");
    columns += (columns.empty() ? "l." : ", l.") + std::string(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  return columns;
}

// One candidate lesson and its score.
struct Scored {
  std::int64_t seq = 0;
  double rank = 0;
};

}  // namespace

Result<std::vector<SearchHit>> PostgresCatalogStore::SearchLessons(const SearchQuery& q) {
  const std::vector<QueryTerm> terms = CjkQueryTerms(q.text);
  const std::vector<std::string> term_queries = TermQueries(terms);
  const std::string all_terms = AllTermsQuery(term_queries);
  const int page = std::max(1, q.page);
  const std::int64_t offset = static_cast<std::int64_t>(page - 1) * q.page_size;
  const std::string columns = QualifiedLessonColumns();
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  std::vector<SearchHit> out;
  if (all_terms.empty()) {
    ASSIGN_OR_RETURN(pg::Rows r, pg::Exec(conn.get(),
                                          "SELECT " + columns + " FROM lessons l WHERE $1 = '' AND " + kExact +
                                              " ORDER BY l.created_at DESC, l.id LIMIT $5 OFFSET $6",
                                          pg::Params().Add("").Add(q.subject).Add(q.grade).Add(q.teacher)
                                              .Add(static_cast<std::int64_t>(q.page_size)).Add(offset)));
    for (int i = 0; i < r.size(); ++i) out.push_back({LessonFromRow(r, i), 0.0});
    return out;
  }

  // One snapshot for the candidates and the statistics their scores use.
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  RETURN_IF_ERROR(pg::ExecScript(conn.get(), "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  // As on SQLite: a word like 实验 matches a third of a province's catalog, so a search ranks only
  // its kRankCandidates newest matches (by arrival, SQLite's rowid).
  constexpr std::int64_t kRankCandidates = 500;
  ASSIGN_OR_RETURN(pg::Rows candidates,
                   pg::Exec(conn.get(),
                            std::string("SELECT l.seq, l.search::text, l.search_tokens FROM lessons l "
                                        "WHERE (l.search || l.facets) @@ $1::tsquery AND ") + kExact +
                                " ORDER BY l.seq DESC LIMIT $5",
                            pg::Params().Add(all_terms).Add(q.subject).Add(q.grade).Add(q.teacher).Add(kRankCandidates)));
  if (candidates.empty()) return out;
  Bm25Corpus corpus;
  ASSIGN_OR_RETURN(pg::Rows totals, pg::Exec(conn.get(), "SELECT lessons, tokens FROM search_totals"));
  corpus.rows = totals.Int(0, 0);
  corpus.average_tokens = corpus.rows > 0 ? static_cast<double>(totals.Int(0, 1)) / static_cast<double>(corpus.rows) : 0;
  // bm25's IDF: the lessons each term matches, counted once for a term typed twice.
  std::map<std::string, std::int64_t> counted;
  for (const std::string& term : term_queries) {
    if (term.empty()) {
      corpus.term_rows.push_back(0);
      continue;
    }
    auto it = counted.find(term);
    if (it == counted.end()) {
      ASSIGN_OR_RETURN(pg::Rows n, pg::Exec(conn.get(), "SELECT count(*) FROM lessons WHERE (search || facets) @@ $1::tsquery AND superseded_by = ''",
                                            pg::Params().Add(term)));
      it = counted.emplace(term, n.Int(0, 0)).first;
    }
    corpus.term_rows.push_back(it->second);
  }
  std::vector<Scored> scored;
  for (int i = 0; i < candidates.size(); ++i) {
    scored.push_back({candidates.Int(i, 0), Bm25(terms, candidates.Text(i, 1), candidates.Int(i, 2), corpus)});
  }
  std::sort(scored.begin(), scored.end(),
            [](const Scored& a, const Scored& b) { return a.rank != b.rank ? a.rank < b.rank : a.seq < b.seq; });
  if (offset >= static_cast<std::int64_t>(scored.size())) return out;
  scored.erase(scored.begin(), scored.begin() + offset);
  if (static_cast<std::int64_t>(scored.size()) > q.page_size) scored.resize(static_cast<size_t>(std::max(0, q.page_size)));
  if (scored.empty()) return out;

  // The lesson rows of the page shown, in rank order.
  std::string seqs = "{";
  for (const Scored& s : scored) seqs += (seqs.size() > 1 ? "," : "") + std::to_string(s.seq);
  seqs += "}";
  ASSIGN_OR_RETURN(pg::Rows rows, pg::Exec(conn.get(),
                                           "SELECT " + columns + ", l.seq FROM lessons l WHERE l.seq = ANY($1::bigint[])",
                                           pg::Params().Add(seqs)));
  std::map<std::int64_t, int> row_of;
  for (int i = 0; i < rows.size(); ++i) row_of[rows.Int(i, 14)] = i;
  for (const Scored& s : scored) {
    if (auto it = row_of.find(s.seq); it != row_of.end()) out.push_back({LessonFromRow(rows, it->second), s.rank});
  }
  RETURN_IF_ERROR(tx.Commit());
  return out;
}

}  // namespace lm::catalog
