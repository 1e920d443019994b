#pragma once
// What the school box's disks hold: the room left on a filesystem and the bytes under a folder,
// for the cache's quota, the evictions that make room, and USB imports and exports.

#include <cstdint>
#include <filesystem>

namespace lm::edge {

// Bytes an unprivileged process may still write on the filesystem holding `dir`; -1 if unknown.
std::int64_t FreeBytes(const std::filesystem::path& dir);

// Sum of the sizes of the regular files under `dir` (0 when it is gone).
std::int64_t BytesUnder(const std::filesystem::path& dir);

}  // namespace lm::edge
