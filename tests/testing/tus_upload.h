#pragma once
// Uploads bytes to a tus 1.0 server the way a simple client does (create, then PATCH in chunks),
// for tests of the origin.

#include <cstdint>
#include <map>
#include <string>

namespace lm::testing {

struct TusUploadResult {
  std::string upload_id;  // "" if the upload failed
  int failed_status = 0;  // the HTTP status of the request that failed
  std::string error;
};

TusUploadResult TusUpload(std::uint16_t port, const std::string& token, const std::string& bytes,
                          const std::map<std::string, std::string>& metadata, std::size_t chunk_bytes);

}  // namespace lm::testing
