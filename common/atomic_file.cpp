#include "common/atomic_file.h"

#include "common/unique_fd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace lm {
namespace fs = std::filesystem;

namespace {



}  // namespace

Status SyncDirectory(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus("open " + dir.string(), errno);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync " + dir.string(), errno);
  return Status::Ok();
}

Status WriteFileAtomically(const fs::path& path, std::string_view bytes, unsigned mode) {
  fs::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (fd.get() < 0) return ErrnoStatus("create " + tmp.string(), errno);
  Status st = WriteAll(fd.get(), bytes, tmp.string());
  if (st.ok() && ::fsync(fd.get()) != 0) st = ErrnoStatus("fsync " + tmp.string(), errno);
  if (st.ok() && ::close(fd.release()) != 0) st = ErrnoStatus("close " + tmp.string(), errno);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) st = ErrnoStatus("rename " + path.string(), errno);
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDirectory(path.has_parent_path() ? path.parent_path() : fs::path("."));
}

Result<StagingDir> StagingDir::Create(const fs::path& final_path) {
  fs::path final_abs = fs::absolute(final_path).lexically_normal();
  if (final_abs.filename().empty()) final_abs = final_abs.parent_path();
  fs::path parent = final_abs.parent_path();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) return IoError("create " + parent.string() + ": " + ec.message());
  std::string templ = (parent / ("." + final_abs.filename().string() + ".tmp-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) return ErrnoStatus("mkdtemp " + templ, errno);
  return StagingDir(fs::path(templ), final_abs);
}

StagingDir::StagingDir(StagingDir&& other) noexcept
    : temp_path_(std::move(other.temp_path_)), final_path_(std::move(other.final_path_)), active_(other.active_) {
  other.active_ = false;
}

StagingDir::~StagingDir() {
  if (!active_) return;
  std::error_code ec;
  fs::remove_all(temp_path_, ec);
}

Status StagingDir::Commit() {
  if (!active_) return Internal("staging directory already committed");
  RETURN_IF_ERROR(SyncDirectory(temp_path_));
  fs::path parent = final_path_.parent_path();
  if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, final_path_.c_str(), RENAME_NOREPLACE) == 0) {
    active_ = false;
    return SyncDirectory(parent);
  }
  if (errno != EEXIST) return ErrnoStatus("rename " + temp_path_.string() + " to " + final_path_.string(), errno);
  // Something is already there: swap atomically, then remove what was swapped out (it now sits at
  // the temporary name and is removed there).
  if (!fs::is_directory(final_path_)) {
    return Status(StatusCode::kAlreadyExists, final_path_.string() + " exists and is not a directory");
  }
  if (::renameat2(AT_FDCWD, temp_path_.c_str(), AT_FDCWD, final_path_.c_str(), RENAME_EXCHANGE) != 0) {
    return ErrnoStatus("swap " + temp_path_.string() + " with " + final_path_.string(), errno);
  }
  RETURN_IF_ERROR(SyncDirectory(parent));
  std::error_code ec;
  fs::remove_all(temp_path_, ec);
  active_ = false;
  return Status::Ok();
}

}  // namespace lm
