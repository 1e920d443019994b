#include "edge/usb_layout.h"

#include <array>

namespace lm::edge {

namespace {

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IsReservedDeviceName(std::string_view name) {
  // Windows refuses these as names, with or without an extension.
  const std::string stem = AsciiLower(name.substr(0, name.find('.')));
  static constexpr std::array<std::string_view, 4> kPlain = {"con", "prn", "aux", "nul"};
  for (auto r : kPlain) {
    if (stem == r) return true;
  }
  return stem.size() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) && stem[3] >= '0' &&
         stem[3] <= '9';
}

// Cuts `s` to at most `max_bytes`, never inside a UTF-8 sequence.
std::string CutUtf8(std::string s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

void Trim(std::string* s) {
  while (!s->empty() && (s->back() == ' ' || s->back() == '.')) s->pop_back();
  size_t start = 0;
  while (start < s->size() && ((*s)[start] == ' ' || (*s)[start] == '.')) ++start;
  s->erase(0, start);
}

}  // namespace

std::string FatSafeName(std::string_view title, std::string_view fallback) {
  std::string out;
  out.reserve(title.size());
  for (char ch : title) {
    const auto c = static_cast<unsigned char>(ch);
    const bool forbidden = c < 0x20 || c == 0x7F || ch == ':' || ch == '*' || ch == '?' || ch == '"' || ch == '<' ||
                           ch == '>' || ch == '|' || ch == '\\' || ch == '/';
    out += forbidden ? '_' : ch;
  }
  Trim(&out);
  out = CutUtf8(std::move(out), kFatNameMaxBytes);
  Trim(&out);  // the cut may leave a trailing space or dot
  if (out.empty()) out = std::string(fallback);
  if (IsReservedDeviceName(out)) out = "_" + out;
  return out;
}

std::string UniqueFatName(const std::string& name, std::set<std::string>* taken) {
  std::string candidate = name;
  for (int n = 2; taken->count(AsciiLower(candidate)); ++n) {
    const std::string suffix = " (" + std::to_string(n) + ")";
    std::string base = CutUtf8(name, kFatNameMaxBytes - suffix.size());
    Trim(&base);
    candidate = base + suffix;
  }
  taken->insert(AsciiLower(candidate));
  return candidate;
}

}  // namespace lm::edge
