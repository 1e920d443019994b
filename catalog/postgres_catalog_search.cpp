// PostgresCatalogStore: searching lessons by what a user typed, as the SQLite store does.

#include <algorithm>

#include "catalog/detail/postgres_rows.h"
#include "catalog/detail/postgres_search_text.h"
#include "catalog/postgres_catalog_store.h"
#include "common/postgres_pool.h"

namespace lm::catalog {

Result<std::vector<SearchHit>> PostgresCatalogStore::SearchLessons(const SearchQuery& q) {
  const std::string query = SearchQueryText(q.text);
  const int page = std::max(1, q.page);
  pg::Params params;
  params.Add(query).Add(q.subject).Add(q.grade).Add(q.teacher).Add(static_cast<std::int64_t>(q.page_size))
      .Add(static_cast<std::int64_t>((page - 1) * q.page_size));
  constexpr char kExact[] = "($2 = '' OR l.subject = $2) AND ($3 = '' OR l.grade = $3) AND ($4 = '' OR l.teacher = $4)";
  std::string columns;
  for (std::string_view rest = kPgLessonColumns; !rest.empty();) {
    const size_t comma = rest.find(", ");
    columns += (columns.empty() ? "l." : ", l.") + std::string(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 2);
  }
  // As on SQLite: a word like 实验 matches a third of a province's catalog, so a search ranks only
  // its kRankCandidates newest matches (the newest by arrival, as the index hands them out) and
  // fetches lesson rows for the page shown. Ranks are negated to order as bm25's: lower is better.
  constexpr char kRankCandidates[] = "500";
  const std::string sql =
      query.empty()
          ? "SELECT " + columns + ", 0.0 FROM lessons l WHERE $1 = '' AND " + kExact +
                " ORDER BY l.created_at DESC, l.id LIMIT $5 OFFSET $6"
          : "WITH q AS (SELECT $1::tsquery AS q), "
            "candidates AS (SELECT l.seq FROM lessons l, q WHERE (l.search || l.facets) @@ q.q AND " + std::string(kExact) +
                " ORDER BY l.seq DESC LIMIT " + kRankCandidates + "), "
            "ranked AS (SELECT l.seq, ts_rank('" + kPgRankWeights + "', l.search, q.q, 1) AS rank "
            "FROM candidates c JOIN lessons l ON l.seq = c.seq, q ORDER BY rank DESC, l.seq LIMIT $5 OFFSET $6) "
            "SELECT " + columns + ", -r.rank FROM ranked r JOIN lessons l ON l.seq = r.seq ORDER BY r.rank DESC, l.seq";
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Rows r, pg::Exec(conn.get(), sql, params));
  std::vector<SearchHit> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({LessonFromRow(r, i), r.Double(i, 14)});
  return out;
}

}  // namespace lm::catalog
