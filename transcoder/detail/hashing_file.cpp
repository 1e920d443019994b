#include "transcoder/detail/hashing_file.h"

#include "common/unique_fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace lm::transcoder {

Result<std::unique_ptr<HashingFile>> HashingFile::Create(const std::filesystem::path& dir, std::string relative_path,
                                                         int piece_size_bytes) {
  std::filesystem::path full = dir / relative_path;
  int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("create " + full.string(), errno);
  return std::unique_ptr<HashingFile>(new HashingFile(fd, std::move(full), std::move(relative_path), piece_size_bytes));
}

HashingFile::HashingFile(int fd, std::filesystem::path full, std::string relative, int piece_size)
    : fd_(fd), full_path_(std::move(full)), relative_path_(std::move(relative)), pieces_(piece_size) {}

HashingFile::~HashingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status HashingFile::Write(const void* data, std::size_t size) {
  if (fd_ < 0) return Internal("write after close: " + relative_path_);
  const auto* p = static_cast<const std::uint8_t*>(data);
  const auto t0 = std::chrono::steady_clock::now();
  xxh3_.Update(p, size);
  pieces_.Update(p, size);
  hash_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  bytes_ += static_cast<std::int64_t>(size);
  return WriteAll(fd_, std::string_view(static_cast<const char*>(data), size), full_path_.string());
}

Result<FileDigest> HashingFile::Close() {
  if (fd_ < 0) return Internal("double close: " + relative_path_);
  int fd = std::exchange(fd_, -1);
  if (::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus("fsync " + full_path_.string(), err);
  }
  if (::close(fd) != 0) return ErrnoStatus("close " + full_path_.string(), errno);
  FileDigest d;
  d.path = relative_path_;
  d.size_bytes = bytes_;
  d.xxh3 = xxh3_.Digest();
  const auto t0 = std::chrono::steady_clock::now();
  d.pieces = pieces_.Finish();
  hash_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count();
  d.hash_seconds = static_cast<double>(hash_ns_) / 1e9;
  return d;
}

Result<FileDigest> WriteHashedFile(const std::filesystem::path& dir, std::string relative_path, std::string_view bytes,
                                   int piece_size_bytes) {
  ASSIGN_OR_RETURN(auto file, HashingFile::Create(dir, std::move(relative_path), piece_size_bytes));
  RETURN_IF_ERROR(file->Write(bytes));
  return file->Close();
}

}  // namespace lm::transcoder
