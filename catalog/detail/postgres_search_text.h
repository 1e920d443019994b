#pragma once
// The CJK tokenizer's tokens (common/cjk_tokenizer.h) as PostgreSQL text search values, so that
// the PostgreSQL store finds what SQLite's FTS5 index finds: a lesson's tsvector (positions kept,
// weighted by column as bm25 weighs them there) and the tsquery for what a user typed.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/model.h"
#include "common/cjk_tokenizer.h"

namespace lm::catalog {

// The tsvector literal of `l`'s title (A), teacher (B), tags (C) and description (D): what a
// search ranks by.
std::string LessonSearchVector(const Lesson& l);
// The tsvector literal of `l`'s subject and grade: matched, as the columns above, but not ranked.
std::string LessonFacetVector(const Lesson& l);

// The positions of `l`'s six indexed columns, as FTS5 counts a row's tokens (bm25's length).
std::int64_t LessonTokenCount(const Lesson& l);

// The tsquery literal of each term (CjkQueryTerms) of what a user typed: a CJK term as a phrase
// of its bigrams, a Latin word of two or more letters as a prefix.
std::vector<std::string> TermQueries(const std::vector<QueryTerm>& terms);
// All of them that must match, joined by &; "" if nothing is searchable.
std::string AllTermsQuery(const std::vector<std::string>& term_queries);

}  // namespace lm::catalog
