#include "common/time_range.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace lm {

namespace {

// "[H:]MM:SS[.f]" or "S[.f]" as seconds; -1 if it is neither.
double ParseTime(std::string_view s) {
  double parts[3] = {0, 0, 0};
  int n = 0;
  size_t start = 0;
  for (;;) {
    const size_t colon = s.find(':', start);
    const std::string piece(s.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (piece.empty() || n == 3) return -1;
    for (char c : piece) {
      if (!((c >= '0' && c <= '9') || c == '.')) return -1;
    }
    char* end = nullptr;
    const double v = std::strtod(piece.c_str(), &end);
    if (end != piece.c_str() + piece.size() || !std::isfinite(v)) return -1;
    parts[n++] = v;
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  double seconds = 0;
  for (int i = 0; i < n; ++i) {
    // Minutes and seconds after a colon stay below 60.
    if (i > 0 && parts[i] >= 60) return -1;
    seconds = seconds * 60 + parts[i];
  }
  return seconds;
}

}  // namespace

Result<std::pair<double, double>> ParseTimeRange(std::string_view text) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos) {
    return InvalidArgument("range \"" + std::string(text) + "\" must be START-END, e.g. 05:10-12:40", "at");
  }
  const double start = ParseTime(text.substr(0, dash));
  const double end = ParseTime(text.substr(dash + 1));
  if (start < 0 || end < 0) {
    return InvalidArgument("range \"" + std::string(text) + "\" must be START-END as [H:]MM:SS or seconds", "at");
  }
  if (!(end > start)) return InvalidArgument("range \"" + std::string(text) + "\" ends before it starts", "at");
  return std::make_pair(start, end);
}

}  // namespace lm
