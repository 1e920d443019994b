#include "catalog/detail/postgres_search_text.h"

#include <algorithm>
#include <map>
#include <vector>

#include "catalog/detail/stored_text.h"
#include "common/cjk_tokenizer.h"

namespace lm::catalog {

namespace {

// PostgreSQL's limits: a lexeme under 2 KiB, positions 1..16383.
constexpr size_t kMaxLexemeBytes = 2046;
constexpr int kMaxPosition = 16383;
constexpr size_t kMaxPositionsPerLexeme = 255;

// A lexeme quoted for a tsvector or tsquery literal.
std::string Quoted(std::string_view token) {
  std::string out = "'";
  for (char c : token) {
    if (c == '\'' || c == '\\') out += c;
    out += c;
  }
  out += '\'';
  return out;
}

struct Column {
  const std::string& text;
  const char* weight;  // "A".."D", or "" (D, unmarked)
};

// Columns follow one another in position, as if one text, with a gap between them so that a
// phrase never spans two columns (FTS5 phrases do not).
std::string VectorOf(std::initializer_list<Column> columns) {
  std::map<std::string, std::vector<std::string>> positions;  // lexeme -> "12A"
  int base = 1;
  for (const Column& c : columns) {
    int last = 0;
    for (const IndexToken& t : CjkIndexTokens(c.text)) {
      if (t.text.size() > kMaxLexemeBytes) continue;
      const int position = std::min(base + t.position, kMaxPosition);
      auto& at = positions[t.text];
      if (at.size() < kMaxPositionsPerLexeme) at.push_back(std::to_string(position) + c.weight);
      last = std::max(last, t.position);
    }
    base += last + 2;  // a gap: a phrase never runs from one column into the next
  }
  std::string out;
  for (const auto& [lexeme, at] : positions) {
    if (!out.empty()) out += ' ';
    out += Quoted(lexeme);
    out += ':';
    for (size_t i = 0; i < at.size(); ++i) {
      if (i) out += ',';
      out += at[i];
    }
  }
  return out;
}

}  // namespace

std::string LessonSearchVector(const Lesson& l) {
  const std::string tags = JoinTags(l.tags);
  return VectorOf({{l.title, "A"}, {l.teacher, "B"}, {tags, "C"}, {l.description, "D"}});
}

std::string LessonFacetVector(const Lesson& l) { return VectorOf({{l.subject, ""}, {l.grade, ""}}); }

std::int64_t LessonTokenCount(const Lesson& l) {
  std::int64_t count = 0;
  const std::string tags = JoinTags(l.tags);
  for (const std::string* text : {&l.title, &l.teacher, &l.description, &tags, &l.subject, &l.grade}) {
    const std::vector<IndexToken> tokens = CjkIndexTokens(*text);
    if (!tokens.empty()) count += tokens.back().position + 1;
  }
  return count;
}

std::vector<std::string> TermQueries(const std::vector<QueryTerm>& terms) {
  std::vector<std::string> out;
  for (const QueryTerm& term : terms) {
    std::string phrase;
    for (const std::string& token : term.tokens) {
      if (token.size() > kMaxLexemeBytes) continue;
      if (!phrase.empty()) phrase += " <-> ";
      phrase += Quoted(token);
    }
    if (!phrase.empty() && term.prefix) phrase += ":*";
    out.push_back(std::move(phrase));
  }
  return out;
}

std::string AllTermsQuery(const std::vector<std::string>& term_queries) {
  std::string out;
  for (const std::string& q : term_queries) {
    if (q.empty()) continue;
    if (!out.empty()) out += " & ";
    out += "(" + q + ")";
  }
  return out;
}

}  // namespace lm::catalog
