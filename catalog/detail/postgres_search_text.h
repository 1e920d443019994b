#pragma once
// The CJK tokenizer's tokens (common/cjk_tokenizer.h) as PostgreSQL text search values, so that
// the PostgreSQL store finds what SQLite's FTS5 index finds: a lesson's tsvector (positions kept,
// weighted by column as bm25 weighs them there) and the tsquery for what a user typed.

#include <string>
#include <string_view>

#include "catalog/model.h"

namespace lm::catalog {

// ts_rank's weights {D, C, B, A}: description, tags, teacher, title; SQLite's bm25 weighs the
// same columns 1, 3, 5, 10.
inline constexpr char kPgRankWeights[] = "{0.1, 0.3, 0.5, 1.0}";

// The tsvector literal of `l`'s title (A), teacher (B), tags (C) and description (D): what a
// search ranks by.
std::string LessonSearchVector(const Lesson& l);
// The tsvector literal of `l`'s subject and grade: matched, as the columns above, but not ranked.
std::string LessonFacetVector(const Lesson& l);

// The tsquery literal for what a user typed: every term must match, a CJK term as a phrase of
// its bigrams, a Latin word of two or more letters as a prefix. "" if nothing is searchable.
std::string SearchQueryText(std::string_view user_query);

}  // namespace lm::catalog
