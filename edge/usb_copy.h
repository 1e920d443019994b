#pragma once
// Copies one file between a USB drive and a disk so that it appears whole or not at all: the
// bytes go to "<dest>.part", are hashed (XXH3-128) as they pass, fsynced, and renamed into place.
// Used by the USB export and import. Reentrant.

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace lm {
class ProgressBar;
}

namespace lm::edge {

struct CopiedFile {
  std::int64_t size_bytes = 0;
  std::string xxh3_128;  // of the bytes read
};

// `check` runs on the copy before it is renamed into place (a wrong digest returns its Status and
// the partial file is removed). `on_bytes` is called after each chunk with its size. A failure to
// read `source` is kIo and says "cannot read <source>".
Result<CopiedFile> CopyFileDurably(const std::filesystem::path& source, const std::filesystem::path& dest,
                                   const std::function<Status(const CopiedFile&)>& check,
                                   const std::function<void(std::int64_t)>& on_bytes);

// Bytes copied so far out of a total, shown with the shared progress bar (common/progress_bar.h);
// `out` null shows nothing. Called from one thread.
class CopyProgress {
 public:
  CopyProgress(std::FILE* out, std::int64_t total_bytes);
  ~CopyProgress();
  void Add(std::int64_t bytes);
  void Finish();

 private:
  std::unique_ptr<ProgressBar> bar_;
  std::int64_t total_bytes_;
  std::int64_t done_bytes_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_update_{};
};

}  // namespace lm::edge
