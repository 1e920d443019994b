#include "catalog/detail/fts5_bm25.h"

#include <cmath>
#include <map>
#include <string>

namespace lm::catalog {

namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

// A position and its column (weight letter: 'A'..'D').
struct Position {
  int at;
  char column;
};
using Lexemes = std::map<std::string, std::vector<Position>, std::less<>>;

// Parses tsvector output: 'lexeme':1A,2B,3 'other':4 ... (quotes doubled, backslashes escaped;
// an unmarked position is weight D).
Lexemes ParseTsvector(std::string_view text) {
  Lexemes out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    if (i >= text.size() || text[i] != '\'') break;
    ++i;
    std::string lexeme;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '\\' && i + 1 < text.size()) {
        lexeme += text[i + 1];
        i += 2;
      } else if (c == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
        lexeme += '\'';
        i += 2;
      } else if (c == '\'') {
        ++i;
        break;
      } else {
        lexeme += c;
        ++i;
      }
    }
    std::vector<Position>& positions = out[lexeme];
    if (i < text.size() && text[i] == ':') {
      ++i;
      while (i < text.size() && text[i] != ' ') {
        int at = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') at = at * 10 + (text[i++] - '0');
        char column = 'D';
        if (i < text.size() && text[i] >= 'A' && text[i] <= 'D') column = text[i++];
        positions.push_back({at, column});
        if (i < text.size() && text[i] == ',') ++i;
      }
    }
  }
  return out;
}

double ColumnWeight(char column) {
  switch (column) {
    case 'A': return 10.0;  // title
    case 'B': return 5.0;   // teacher
    case 'C': return 3.0;   // tags
    default: return 1.0;    // description
  }
}

const std::vector<Position>* Find(const Lexemes& lexemes, const std::string& token) {
  auto it = lexemes.find(token);
  return it == lexemes.end() ? nullptr : &it->second;
}

// FTS5's weighted hits of one term in the lesson: each place the phrase occurs (its tokens at
// consecutive positions in one column), or, for a prefix term, each token that starts so.
double WeightedHits(const QueryTerm& term, const Lexemes& lexemes) {
  double hits = 0;
  if (term.prefix) {
    const std::string& prefix = term.tokens.front();
    for (auto it = lexemes.lower_bound(prefix); it != lexemes.end() && it->first.starts_with(prefix); ++it) {
      for (const Position& p : it->second) hits += ColumnWeight(p.column);
    }
    return hits;
  }
  const std::vector<Position>* first = Find(lexemes, term.tokens.front());
  if (!first) return 0;
  for (const Position& start : *first) {
    bool whole = true;
    for (size_t k = 1; k < term.tokens.size() && whole; ++k) {
      const std::vector<Position>* next = Find(lexemes, term.tokens[k]);
      whole = false;
      if (!next) break;
      for (const Position& p : *next) {
        if (p.at == start.at + static_cast<int>(k) && p.column == start.column) whole = true;
      }
    }
    if (whole) hits += ColumnWeight(start.column);
  }
  return hits;
}

}  // namespace

double Bm25(const std::vector<QueryTerm>& terms, std::string_view tsvector_text, std::int64_t document_tokens,
            const Bm25Corpus& corpus) {
  const Lexemes lexemes = ParseTsvector(tsvector_text);
  const double average = corpus.average_tokens > 0 ? corpus.average_tokens : 1.0;
  const double length_norm = kK1 * (1 - kB + kB * static_cast<double>(document_tokens) / average);
  double score = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].tokens.empty()) continue;
    const double n = static_cast<double>(corpus.rows);
    const double hit_rows = i < corpus.term_rows.size() ? static_cast<double>(corpus.term_rows[i]) : 0;
    double idf = std::log((n - hit_rows + 0.5) / (hit_rows + 0.5));
    if (idf <= 0.0) idf = 1e-6;
    const double freq = WeightedHits(terms[i], lexemes);
    score += idf * (freq * (kK1 + 1.0)) / (freq + length_norm);
  }
  return -score;
}

}  // namespace lm::catalog
