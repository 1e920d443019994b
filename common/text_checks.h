#pragma once
// Shape checks for identifiers and numbers taken from URLs and headers, without building a regex
// on every request.

#include <cstddef>
#include <string_view>

namespace lm {

// Exactly `length` characters of 0-9a-f (lesson ids, upload ids, info hashes).
inline bool IsLowerHex(std::string_view s, std::size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// A decimal number of 1 to `max_digits` digits; with `positive`, no leading zero and not 0.
inline bool IsDecimal(std::string_view s, std::size_t max_digits, bool positive = false) {
  if (s.empty() || s.size() > max_digits) return false;
  if (positive && s[0] == '0') return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace lm
