#pragma once
// Reads a whole small file (a manifest, a torrent, a token, resume data) into memory, with a size
// cap so a wrong path cannot pull gigabytes into a string. Reentrant.

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace lm {

inline constexpr std::int64_t kDefaultMaxReadBytes = 64 * 1024 * 1024;

// The file's bytes. kNotFound if it does not exist, kInvalidArgument if it is larger than
// `max_bytes` or not a regular file, kIo for any other failure; each message names the path.
Result<std::string> ReadFileBytes(const std::filesystem::path& path, std::int64_t max_bytes = kDefaultMaxReadBytes);

}  // namespace lm
