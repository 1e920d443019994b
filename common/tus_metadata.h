#pragma once
// The tus 1.0 Upload-Metadata header: comma-separated "key base64(value)" pairs (a key alone for
// an empty value). The origin parses it and echoes it on HEAD; the upload CLI writes it.
// Pure functions.

#include <map>
#include <string>
#include <string_view>

#include "common/status.h"

namespace lm {

// Keys in map order; an empty value is sent as the key alone.
std::string EncodeUploadMetadata(const std::map<std::string, std::string>& metadata);

// kInvalidArgument (field "Upload-Metadata") for a key that is not [A-Za-z0-9_.-]{1,64} or a
// value that is not base64 of UTF-8 text.
Result<std::map<std::string, std::string>> ParseUploadMetadata(std::string_view header);

}  // namespace lm
