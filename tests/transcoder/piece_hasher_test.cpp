// The piece hashes we compute while writing must give exactly the torrent libtorrent computes by
// reading the same files from disk: v1 pieces across pad files, v2 merkle roots for files shorter
// than a block, than a piece, exactly a piece, and several pieces.

#include <gtest/gtest.h>

#include <random>

#include "tests/testing/temp_dir.h"
#include "tests/testing/torrent_reference.h"
#include "transcoder/detail/hashing_file.h"
#include "transcoder/detail/torrent_maker.h"

namespace lm::transcoder {
namespace {

namespace fs = std::filesystem;
constexpr int kPiece = 256 * 1024;

std::string RandomBytes(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

class PieceHasherTest : public ::testing::TestWithParam<std::vector<size_t>> {};

TEST_P(PieceHasherTest, StreamedHashesEqualLibtorrentFromDisk) {
  lm::testing::TempDir tmp;
  const fs::path root = tmp / "lesson-x";
  fs::create_directories(root);
  std::vector<FileDigest> digests;
  unsigned seed = 1;
  for (size_t size : GetParam()) {
    const std::string name = "f" + std::to_string(seed) + ".bin";
    const std::string bytes = RandomBytes(size, seed++);
    auto file = HashingFile::Create(root, name, kPiece);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    // Odd-sized writes, as a muxer makes them.
    for (size_t pos = 0; pos < bytes.size();) {
      const size_t n = std::min<size_t>(bytes.size() - pos, 1000 + pos % 7777);
      ASSERT_TRUE((*file)->Write(bytes.data() + pos, n).ok());
      pos += n;
    }
    auto digest = (*file)->Close();
    ASSERT_TRUE(digest.ok());
    EXPECT_EQ(digest->size_bytes, static_cast<std::int64_t>(size));
    EXPECT_EQ(digest->xxh3, Xxh3Of(bytes));
    digests.push_back(std::move(*digest));
  }
  auto ours = MakeTorrent({"lesson-x", kPiece, {}, {}}, digests);
  ASSERT_TRUE(ours.ok()) << ours.status().ToString();
  const auto reference = lm::testing::LibtorrentInfoHashesOf(root, kPiece, "");
  EXPECT_EQ(lm::testing::InfoHashesOfTorrent(ours->bytes), reference);
  EXPECT_EQ(ours->info_hash_v1, reference.v1);
  EXPECT_EQ(ours->info_hash_v2, reference.v2);
}

INSTANTIATE_TEST_SUITE_P(
    FileSizes, PieceHasherTest,
    ::testing::Values(std::vector<size_t>{1}, std::vector<size_t>{16 * 1024 - 1, 16 * 1024 + 1},
                      std::vector<size_t>{kPiece}, std::vector<size_t>{3 * kPiece + 12345, 700, 5 * 16 * 1024},
                      std::vector<size_t>{kPiece - 1, kPiece + 1, 2 * kPiece}));

}  // namespace
}  // namespace lm::transcoder
