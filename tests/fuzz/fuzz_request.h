#pragma once
// The request text the route harnesses read (one request an input part):
//   METHOD TARGET\nName: value\n...\n\nBODY
// Placeholders in TARGET ($ID, $DOC, ...) are replaced first, each harness naming its own, so that
// inputs reach the ids its fixture made; header names are lower-cased, as the server does.

#include <cctype>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/http/http_types.h"

namespace lm::fuzz {

using Placeholders = std::vector<std::pair<std::string_view, std::string>>;

// False if the request line or target is malformed (the server would answer 400 itself).
inline bool ParseRequest(std::string_view text, const Placeholders& placeholders, std::string peer,
                         lm::http::Request* out) {
  const std::size_t head_end = text.find("\n\n");
  std::string_view head = text.substr(0, head_end);
  out->body = head_end == std::string_view::npos ? "" : std::string(text.substr(head_end + 2));
  const std::size_t nl = head.find('\n');
  const std::string_view line = head.substr(0, nl);
  head = nl == std::string_view::npos ? std::string_view() : head.substr(nl + 1);
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0) return false;
  out->method = std::string(line.substr(0, space));
  std::string target(line.substr(space + 1));
  for (const auto& [name, value] : placeholders) {
    if (const std::size_t at = target.find(name); at != std::string::npos) target.replace(at, name.size(), value);
  }
  if (!lm::http::SetTarget(target, out)) return false;
  while (!head.empty()) {
    const std::size_t end = head.find('\n');
    const std::string_view field = head.substr(0, end);
    head = end == std::string_view::npos ? std::string_view() : head.substr(end + 1);
    const std::size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name(field.substr(0, colon));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out->headers[name] = std::string(value);
  }
  out->peer = std::move(peer);
  return true;
}

}  // namespace lm::fuzz
