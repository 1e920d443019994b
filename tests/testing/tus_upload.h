#pragma once
// Uploads bytes to a tus 1.0 server the way a simple client does (create, then PATCH in chunks),
// for tests of the origin. Blocking; any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

namespace lm::testing {

struct TusUploadOptions {
  std::size_t chunk_bytes = 256 * 1024;  // one PATCH per chunk; SIZE_MAX: one PATCH for everything
  std::string host = "127.0.0.1";       // where the server listens (its listen address)
  // Runs once every chunk but the last has gone out (right after the create for a one-chunk
  // upload): a test stops or breaks something before the upload completes.
  std::function<void()> before_last_chunk = nullptr;
};

struct TusUploadResult {
  std::string upload_id;  // "" if the upload failed
  std::string location;   // the upload's URL path, "/uploads/<id>"
  int failed_status = 0;  // the HTTP status of the request that failed
  std::string error;
};

TusUploadResult TusUpload(std::uint16_t port, const std::string& token, const std::string& bytes,
                          const std::map<std::string, std::string>& metadata, const TusUploadOptions& options = {});

}  // namespace lm::testing
