#include "common/lesson_link.h"

#include "common/text_checks.h"

namespace lm {

bool IsLanName(std::string_view name) {
  std::string_view host = name;
  if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    const std::string_view port = name.substr(colon + 1);
    if (!IsDecimal(port, 5, /*positive=*/true) || std::stoi(std::string(port)) > 65535) return false;
    host = name.substr(0, colon);
  }
  if (host.empty() || host.size() > 253) return false;
  std::size_t label = 0;
  for (char c : host) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok || ++label > 63) return false;
  }
  return label > 0;
}

std::string LessonLinkUrl(std::string_view lan_name, std::string_view lesson_id) {
  return "http://" + std::string(lan_name) + "/l/" + std::string(lesson_id);
}

}  // namespace lm
