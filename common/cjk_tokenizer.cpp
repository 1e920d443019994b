#include "common/cjk_tokenizer.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <string>

#include "common/sqlite_db.h"

namespace lm {
namespace {

// ---------------------------------------------------------------------------------------------
// Characters

// What a code point is to the tokenizer. Runs of kWord form one lower-cased token; each kCjk
// character is a unigram and starts a bigram with the next one; kSeparator ends a run.
enum class CharClass { kSeparator, kWord, kCjk };

struct CharRange {
  char32_t first;
  char32_t last;
  CharClass cls;
};

// Non-ASCII code points not listed here are word characters (letters and marks of the
// alphabetic scripts). Sorted by `first`, non-overlapping.
constexpr std::array kRanges = {
    CharRange{0x0080, 0x00A9, CharClass::kSeparator},  // C1 controls, Latin-1 punctuation
    CharRange{0x00AB, 0x00B4, CharClass::kSeparator},
    CharRange{0x00B6, 0x00B9, CharClass::kSeparator},
    CharRange{0x00BB, 0x00BF, CharClass::kSeparator},
    CharRange{0x00D7, 0x00D7, CharClass::kSeparator},  // ×
    CharRange{0x00F7, 0x00F7, CharClass::kSeparator},  // ÷
    CharRange{0x037E, 0x037E, CharClass::kSeparator},  // Greek question mark
    CharRange{0x0387, 0x0387, CharClass::kSeparator},  // Greek ano teleia
    CharRange{0x060C, 0x060C, CharClass::kSeparator},  // Arabic comma
    CharRange{0x061B, 0x061B, CharClass::kSeparator},
    CharRange{0x061F, 0x061F, CharClass::kSeparator},
    CharRange{0x066A, 0x066D, CharClass::kSeparator},
    CharRange{0x06D4, 0x06D4, CharClass::kSeparator},
    CharRange{0x0964, 0x0965, CharClass::kSeparator},  // Devanagari danda
    CharRange{0x1100, 0x11FF, CharClass::kCjk},        // Hangul Jamo
    CharRange{0x1680, 0x1680, CharClass::kSeparator},  // Ogham space
    CharRange{0x2000, 0x2BFF, CharClass::kSeparator},  // spaces, punctuation, symbols, arrows…
    CharRange{0x2E00, 0x2E7F, CharClass::kSeparator},  // supplemental punctuation
    CharRange{0x2E80, 0x2FFF, CharClass::kCjk},        // CJK and Kangxi radicals
    CharRange{0x3000, 0x3004, CharClass::kSeparator},  // ideographic space, 、。〃〄
    CharRange{0x3005, 0x3007, CharClass::kCjk},        // 々〆〇
    CharRange{0x3008, 0x3020, CharClass::kSeparator},  // 《》「」【】〜…
    CharRange{0x3021, 0x3029, CharClass::kCjk},        // Hangzhou numerals
    CharRange{0x302A, 0x3030, CharClass::kSeparator},
    CharRange{0x3031, 0x3035, CharClass::kCjk},  // kana repeat marks
    CharRange{0x3036, 0x303A, CharClass::kSeparator},
    CharRange{0x303B, 0x303C, CharClass::kCjk},
    CharRange{0x303D, 0x303F, CharClass::kSeparator},
    CharRange{0x3040, 0x309F, CharClass::kCjk},        // Hiragana
    CharRange{0x30A0, 0x30A0, CharClass::kSeparator},  // ゠
    CharRange{0x30A1, 0x30FA, CharClass::kCjk},        // Katakana
    CharRange{0x30FB, 0x30FB, CharClass::kSeparator},  // ・
    CharRange{0x30FC, 0x31FF, CharClass::kCjk},        // ー, Bopomofo, Hangul jamo, strokes…
    CharRange{0x3200, 0x33FF, CharClass::kSeparator},  // enclosed CJK, CJK compatibility (㎡)
    CharRange{0x3400, 0x4DBF, CharClass::kCjk},        // CJK Unified Ideographs Extension A
    CharRange{0x4DC0, 0x4DFF, CharClass::kSeparator},  // Yijing hexagrams
    CharRange{0x4E00, 0x9FFF, CharClass::kCjk},        // CJK Unified Ideographs
    CharRange{0xA000, 0xA4CF, CharClass::kCjk},        // Yi
    CharRange{0xA960, 0xA97F, CharClass::kCjk},        // Hangul Jamo Extended-A
    CharRange{0xAC00, 0xD7FF, CharClass::kCjk},        // Hangul syllables, Jamo Extended-B
    CharRange{0xD800, 0xF8FF, CharClass::kSeparator},  // surrogates, private use
    CharRange{0xF900, 0xFAFF, CharClass::kCjk},        // CJK Compatibility Ideographs
    CharRange{0xFD3E, 0xFD3F, CharClass::kSeparator},
    CharRange{0xFE00, 0xFE6F, CharClass::kSeparator},  // variation selectors, vertical/small forms
    CharRange{0xFEFF, 0xFEFF, CharClass::kSeparator},  // BOM
    CharRange{0xFF00, 0xFF0F, CharClass::kSeparator},  // full-width ！＂＃…／
    CharRange{0xFF10, 0xFF19, CharClass::kWord},       // full-width digits
    CharRange{0xFF1A, 0xFF20, CharClass::kSeparator},  // ：；＜＝＞？＠
    CharRange{0xFF21, 0xFF3A, CharClass::kWord},       // full-width A-Z
    CharRange{0xFF3B, 0xFF40, CharClass::kSeparator},
    CharRange{0xFF41, 0xFF5A, CharClass::kWord},          // full-width a-z
    CharRange{0xFF5B, 0xFF65, CharClass::kSeparator},     // ｛｜｝～ and half-width 。「」、・
    CharRange{0xFF66, 0xFFDC, CharClass::kCjk},           // half-width Katakana and Hangul
    CharRange{0xFFDD, 0xFFFF, CharClass::kSeparator},     // full-width signs, specials
    CharRange{0x1B000, 0x1B16F, CharClass::kCjk},         // Kana supplement and extensions
    CharRange{0x1F000, 0x1FBFF, CharClass::kSeparator},   // emoji, pictographs, game symbols
    CharRange{0x20000, 0x3FFFF, CharClass::kCjk},         // CJK Extensions B-H, compatibility supp.
    CharRange{0xE0000, 0xE01EF, CharClass::kSeparator},   // tags, variation selectors supplement
    CharRange{0xF0000, 0x10FFFF, CharClass::kSeparator},  // supplementary private use
};

CharClass Classify(char32_t c) {
  if (c < 0x80) {
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    return alnum ? CharClass::kWord : CharClass::kSeparator;
  }
  const auto* it =
      std::upper_bound(kRanges.begin(), kRanges.end(), c, [](char32_t v, const CharRange& r) { return v < r.first; });
  if (it != kRanges.begin() && c <= std::prev(it)->last) return std::prev(it)->cls;
  return CharClass::kWord;
}

// Simple lower-casing for ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic; full-width
// Latin letters and digits fold to ASCII (as typed by Chinese input methods: Ｕｎｉｔ３).
char32_t FoldCase(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 0x20 : c;
  if (c >= 0xC0 && c <= 0xDE && c != 0xD7) return c + 0x20;
  if ((c >= 0x0100 && c <= 0x0137) || (c >= 0x014A && c <= 0x0177)) return c | 1;
  if ((c >= 0x0139 && c <= 0x0148) || (c >= 0x0179 && c <= 0x017E)) return (c & 1) ? c + 1 : c;
  if (c == 0x0178) return 0x00FF;
  if (c >= 0x0391 && c <= 0x03A9 && c != 0x03A2) return c + 0x20;
  if (c == 0x0386) return 0x03AC;
  if (c >= 0x0388 && c <= 0x038A) return c + 0x25;
  if (c == 0x038C) return 0x03CC;
  if (c == 0x038E || c == 0x038F) return c + 0x3F;
  if (c >= 0x0410 && c <= 0x042F) return c + 0x20;
  if (c >= 0x0400 && c <= 0x040F) return c + 0x50;
  if (c >= 0xFF10 && c <= 0xFF19) return c - 0xFF10 + '0';
  if (c >= 0xFF21 && c <= 0xFF3A) return c - 0xFF21 + 'a';
  if (c >= 0xFF41 && c <= 0xFF5A) return c - 0xFF41 + 'a';
  return c;
}

void AppendUtf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// One code point and the bytes [begin, end) it occupies in the input.
struct CodePoint {
  char32_t value = 0;
  bool valid = false;
  size_t begin = 0;
  size_t end = 0;
};

// Decodes the code point starting at text[pos] (pos < text.size()). Overlong forms,
// surrogates, values above U+10FFFF and truncated sequences are invalid and span one byte,
// so decoding resumes at the next byte and never reads past the end.
CodePoint DecodeAt(std::string_view text, size_t pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  const CodePoint invalid{0, false, pos, pos + 1};
  if (lead < 0x80) return {lead, true, pos, pos + 1};
  size_t len = 0;
  char32_t value = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    value = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    value = lead & 0x0F;
    if (lead == 0xE0) second_min = 0xA0;  // overlong
    if (lead == 0xED) second_max = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    value = lead & 0x07;
    if (lead == 0xF0) second_min = 0x90;  // overlong
    if (lead == 0xF4) second_max = 0x8F;  // above U+10FFFF
  } else {
    return invalid;
  }
  if (text.size() - pos < len) return invalid;
  for (size_t i = 1; i < len; ++i) {
    const unsigned char b = byte(pos + i);
    const unsigned char min = i == 1 ? second_min : 0x80;
    const unsigned char max = i == 1 ? second_max : 0xBF;
    if (b < min || b > max) return invalid;
    value = (value << 6) | (b & 0x3F);
  }
  return {value, true, pos, pos + len};
}

CharClass ClassAt(const CodePoint& cp) { return cp.valid ? Classify(cp.value) : CharClass::kSeparator; }

// A maximal run of word or CJK characters: bytes [begin, end), `chars` code points.
struct Run {
  CharClass cls = CharClass::kSeparator;
  size_t begin = 0;
  size_t end = 0;
  size_t chars = 0;
};

// Finds the next run at or after `pos`; returns a run of class kSeparator at the end of text.
Run NextRun(std::string_view text, size_t pos) {
  Run run;
  while (pos < text.size()) {
    const CodePoint cp = DecodeAt(text, pos);
    const CharClass cls = ClassAt(cp);
    if (run.cls == CharClass::kSeparator) {
      if (cls != CharClass::kSeparator) run = {cls, cp.begin, cp.end, 1};
    } else if (cls == run.cls) {
      run.end = cp.end;
      ++run.chars;
    } else {
      break;
    }
    pos = cp.end;
  }
  return run;
}

// ---------------------------------------------------------------------------------------------
// The FTS5 tokenizer

using TokenCallback = int (*)(void* ctx, int tflags, const char* token, int token_bytes, int start, int end);

// Emits the tokens of one run; `query`: FTS5 is tokenizing a phrase of a MATCH expression.
int EmitRun(std::string_view text, const Run& run, bool query, std::string& buf, void* ctx, TokenCallback emit) {
  const auto token = [&](int tflags, const char* data, size_t size_bytes, size_t begin, size_t end) {
    return emit(ctx, tflags, data, static_cast<int>(size_bytes), static_cast<int>(begin), static_cast<int>(end));
  };
  if (run.cls == CharClass::kWord) {
    buf.clear();
    for (size_t pos = run.begin; pos < run.end;) {
      const CodePoint cp = DecodeAt(text, pos);
      AppendUtf8(FoldCase(cp.value), buf);
      pos = cp.end;
    }
    return token(0, buf.data(), buf.size(), run.begin, run.end);
  }
  // CJK. A document (or an auxiliary function re-reading one) holds, at the position of each
  // character, its unigram and, colocated, the bigram it starts. A query of one character asks
  // for its unigram; a query of n >= 2 characters for its n-1 bigrams at consecutive positions,
  // and nothing more: a two-character word is then one token, with no positions to compare,
  // which is what makes searches for common words cheap (bench/catalog_search). The price:
  // FTS5's highlight() would mark such a match one character short (it is not used).
  CodePoint cur = DecodeAt(text, run.begin);
  for (size_t i = 0; i < run.chars; ++i) {
    const bool last = i + 1 == run.chars;
    const CodePoint next = last ? CodePoint{} : DecodeAt(text, cur.end);
    if (!query || (last && run.chars == 1)) {
      if (const int rc = token(0, text.data() + cur.begin, cur.end - cur.begin, cur.begin, cur.end); rc != SQLITE_OK) {
        return rc;
      }
    }
    if (!last) {
      const int tflags = query ? 0 : FTS5_TOKEN_COLOCATED;
      if (const int rc = token(tflags, text.data() + cur.begin, next.end - cur.begin, cur.begin, next.end);
          rc != SQLITE_OK) {
        return rc;
      }
    }
    cur = next;
  }
  return SQLITE_OK;
}

// The tokenizer holds no options; the object exists because FTS5 hands one to every call.
struct CjkTokenizer {};

int CreateTokenizer(void* /*user_data*/, const char** /*args*/, int arg_count, Fts5Tokenizer** out) noexcept {
  *out = nullptr;
  if (arg_count != 0) return SQLITE_ERROR;  // lm_cjk takes no options
  try {
    *out = reinterpret_cast<Fts5Tokenizer*>(std::make_unique<CjkTokenizer>().release());
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

void DeleteTokenizer(Fts5Tokenizer* tokenizer) noexcept {
  std::unique_ptr<CjkTokenizer> owned(reinterpret_cast<CjkTokenizer*>(tokenizer));
}

int Tokenize(Fts5Tokenizer* /*tokenizer*/, void* ctx, int flags, const char* data, int size_bytes,
             TokenCallback emit) noexcept {
  if (data == nullptr || size_bytes <= 0) return SQLITE_OK;
  // FTS5_TOKENIZE_PREFIX comes only together with FTS5_TOKENIZE_QUERY (so test the bit, not
  // the value): FTS5 then matches the last token as a prefix. The tokens are the same; for CJK
  // the last token is a unigram, whose prefix matches only the unigram and the bigrams at the
  // same positions, so "光"* finds what "光" finds, and "数学广"* what "数学广" finds.
  // FTS5_TOKENIZE_AUX re-reads a stored document (highlight, snippet): same as a document.
  const bool query = (flags & FTS5_TOKENIZE_QUERY) != 0;
  const std::string_view text(data, static_cast<size_t>(size_bytes));
  try {
    std::string buf;
    for (Run run = NextRun(text, 0); run.cls != CharClass::kSeparator; run = NextRun(text, run.end)) {
      if (const int rc = EmitRun(text, run, query, buf, ctx, emit); rc != SQLITE_OK) return rc;
    }
  } catch (const std::bad_alloc&) {
    return SQLITE_NOMEM;
  }
  return SQLITE_OK;
}

}  // namespace

Result<fts5_api*> Fts5Api(sqlite3* db) {
  ASSIGN_OR_RETURN(sql::Statement stmt, sql::Statement::Prepare(db, "SELECT fts5(?1)"));
  fts5_api* api = nullptr;
  RETURN_IF_ERROR(
      sql::SqliteStatus(db, sqlite3_bind_pointer(stmt.get(), 1, &api, "fts5_api_ptr", nullptr), "bind fts5_api_ptr"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  (void)row;
  if (api == nullptr) return Internal("SQLite has no FTS5 API");
  return api;
}

Status RegisterCjkTokenizer(sqlite3* db) {
  ASSIGN_OR_RETURN(fts5_api * api, Fts5Api(db));
  fts5_tokenizer tokenizer{&CreateTokenizer, &DeleteTokenizer, &Tokenize};  // FTS5 keeps a copy
  const int rc = api->xCreateTokenizer(api, kCjkTokenizerName, nullptr, &tokenizer, nullptr);
  return sql::SqliteStatus(nullptr, rc, "register tokenizer lm_cjk");
}

std::string FtsMatchExpression(std::string_view user_query) {
  // Every term is a quoted FTS5 string made only of word or CJK characters (the same classes
  // the tokenizer uses, so each yields at least one token); FTS5 syntax characters and invalid
  // bytes are separators and never reach the expression.
  std::string out;
  for (Run run = NextRun(user_query, 0); run.cls != CharClass::kSeparator; run = NextRun(user_query, run.end)) {
    if (!out.empty()) out += " AND ";
    out += '"';
    for (char c : user_query.substr(run.begin, run.end - run.begin)) {
      out += c;
      if (c == '"') out += '"';
    }
    out += '"';
    if (run.cls == CharClass::kWord && run.chars >= 2) out += '*';
  }
  return out;
}

namespace {

// Collects what EmitRun emits: FTS5's positions (a colocated token takes the previous one's).
struct TokenSink {
  std::vector<IndexToken>* out;
  int next_position = 0;

  static int Emit(void* ctx, int tflags, const char* token, int token_bytes, int /*start*/, int /*end*/) {
    auto* sink = static_cast<TokenSink*>(ctx);
    int position = sink->next_position;
    if ((tflags & FTS5_TOKEN_COLOCATED) != 0 && position > 0) --position;
    sink->out->push_back({std::string(token, static_cast<size_t>(token_bytes)), position});
    sink->next_position = position + 1;
    return SQLITE_OK;
  }
};

}  // namespace

std::vector<IndexToken> CjkIndexTokens(std::string_view text) {
  std::vector<IndexToken> out;
  TokenSink sink{&out};
  std::string buf;
  for (Run run = NextRun(text, 0); run.cls != CharClass::kSeparator; run = NextRun(text, run.end)) {
    (void)EmitRun(text, run, /*query=*/false, buf, &sink, &TokenSink::Emit);
  }
  return out;
}

std::vector<QueryTerm> CjkQueryTerms(std::string_view user_query) {
  std::vector<QueryTerm> terms;
  std::string buf;
  for (Run run = NextRun(user_query, 0); run.cls != CharClass::kSeparator; run = NextRun(user_query, run.end)) {
    std::vector<IndexToken> tokens;
    TokenSink sink{&tokens};
    (void)EmitRun(user_query, run, /*query=*/true, buf, &sink, &TokenSink::Emit);
    QueryTerm term;
    for (IndexToken& t : tokens) term.tokens.push_back(std::move(t.text));
    term.prefix = run.cls == CharClass::kWord && run.chars >= 2;
    terms.push_back(std::move(term));
  }
  return terms;
}

}  // namespace lm
