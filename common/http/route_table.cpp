#include "common/http/route_table.h"

namespace lm::http {

namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

bool IsParam(std::string_view segment) { return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}'; }
bool IsRest(std::string_view segment) { return IsParam(segment) && segment[segment.size() - 2] == '*'; }

}  // namespace

bool MatchesPattern(std::string_view pattern, std::string_view path, std::vector<std::string>* params) {
  params->clear();
  // A path is absolute: "" (a target "?x") or "x" is no route's, not "/"'s.
  if (path.empty() || path.front() != '/') return false;
  // Nor is one with an empty segment inside ("//v1/keys", "/v1//keys"): only a trailing "/" is let be.
  if (path.find("//") != std::string_view::npos) return false;
  const auto want = Segments(pattern);
  const auto parts = Segments(path);
  params->clear();
  const bool rest = !want.empty() && IsRest(want.back());
  if (rest ? parts.size() < want.size() : parts.size() != want.size()) return false;
  for (std::size_t i = 0; i < want.size(); ++i) {
    if (rest && i + 1 == want.size()) {
      std::string joined(parts[i]);
      for (std::size_t k = i + 1; k < parts.size(); ++k) joined.append("/").append(parts[k]);
      params->push_back(std::move(joined));
    } else if (IsParam(want[i])) {
      params->emplace_back(parts[i]);
    } else if (want[i] != parts[i]) {
      params->clear();
      return false;
    }
  }
  return true;
}

std::vector<std::string> PatternParams(std::string_view pattern) {
  std::vector<std::string> names;
  for (std::string_view s : Segments(pattern)) {
    if (!IsParam(s)) continue;
    s = s.substr(1, s.size() - 2);
    if (!s.empty() && s.back() == '*') s.remove_suffix(1);
    names.emplace_back(s);
  }
  return names;
}

}  // namespace lm::http
