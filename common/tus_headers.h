#pragma once
// The tus 1.0 headers that carry numbers and checksums: Upload-Offset and Upload-Length (and a
// PATCH's Content-Length, read the same way), and Upload-Checksum ("sha1 <base64 digest>", the
// checksum extension). The origin parses them; the upload CLI writes and reads them. Upload-Metadata
// is tus_metadata.h. Pure functions.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm {

// A byte count or offset: 1 to 18 decimal digits, nothing else (no sign, no spaces); nullopt
// otherwise. 18 digits keep every value below 2^63.
std::optional<std::int64_t> ParseTusLength(std::string_view header);

// tus Upload-Checksum: "sha1 <base64 digest>".
struct UploadChecksum {
  std::string algorithm;  // only "sha1" is supported
  std::string digest;     // raw bytes (20 for sha1)
};

// kInvalidArgument (field "Upload-Checksum") if malformed, not sha1, or not a 20-byte digest.
Result<UploadChecksum> ParseUploadChecksum(std::string_view header);
// The header's value: "sha1 " + base64 of the digest.
std::string EncodeUploadChecksum(const UploadChecksum& checksum);

}  // namespace lm
