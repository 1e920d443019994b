#pragma once
// Durable file writes: a file or directory becomes visible under its final name only when it is
// complete and on disk (write to a temporary name, fsync, rename, fsync the parent).

#include <filesystem>
#include <string_view>

#include "common/status.h"

namespace lm {

// Writes `bytes` to `path` through a temporary sibling, then fsyncs and renames it into place.
// `mode` is the new file's permission bits (0600 for secrets).
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view bytes, unsigned mode = 0644);

// fsync on a directory, so that a rename inside it survives a power cut.
Status SyncDirectory(const std::filesystem::path& dir);

// A directory that is built under a hidden temporary name beside `final_path` and moved into place
// by Commit(). If it is destroyed without Commit(), it and everything in it are removed, so a
// reader never sees a half-built directory. Not thread-safe.
class StagingDir {
 public:
  static Result<StagingDir> Create(const std::filesystem::path& final_path);

  StagingDir(StagingDir&& other) noexcept;
  StagingDir& operator=(StagingDir&&) = delete;
  StagingDir(const StagingDir&) = delete;
  ~StagingDir();

  const std::filesystem::path& path() const { return temp_path_; }

  // fsyncs the directory and renames it to the final path. An existing directory at the final
  // path is swapped out atomically and then removed.
  Status Commit();

 private:
  StagingDir(std::filesystem::path temp, std::filesystem::path final_path)
      : temp_path_(std::move(temp)), final_path_(std::move(final_path)) {}

  std::filesystem::path temp_path_;
  std::filesystem::path final_path_;
  bool active_ = true;
};

}  // namespace lm
