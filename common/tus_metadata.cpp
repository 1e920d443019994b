#include "common/tus_metadata.h"

#include <algorithm>
#include <cctype>

#include "common/base64.h"
#include "common/text_checks.h"

namespace lm {

std::string EncodeUploadMetadata(const std::map<std::string, std::string>& metadata) {
  std::string out;
  for (const auto& [key, value] : metadata) {
    if (!out.empty()) out += ',';
    out += key;
    if (!value.empty()) out += ' ' + Base64Encode(value);
  }
  return out;
}

Result<std::map<std::string, std::string>> ParseUploadMetadata(std::string_view header) {
  std::map<std::string, std::string> out;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view pair = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    while (!pair.empty() && pair.back() == ' ') pair.remove_suffix(1);
    if (pair.empty()) continue;
    const size_t space = pair.find(' ');
    const std::string key(pair.substr(0, space));
    if (key.empty() || key.size() > 64 || !std::all_of(key.begin(), key.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'; })) {
      return InvalidArgument("bad key in Upload-Metadata", "Upload-Metadata");
    }
    std::string value;
    if (space != std::string_view::npos) {
      auto decoded = Base64Decode(pair.substr(space + 1));
      if (!decoded.ok()) return InvalidArgument("value of " + key + " is not base64", "Upload-Metadata");
      // Titles, names and file names: text, kept and shown as it was sent.
      if (!IsUtf8(*decoded)) return InvalidArgument("value of " + key + " is not UTF-8 text", "Upload-Metadata");
      value = *decoded;
    }
    out[key] = value;
  }
  return out;
}

}  // namespace lm
