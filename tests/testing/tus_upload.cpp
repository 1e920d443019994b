#include "tests/testing/tus_upload.h"

#include <algorithm>

#include "common/base64.h"
#include "tests/testing/http_client.h"

namespace lm::testing {

TusUploadResult TusUpload(std::uint16_t port, const std::string& token, const std::string& bytes,
                          const std::map<std::string, std::string>& metadata, const TusUploadOptions& options) {
  TusUploadResult out;
  HttpClient client(port, options.host);
  std::string encoded;
  for (const auto& [k, v] : metadata) {
    if (!encoded.empty()) encoded += ',';
    encoded += k + ' ' + Base64Encode(v);
  }
  std::map<std::string, std::string> headers = {{"Tus-Resumable", "1.0.0"}, {"Authorization", "Bearer " + token}};
  auto create_headers = headers;
  create_headers["Upload-Length"] = std::to_string(bytes.size());
  create_headers["Upload-Metadata"] = encoded;
  auto created = client.Request("POST", "/uploads", "", create_headers);
  if (created.status != 201) {
    out.failed_status = created.status;
    out.error = created.body;
    return out;
  }
  out.location = created.Header("location");
  const std::string id = out.location.substr(out.location.rfind('/') + 1);
  const std::size_t chunk_bytes = std::max<std::size_t>(1, options.chunk_bytes);
  for (std::size_t offset = 0; offset < bytes.size();) {
    const std::size_t n = std::min(chunk_bytes, bytes.size() - offset);
    if (offset + n == bytes.size() && options.before_last_chunk) options.before_last_chunk();
    auto patch_headers = headers;
    patch_headers["Upload-Offset"] = std::to_string(offset);
    patch_headers["Content-Type"] = "application/offset+octet-stream";
    auto r = client.Request("PATCH", "/uploads/" + id, bytes.substr(offset, n), patch_headers);
    if (r.status != 204) {
      out.failed_status = r.status;
      out.error = r.body;
      return out;
    }
    offset += n;
  }
  out.upload_id = id;
  return out;
}

}  // namespace lm::testing
