#pragma once
// The checks both the one-pass and the chunked transcode's tests make of a transcode that cannot
// finish: it says why, and leaves nothing behind (no bundle, no staging directory, no chunk spool).

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>

#include "tests/testing/file_size_limit.h"
#include "transcoder/bundle.h"

namespace lm::transcoder {

// Cancelled at its first progress report (a job cancelled mid-transcode), or before it starts (a
// stop that came first): kCancelled, stopped well before the end.
inline void ExpectCancelLeavesNothing(const std::filesystem::path& source, const std::filesystem::path& parent,
                                      const BundleOptions& options, double source_seconds, bool before_start) {
  std::filesystem::create_directories(parent);
  std::atomic<bool> cancel{before_start};
  int calls = 0;
  double most_done_seconds = 0;
  auto result = MakeBundle(
      source, parent / "b", options,
      [&](const Progress& p) {
        ++calls;
        most_done_seconds = std::max(most_done_seconds, p.done_seconds);
        cancel = true;
      },
      &cancel);
  ASSERT_FALSE(result.ok()) << "a cancelled transcode made a bundle";
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << result.status().ToString();
  if (!before_start) {
    EXPECT_GE(calls, 1) << "no progress was reported before the cancel";
  }
  EXPECT_LT(most_done_seconds, source_seconds / 2) << "the transcode went on after the cancel";
  EXPECT_FALSE(std::filesystem::exists(parent / "b"));
  EXPECT_TRUE(std::filesystem::is_empty(parent)) << "the staging dir was left behind";
}

// The disk fills mid-transcode (no file may grow past 64 KiB): the encoders' branches fail while
// the decoder is still feeding them, and the transcode gives the write's error (kIo, "File too
// large"), not that a branch stopped or was cancelled.
inline void ExpectFailedWriteLeavesNothing(const std::filesystem::path& source, const std::filesystem::path& parent,
                                           const BundleOptions& options) {
  std::filesystem::create_directories(parent);
  Result<BundleSummary> result = Internal("not run");
  {
    lm::testing::FileSizeLimit limit(64 * 1024);
    ASSERT_TRUE(limit.ok());
    result = MakeBundle(source, parent / "b", options);
  }
  ASSERT_FALSE(result.ok()) << "a transcode whose files could not be written made a bundle";
  EXPECT_EQ(result.status().code(), StatusCode::kIo) << result.status().ToString();
  EXPECT_NE(result.status().message().find("File too large"), std::string::npos) << result.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(parent / "b"));
  EXPECT_TRUE(std::filesystem::is_empty(parent)) << "the staging dir was left behind";
}

}  // namespace lm::transcoder
