#pragma once
// SQLite FTS5's bm25 (fts5_aux.c: k1 = 1.2, b = 0.75, per-column weights, IDF floored at 1e-6)
// computed from a PostgreSQL tsvector, so that the PostgreSQL catalog ranks a search exactly as
// the SQLite catalog does. The tsvector is LessonSearchVector's: its weight letters A, B, C, D are
// the columns title, teacher, tags and description, weighed 10, 5, 3 and 1 as in the SQLite
// store's bm25(lessons_fts, 10.0, 5.0, 1.0, 3.0, 0.0, 0.0).

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/cjk_tokenizer.h"

namespace lm::catalog {

// What bm25 knows of the whole index.
struct Bm25Corpus {
  std::int64_t rows = 0;                 // lessons
  double average_tokens = 0;             // positions per lesson, all six columns
  std::vector<std::int64_t> term_rows;   // per query term: the lessons it matches
};

// The score of one lesson: its tsvector as PostgreSQL prints it ('lexeme':1A,2 ...) and its
// positions in all six columns. Negative, lower is better, as FTS5's bm25().
double Bm25(const std::vector<QueryTerm>& terms, std::string_view tsvector_text, std::int64_t document_tokens,
            const Bm25Corpus& corpus);

}  // namespace lm::catalog
