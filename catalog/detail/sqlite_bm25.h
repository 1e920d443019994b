#pragma once
// lm_bm25(lessons_fts, weights..., phrases): FTS5's bm25() (fts5_aux.c: k1 = 1.2, b = 0.75, the
// same arithmetic in the same order, so the same scores to the last bit) with two costs taken out.
// bm25 needs, for each query phrase, the number of lessons it matches (its IDF), and FTS5 counts
// that by walking the phrase's whole doclist on every search: a third of the index for 实验, and
// position checks over every lesson holding all the bigrams of 名师课堂.
//   - A phrase is counted only when a ranked lesson holds it in a column of non-zero weight: a
//     subject or grade filter (weight 0) adds nothing to any score, so it is never counted.
//   - Counts are kept in Bm25IndexCounts, keyed by the phrase as written in the MATCH expression
//     (the last argument: the phrases, in order, one per line) and dropped whenever a lesson is
//     registered or superseded (which takes it out of the index). A search racing either may rank
//     with a count that is one lesson off.
//   - So is each ranked lesson's length in tokens, which FTS5 reads with a statement of its own
//     (a lookup in its docsize table) for every lesson ranked: a quarter of a search's CPU. A
//     registration only adds rows (a revision is a new lesson), so lengths outlive it, keyed by
//     rowid; a superseded lesson's row leaves the index and is never ranked again, so its length
//     is merely never asked for. A store that reused rowids would have to drop them.
// Registered on each connection of the SQLite catalog store; the counts are shared by all of them
// and thread-safe.

#include <sqlite3.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "common/status.h"

namespace lm::catalog {

// The SQL function's name.
inline constexpr char kBm25FunctionName[] = "lm_bm25";

class Bm25IndexCounts {
 public:
  // The lessons `phrase` matched in the index as it was at `generation`, if known.
  std::optional<std::int64_t> FindPhrase(const std::string& phrase, std::uint64_t generation);
  void KeepPhrase(const std::string& phrase, std::uint64_t generation, std::int64_t lessons);
  // The tokens of the lesson at `rowid` (all its columns), if known. Asked for every lesson a
  // search ranks, by every connection at once, so it takes no lock.
  std::optional<int> FindTokens(std::int64_t rowid) const;
  void KeepTokens(std::int64_t rowid, int tokens);
  std::uint64_t generation();
  // A lesson was registered or superseded: the phrase counts are dropped; the lengths stay.
  void Invalidate();

 private:
  // Past this many phrases, the counts start again.
  static constexpr std::size_t kMaxPhrases = 50000;
  // Lengths by rowid, in blocks made as rowids reach them: 256 KiB for each 65,536 rowids. A
  // rowid from 2^26 (67 million) on is not kept: its length is read from the index every time.
  static constexpr int kBlockBits = 16;
  static constexpr std::size_t kBlocks = 1024;
  using Block = std::atomic<std::int32_t>[];  // a length plus one; 0: not known
  struct Slot {
    std::size_t block, index;
  };
  // Where `rowid`'s length is kept; none for a rowid the table does not hold.
  static std::optional<Slot> SlotOf(std::int64_t rowid);

  std::mutex mu_;  // the phrase counts, the generation, and making a block of lengths
  std::uint64_t generation_ = 0;
  std::unordered_map<std::string, std::int64_t> lessons_;
  std::array<std::atomic<std::atomic<std::int32_t>*>, kBlocks> token_blocks_{};
  std::array<std::unique_ptr<Block>, kBlocks> owned_blocks_;  // frees them; written under mu_
};

// Registers lm_bm25 on `db`, counting phrases through `counts` (which must outlive `db`).
Status RegisterBm25Function(sqlite3* db, Bm25IndexCounts* counts);

}  // namespace lm::catalog
