// The tus headers a teacher's client sends the origin, each parsed from the same fuzz input:
// Upload-Offset / Upload-Length (ParseTusLength), Upload-Metadata (ParseUploadMetadata),
// Upload-Checksum (ParseUploadChecksum), the strict base64 under the last two and the UTF-8 check
// metadata values pass. Each either refuses the value or gives one that means exactly what the
// text says: a length is the decimal number written, metadata values are UTF-8 text and metadata
// and checksums written back parse to the same thing (the checksum to the same bytes: one
// accepted spelling), base64 that decodes encodes back to itself, and IsUtf8 agrees with
// nlohmann::json's UTF-8 check.

#include <string>

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/text_checks.h"
#include "common/tus_headers.h"
#include "common/tus_metadata.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void CheckLength(std::string_view text) {
  const auto length = lm::ParseTusLength(text);
  if (!length) return;
  FUZZ_CHECK(*length >= 0, "a length is not negative");
  const std::size_t first = text.find_first_not_of('0');
  const std::string_view significant = first == std::string_view::npos ? "0" : text.substr(first);
  FUZZ_CHECK(std::to_string(*length) == significant, "a length is the number written");
}

void CheckMetadata(std::string_view text) {
  auto metadata = lm::ParseUploadMetadata(text);
  if (!metadata.ok()) {
    FUZZ_CHECK(metadata.status().field() == "Upload-Metadata", "a refusal names Upload-Metadata");
    return;
  }
  for (const auto& [key, value] : *metadata) {
    FUZZ_CHECK(!key.empty() && key.size() <= 64 && key.find_first_of(" ,") == std::string::npos,
               "keys are short words");
    FUZZ_CHECK(lm::IsUtf8(value), "values are UTF-8 text");
  }
  auto again = lm::ParseUploadMetadata(lm::EncodeUploadMetadata(*metadata));
  FUZZ_CHECK(again.ok() && *again == *metadata, "metadata written back parses to the same pairs");
}

void CheckChecksum(std::string_view text) {
  auto checksum = lm::ParseUploadChecksum(text);
  if (!checksum.ok()) {
    FUZZ_CHECK(checksum.status().field() == "Upload-Checksum", "a refusal names Upload-Checksum");
    return;
  }
  FUZZ_CHECK(checksum->algorithm == "sha1" && checksum->digest.size() == 20, "a checksum is a sha1");
  FUZZ_CHECK(lm::EncodeUploadChecksum(*checksum) == text, "a checksum has one spelling");
}

void CheckUtf8(std::string_view text) {
  bool json_accepts = true;
  try {
    (void)nlohmann::json(std::string(text)).dump();
  } catch (const nlohmann::json::exception&) {
    json_accepts = false;
  }
  FUZZ_CHECK(lm::IsUtf8(text) == json_accepts, "IsUtf8 agrees with nlohmann::json");
}

void CheckBase64(std::string_view text) {
  auto bytes = lm::Base64Decode(text);
  if (!bytes.ok()) return;
  FUZZ_CHECK(lm::Base64Encode(*bytes) == text, "base64 has one spelling");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = lm::fuzz::Text(data, size);
  CheckLength(text);
  CheckMetadata(text);
  CheckChecksum(text);
  CheckBase64(text);
  CheckUtf8(text);
  return 0;
}
