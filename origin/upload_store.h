#pragma once
// Resumable teacher uploads on the origin's disk, with the semantics of tus 1.0 (core, creation,
// checksum, termination, expiration): an upload has a declared length and grows only at its
// current offset; bytes that fail their checksum are dropped; a finished upload is a whole file.
// Layout: DIR/<id>.part (the bytes so far) and DIR/<id>.json (length, metadata, owner, times).
// Thread-safe; a crash loses at most the append in flight (the offset is the file's size).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm::origin {

struct UploadInfo {
  std::string id;      // 32 hex digits
  std::int64_t length = 0;
  std::int64_t offset = 0;
  std::map<std::string, std::string> metadata;  // decoded Upload-Metadata (title, filename, ...)
  std::string owner;                            // who created it (a teacher's token subject)
  std::int64_t created_at = 0;                  // unix seconds
  std::int64_t updated_at = 0;
  bool complete() const { return offset == length; }
};

// tus Upload-Checksum: "sha1 <base64 digest>".
struct UploadChecksum {
  std::string algorithm;  // only "sha1" is supported
  std::string digest;     // raw bytes
};

class UploadStore {
 public:
  // `max_bytes`: the largest upload accepted (Tus-Max-Size).
  static Result<std::unique_ptr<UploadStore>> Open(const std::filesystem::path& dir, std::int64_t max_bytes);

  // kInvalidArgument (field "Upload-Length") for a negative length or one over max_bytes.
  Result<UploadInfo> Create(std::int64_t length, std::map<std::string, std::string> metadata, std::string owner,
                            std::int64_t now);
  Result<UploadInfo> Get(const std::string& id);

  // Appends `bytes` at `offset`. kAlreadyExists (HTTP 409) if `offset` is not the current offset;
  // kInvalidArgument (field "body") past the declared length; with a checksum that does not
  // match, nothing is kept and the error names field "checksum".
  Result<UploadInfo> Append(const std::string& id, std::int64_t offset, std::string_view bytes,
                            const std::optional<UploadChecksum>& checksum, std::int64_t now);

  Status Terminate(const std::string& id);

  // Removes unfinished uploads not touched since `cutoff`; returns how many.
  Result<int> ExpireIdleSince(std::int64_t cutoff);

  // The finished upload's bytes.
  std::filesystem::path DataPath(const std::string& id) const;
  std::int64_t max_bytes() const { return max_bytes_; }

 private:
  UploadStore(std::filesystem::path dir, std::int64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  Status SaveInfo(const UploadInfo& info);
  Result<UploadInfo> LoadInfo(const std::string& id);

  const std::filesystem::path dir_;
  const std::int64_t max_bytes_;
  std::mutex mu_;  // one append at a time per store keeps offsets honest
};

// Parses a tus Upload-Metadata header: "key base64value,key2 base64value2" (a value may be absent).
// kInvalidArgument (field "Upload-Metadata") for bad keys or base64.
Result<std::map<std::string, std::string>> ParseUploadMetadata(std::string_view header);

// Parses "sha1 <base64>"; kInvalidArgument (field "Upload-Checksum") if malformed or unsupported.
Result<UploadChecksum> ParseUploadChecksum(std::string_view header);

}  // namespace lm::origin
