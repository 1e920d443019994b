#pragma once
// Base64 (RFC 4648, standard alphabet, padded) for keys, signatures, torrents in JSON and tus
// headers. Decoding is strict: one accepted encoding per byte string. Pure functions.

#include <string>
#include <string_view>

#include "common/status.h"

namespace lm {

std::string Base64Encode(std::string_view bytes);
// InvalidArgument for anything but canonical padded base64 (no whitespace).
Result<std::string> Base64Decode(std::string_view text);

}  // namespace lm
