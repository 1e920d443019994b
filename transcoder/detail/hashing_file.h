#pragma once
// A bundle file being written: every byte goes to disk and, in the same pass, into the file's
// XXH3-128 and its torrent piece hashes, so outputs are never read back to be hashed.
// One writer per file; not thread-safe.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"
#include "common/xxh3.h"
#include "transcoder/detail/piece_hasher.h"

namespace lm::transcoder {

struct FileDigest {
  std::string path;  // relative to the bundle root
  std::int64_t size_bytes = 0;
  Xxh3Digest xxh3;
  PieceHashes pieces;
  double hash_seconds = 0;  // time spent hashing while writing
};

class HashingFile {
 public:
  static Result<std::unique_ptr<HashingFile>> Create(const std::filesystem::path& dir, std::string relative_path,
                                                     int piece_size_bytes);
  ~HashingFile();
  HashingFile(const HashingFile&) = delete;
  HashingFile& operator=(const HashingFile&) = delete;

  Status Write(const void* data, std::size_t size);
  Status Write(std::string_view s) { return Write(s.data(), s.size()); }
  std::int64_t bytes_written() const { return bytes_; }

  // fsyncs and closes the file; returns its digest.
  Result<FileDigest> Close();

 private:
  HashingFile(int fd, std::filesystem::path full, std::string relative, int piece_size);

  int fd_;
  std::filesystem::path full_path_;
  std::string relative_path_;
  std::int64_t bytes_ = 0;
  std::int64_t hash_ns_ = 0;
  Xxh3Hasher xxh3_;
  PieceHasher pieces_;
};

// Writes a whole small file (playlist, poster, manifest) through a HashingFile.
Result<FileDigest> WriteHashedFile(const std::filesystem::path& dir, std::string relative_path,
                                   std::string_view bytes, int piece_size_bytes);

}  // namespace lm::transcoder
