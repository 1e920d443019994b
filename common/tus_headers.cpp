#include "common/tus_headers.h"

#include "common/base64.h"
#include "common/text_checks.h"

namespace lm {

std::optional<std::int64_t> ParseTusLength(std::string_view header) {
  if (!IsDecimal(header, 18)) return std::nullopt;
  std::int64_t value = 0;
  for (char c : header) value = value * 10 + (c - '0');
  return value;
}

Result<UploadChecksum> ParseUploadChecksum(std::string_view header) {
  const size_t space = header.find(' ');
  if (space == std::string_view::npos) {
    return InvalidArgument("Upload-Checksum must be \"sha1 <base64>\"", "Upload-Checksum");
  }
  UploadChecksum c;
  c.algorithm = std::string(header.substr(0, space));
  if (c.algorithm != "sha1") return InvalidArgument("only sha1 checksums are supported", "Upload-Checksum");
  auto digest = Base64Decode(header.substr(space + 1));
  if (!digest.ok() || digest->size() != 20) {
    return InvalidArgument("Upload-Checksum digest is not a sha1", "Upload-Checksum");
  }
  c.digest = *digest;
  return c;
}

std::string EncodeUploadChecksum(const UploadChecksum& checksum) {
  return checksum.algorithm + " " + Base64Encode(checksum.digest);
}

}  // namespace lm
