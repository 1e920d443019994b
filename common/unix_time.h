#pragma once
// The wall clock as the catalog, the origin and the edge store it: whole seconds since the Unix
// epoch (tokens' expiry, lessons' added and played times, jobs' claims, packs' needed-by dates).

#include <chrono>
#include <cstdint>

namespace lm {

inline std::int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace lm
