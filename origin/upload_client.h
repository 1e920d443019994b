#pragma once
// The teacher's side of a tus 1.0 upload to the origin: creates the upload, sends the file in
// chunks (each with a SHA-1 checksum), rides out a flaky link by asking the origin where it stands
// and going on from there, and remembers the upload URL in a small state file so that an upload
// interrupted today resumes tomorrow instead of starting again. Used by `lessonmesh upload`.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "common/status.h"

namespace lm::origin {

struct UploadSpec {
  std::filesystem::path file;
  std::string origin_url;  // "http://host:port" or "https://..."
  std::string ca_file;     // https: PEM CAs to trust ("" = the system's)
  std::string token;       // a teacher's catalog token
  std::map<std::string, std::string> metadata;  // title, teacher, subject, grade, filename
  std::size_t chunk_bytes = 1u << 20;  // a dropped link costs at most this much
  std::filesystem::path state_file;  // unfinished uploads by file; "" = no resuming across runs
  int max_retries = 6;               // consecutive failures before giving up
  int first_retry_ms = 1000;         // doubled after each failure
  const std::atomic<bool>* cancel = nullptr;  // when set, stops after the request in flight
};

struct UploadProgress {
  std::int64_t sent_bytes = 0;   // the origin has this much
  std::int64_t total_bytes = 0;
  std::int64_t resumed_from = 0;  // where this run started
  double wall_seconds = 0;
};

// The upload id once the origin has every byte. kInvalidArgument when the origin refuses (a bad
// token, a file over its limit); kIo when the link stays down; kUnsupportedInput for an empty file;
// kCancelled when cancelled (the next call with the same state file resumes).
Result<std::string> UploadFile(const UploadSpec& spec, const std::function<void(const UploadProgress&)>& progress);

}  // namespace lm::origin
