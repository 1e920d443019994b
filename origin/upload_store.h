#pragma once
// Resumable teacher uploads on the origin's disk, with the semantics of tus 1.0 (core, creation,
// checksum, termination, expiration): an upload has a declared length and grows only at its
// current offset; bytes that fail their checksum are dropped; a finished upload is a whole file.
// Layout: DIR/<id>.part (the bytes so far) and DIR/<id>.json (length, metadata, owner, times).
// Thread-safe; one append at a time per upload. A crash loses at most the append in flight (the
// offset is the file's size; a crash during a checksummed append may keep its unverified bytes).

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
#include "common/tus_headers.h"
#include "common/tus_metadata.h"
#include "common/unique_fd.h"

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

class UploadStore;

// One PATCH's bytes going into an upload as they arrive; made by UploadStore::BeginAppend, which
// locks the upload for it until it is finished or destroyed. Used by one thread at a time; the
// store must outlive it.
class UploadAppender {
 public:
  // Without Finish or Interrupt, behaves as Interrupt without the fsync and the record update.
  ~UploadAppender();
  UploadAppender(const UploadAppender&) = delete;
  UploadAppender& operator=(const UploadAppender&) = delete;

  // The upload as it was when this append began.
  const UploadInfo& info() const { return info_; }

  // Appends bytes at the end. kInvalidArgument (field "body") if they would go past the declared
  // length. After any error, this append's bytes are dropped and later calls fail.
  Status Write(std::string_view bytes);

  // The body arrived whole: syncs the bytes to disk and returns the upload as it is now. With a
  // checksum that does not match this append's bytes, they are dropped (field "checksum").
  Result<UploadInfo> Finish(std::int64_t now);

  // The body was cut short: keeps and syncs the bytes written (tus: the offset is where the bytes
  // stop), unless a checksum was given, which cannot be verified now: then they are dropped.
  Result<UploadInfo> Interrupt(std::int64_t now);

 private:
  friend class UploadStore;
  struct Sha1;
  UploadAppender(UploadStore* store, UploadInfo info, UniqueFd fd, std::optional<UploadChecksum> checksum,
                 std::unique_ptr<Sha1> sha1);
  Status Drop(Status why);  // back to the starting offset; returns `why`
  Result<UploadInfo> Commit(std::int64_t now);
  void Release();           // unlocks the upload

  UploadStore* store_;
  UploadInfo info_;
  UniqueFd fd_;                              // DIR/<id>.part, appending
  std::optional<UploadChecksum> checksum_;
  std::unique_ptr<Sha1> sha1_;               // over this append's bytes, with a checksum
  std::int64_t written_ = 0;                 // bytes of this append on disk
  Status failed_;                            // set once the append was dropped
  bool released_ = false;                    // the upload is unlocked; nothing more to do
};

class UploadStore {
 public:
  // `max_bytes`: the largest upload accepted (Tus-Max-Size).
  static Result<std::unique_ptr<UploadStore>> Open(const std::filesystem::path& dir, std::int64_t max_bytes);

  // kInvalidArgument (field "Upload-Length") for a negative length or one over max_bytes.
  Result<UploadInfo> Create(std::int64_t length, std::map<std::string, std::string> metadata, std::string owner,
                            std::int64_t now);
  Result<UploadInfo> Get(const std::string& id);

  // Starts appending at `offset` (see UploadAppender). kAlreadyExists (HTTP 409) if `offset` is
  // not the current offset; kAlreadyExists with field "lock" (HTTP 423) while another append to
  // the same upload is in progress; kNotFound for an unknown upload. Meanwhile Get reports the
  // bytes written so far, or, with a checksum, the starting offset until they are verified.
  Result<std::unique_ptr<UploadAppender>> BeginAppend(const std::string& id, std::int64_t offset,
                                                      std::optional<UploadChecksum> checksum);

  // Appends `bytes` at `offset` in one go: BeginAppend, Write, Finish, with their errors; nothing
  // is kept on an error.
  Result<UploadInfo> Append(const std::string& id, std::int64_t offset, std::string_view bytes,
                            const std::optional<UploadChecksum>& checksum, std::int64_t now);

  // Removes an unfinished upload; refused while an append to it is in progress (field "lock") and
  // once it is finished, for its transcode job reads it (field "finished").
  Status Terminate(const std::string& id);

  // Removes unfinished uploads not touched since `cutoff`, except those being appended to; returns
  // how many.
  Result<int> ExpireIdleSince(std::int64_t cutoff);

  // The finished upload's bytes.
  std::filesystem::path DataPath(const std::string& id) const;
  std::int64_t max_bytes() const { return max_bytes_; }

 private:
  friend class UploadAppender;
  UploadStore(std::filesystem::path dir, std::int64_t max_bytes) : dir_(std::move(dir)), max_bytes_(max_bytes) {}
  Status SaveInfo(const UploadInfo& info);
  Result<UploadInfo> LoadInfo(const std::string& id);  // with mu_ held
  Status Locked(const std::string& id) const;

  const std::filesystem::path dir_;
  const std::int64_t max_bytes_;
  std::mutex mu_;  // guards records, file removal and appending_
  // Uploads with an append in progress -> the offset they report meanwhile: the starting offset
  // for a checksummed append (its bytes count only once verified), else -1 (the file's size).
  std::map<std::string, std::int64_t> appending_;
};

}  // namespace lm::origin
