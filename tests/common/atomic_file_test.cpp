#include "common/atomic_file.h"

#include <gtest/gtest.h>

#include "tests/testing/temp_dir.h"

namespace lm {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

size_t EntriesIn(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(AtomicFileTest, WriteFileAtomicallyReplacesWholeFile) {
  TempDir tmp;
  ASSERT_TRUE(WriteFileAtomically(tmp / "a.json", "{\"v\":1}").ok());
  ASSERT_TRUE(WriteFileAtomically(tmp / "a.json", "{\"v\":2}").ok());
  EXPECT_EQ(ReadFile(tmp / "a.json"), "{\"v\":2}");
  EXPECT_EQ(EntriesIn(tmp.path()), 1u);  // no temporary left behind
}

TEST(AtomicFileTest, UncommittedStagingDirLeavesNothing) {
  TempDir tmp;
  {
    auto staging = StagingDir::Create(tmp / "bundle");
    ASSERT_TRUE(staging.ok());
    WriteFile(staging->path() / "half.mp4", "partial");
  }
  EXPECT_EQ(EntriesIn(tmp.path()), 0u);
}

TEST(AtomicFileTest, CommitMovesIntoPlaceAndReplacesOld) {
  TempDir tmp;
  fs::create_directories(tmp / "bundle");
  WriteFile(tmp / "bundle" / "old.txt", "old");
  auto staging = StagingDir::Create(tmp / "bundle");
  ASSERT_TRUE(staging.ok());
  WriteFile(staging->path() / "new.txt", "new");
  ASSERT_TRUE(staging->Commit().ok());
  EXPECT_EQ(ReadFile(tmp / "bundle" / "new.txt"), "new");
  EXPECT_FALSE(fs::exists(tmp / "bundle" / "old.txt"));
  EXPECT_EQ(EntriesIn(tmp.path()), 1u);
}

TEST(AtomicFileTest, CommitRefusesToReplaceAFile) {
  TempDir tmp;
  WriteFile(tmp / "bundle", "a file");
  auto staging = StagingDir::Create(tmp / "bundle");
  ASSERT_TRUE(staging.ok());
  Status st = staging->Commit();
  EXPECT_EQ(st.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(tmp / "bundle"), "a file");
}

}  // namespace
}  // namespace lm
