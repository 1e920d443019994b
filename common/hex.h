#pragma once
// Lower-case hexadecimal of raw bytes (digests, tokens, info hashes).

#include <cstddef>
#include <string>

namespace lm {

inline std::string HexEncode(const void* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

}  // namespace lm
