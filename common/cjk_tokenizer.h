#pragma once
// An SQLite FTS5 tokenizer for Chinese lesson metadata: CJK text is indexed as overlapping
// bigrams plus unigrams (so one- and two-character words like 加法 and 分数 are found, as well as
// longer phrases), Latin text and digits as lower-cased words. Registered per connection.

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm {

// The tokenizer's name in `CREATE VIRTUAL TABLE ... USING fts5(..., tokenize='lm_cjk')`.
inline constexpr char kCjkTokenizerName[] = "lm_cjk";

// Registers the tokenizer on `db`. Call once per connection before using the FTS table.
Status RegisterCjkTokenizer(sqlite3* db);

// The FTS5 extension API of `db`'s SQLite, to register tokenizers and ranking functions with.
Result<fts5_api*> Fts5Api(sqlite3* db);

// Turns what a user typed into an FTS5 MATCH expression: every term must match; a CJK term
// matches as a phrase of its characters; FTS5 syntax characters in the input are neutralised.
// Returns "" if the input holds nothing searchable.
std::string FtsMatchExpression(std::string_view user_query);

// The same tokens outside SQLite, for another index (the PostgreSQL catalog's tsvector and
// tsquery) that must find and rank what FTS5 does.
struct IndexToken {
  std::string text;
  int position = 0;  // from 0; a CJK bigram shares the position of its unigram
};
// A document's tokens, as FTS5 indexes them.
std::vector<IndexToken> CjkIndexTokens(std::string_view text);

// One term of FtsMatchExpression: its tokens at consecutive positions (a phrase); `prefix` when
// the last one matches as a prefix (a Latin word of two or more letters).
struct QueryTerm {
  std::vector<std::string> tokens;
  bool prefix = false;
};
// What a user typed, as the terms FtsMatchExpression would AND together; none if nothing searchable.
std::vector<QueryTerm> CjkQueryTerms(std::string_view user_query);

}  // namespace lm
