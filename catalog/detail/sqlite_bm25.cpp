#include "catalog/detail/sqlite_bm25.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string_view>
#include <vector>

#include "common/cjk_tokenizer.h"
#include "common/sqlite_db.h"

namespace lm::catalog {

std::optional<std::int64_t> Bm25IndexCounts::FindPhrase(const std::string& phrase, std::uint64_t generation) {
  std::lock_guard lock(mu_);
  if (generation != generation_) return std::nullopt;
  auto it = lessons_.find(phrase);
  if (it == lessons_.end()) return std::nullopt;
  return it->second;
}

void Bm25IndexCounts::KeepPhrase(const std::string& phrase, std::uint64_t generation, std::int64_t lessons) {
  std::lock_guard lock(mu_);
  if (generation != generation_) return;  // counted in an index that has changed since
  if (lessons_.size() >= kMaxPhrases) lessons_.clear();
  lessons_[phrase] = lessons;
}

std::optional<Bm25IndexCounts::Slot> Bm25IndexCounts::SlotOf(std::int64_t rowid) {
  if (rowid < 0) return std::nullopt;
  const auto at = static_cast<std::uint64_t>(rowid);
  const std::size_t block = at >> kBlockBits;
  if (block >= kBlocks) return std::nullopt;
  return Slot{block, at & ((std::uint64_t{1} << kBlockBits) - 1)};
}

std::optional<int> Bm25IndexCounts::FindTokens(std::int64_t rowid) const {
  const std::optional<Slot> slot = SlotOf(rowid);
  if (!slot) return std::nullopt;
  const std::atomic<std::int32_t>* lengths = token_blocks_[slot->block].load(std::memory_order_acquire);
  if (lengths == nullptr) return std::nullopt;
  const std::int32_t kept = lengths[slot->index].load(std::memory_order_relaxed);
  if (kept == 0) return std::nullopt;
  return kept - 1;
}

void Bm25IndexCounts::KeepTokens(std::int64_t rowid, int tokens) {
  const std::optional<Slot> slot = SlotOf(rowid);
  if (!slot || tokens < 0) return;
  std::atomic<std::int32_t>* lengths = token_blocks_[slot->block].load(std::memory_order_acquire);
  if (lengths == nullptr) {
    std::lock_guard lock(mu_);
    lengths = token_blocks_[slot->block].load(std::memory_order_relaxed);
    if (lengths == nullptr) {
      // Value-initialised: every length 0, not known.
      owned_blocks_[slot->block] = std::make_unique<Block>(std::size_t{1} << kBlockBits);
      lengths = owned_blocks_[slot->block].get();
      token_blocks_[slot->block].store(lengths, std::memory_order_release);
    }
  }
  lengths[slot->index].store(tokens + 1, std::memory_order_relaxed);
}

std::uint64_t Bm25IndexCounts::generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

void Bm25IndexCounts::Invalidate() {
  std::lock_guard lock(mu_);
  ++generation_;
  lessons_.clear();
}

namespace {

// What one search's rows share (FTS5 auxiliary data: freed with the statement's cursor).
struct SearchData {
  sqlite3_int64 rows = 0;
  double average_tokens = 0;
  std::uint64_t generation = 0;
  std::vector<std::string> phrases;  // empty: the caller named none (or not one per phrase)
  std::vector<double> idf;           // NaN: not yet counted
  std::vector<double> frequency;     // per row, reused
};

int CountRow(const Fts5ExtensionApi*, Fts5Context*, void* user_data) {
  ++*static_cast<sqlite3_int64*>(user_data);
  return SQLITE_OK;
}

int LoadSearchData(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_value* phrases_arg,
                   Bm25IndexCounts* counts, SearchData** out) {
  if (auto* data = static_cast<SearchData*>(api->xGetAuxdata(fts, 0))) {
    *out = data;
    return SQLITE_OK;
  }
  auto data = std::make_unique<SearchData>();
  const int phrase_count = api->xPhraseCount(fts);
  sqlite3_int64 rows = 0;
  sqlite3_int64 tokens = 0;
  if (int rc = api->xRowCount(fts, &rows); rc != SQLITE_OK) return rc;
  data->rows = rows;
  if (int rc = api->xColumnTotalSize(fts, -1, &tokens); rc != SQLITE_OK) return rc;
  data->average_tokens = static_cast<double>(tokens) / static_cast<double>(data->rows);
  data->generation = counts->generation();
  if (phrases_arg != nullptr && sqlite3_value_type(phrases_arg) == SQLITE_TEXT) {
    std::string_view all(reinterpret_cast<const char*>(sqlite3_value_text(phrases_arg)),
                         static_cast<size_t>(sqlite3_value_bytes(phrases_arg)));
    for (size_t begin = 0; begin <= all.size();) {
      size_t end = all.find('\n', begin);
      if (end == std::string_view::npos) end = all.size();
      data->phrases.emplace_back(all.substr(begin, end - begin));
      begin = end + 1;
    }
    if (static_cast<int>(data->phrases.size()) != phrase_count) data->phrases.clear();
  }
  data->idf.assign(static_cast<size_t>(phrase_count), std::nan(""));
  data->frequency.assign(static_cast<size_t>(phrase_count), 0.0);
  *out = data.get();
  return api->xSetAuxdata(fts, data.release(), [](void* p) { delete static_cast<SearchData*>(p); });
}

// Phrase i's IDF as fts5Bm25GetData computes it, its count kept for later searches.
int PhraseIdf(const Fts5ExtensionApi* api, Fts5Context* fts, Bm25IndexCounts* counts, SearchData& data, int i,
              double* idf) {
  const size_t at = static_cast<size_t>(i);
  if (std::isnan(data.idf[at])) {
    std::optional<std::int64_t> hits;
    if (!data.phrases.empty()) hits = counts->FindPhrase(data.phrases[at], data.generation);
    if (!hits) {
      sqlite3_int64 n = 0;
      if (int rc = api->xQueryPhrase(fts, i, &n, &CountRow); rc != SQLITE_OK) return rc;
      hits = n;
      if (!data.phrases.empty()) counts->KeepPhrase(data.phrases[at], data.generation, n);
    }
    double value = std::log((data.rows - *hits + 0.5) / (*hits + 0.5));
    if (value <= 0.0) value = 1e-6;
    data.idf[at] = value;
  }
  *idf = data.idf[at];
  return SQLITE_OK;
}

// lm_bm25(table, weight per column..., phrases): see the header. The phrases come after one weight
// per column of the table.
void Bm25(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  constexpr double k1 = 1.2;
  constexpr double b = 0.75;
  auto* counts = static_cast<Bm25IndexCounts*>(api->xUserData(fts));
  const int columns = api->xColumnCount(fts);
  const int weights = std::min(argc, columns);
  sqlite3_value* phrases = argc > columns ? argv[columns] : nullptr;
  SearchData* data = nullptr;
  int rc = LoadSearchData(api, fts, phrases, counts, &data);
  int instances = 0;
  if (rc == SQLITE_OK) {
    std::fill(data->frequency.begin(), data->frequency.end(), 0.0);
    rc = api->xInstCount(fts, &instances);
  }
  for (int i = 0; rc == SQLITE_OK && i < instances; ++i) {
    int phrase = 0, column = 0, offset = 0;
    rc = api->xInst(fts, i, &phrase, &column, &offset);
    if (rc == SQLITE_OK) {
      const double w = weights > column ? sqlite3_value_double(argv[column]) : 1.0;
      data->frequency[static_cast<size_t>(phrase)] += w;
    }
  }
  double D = 0.0;
  if (rc == SQLITE_OK) {
    const sqlite3_int64 rowid = api->xRowid(fts);
    std::optional<int> tokens = counts->FindTokens(rowid);
    if (!tokens) {
      int n = 0;
      rc = api->xColumnSize(fts, -1, &n);
      if (rc == SQLITE_OK) counts->KeepTokens(rowid, n);
      tokens = n;
    }
    D = static_cast<double>(*tokens);
  }
  double score = 0.0;
  for (size_t i = 0; rc == SQLITE_OK && i < data->frequency.size(); ++i) {
    const double f = data->frequency[i];
    // A phrase this lesson lacks (or holds only in columns of weight 0) adds 0 whatever its IDF.
    if (f == 0.0) continue;
    double idf = 0;
    rc = PhraseIdf(api, fts, counts, *data, static_cast<int>(i), &idf);
    if (rc == SQLITE_OK) score += idf * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * D / data->average_tokens)));
  }
  if (rc == SQLITE_OK) {
    sqlite3_result_double(ctx, -1.0 * score);
  } else {
    sqlite3_result_error_code(ctx, rc);
  }
}

}  // namespace

Status RegisterBm25Function(sqlite3* db, Bm25IndexCounts* counts) {
  ASSIGN_OR_RETURN(fts5_api * api, Fts5Api(db));
  return sql::SqliteStatus(nullptr, api->xCreateFunction(api, kBm25FunctionName, counts, &Bm25, nullptr),
                           "register " + std::string(kBm25FunctionName));
}

}  // namespace lm::catalog
