#include "transcoder/detail/document_type.h"

#include <cstring>
#include <fstream>
#include <string_view>
#include <vector>

namespace lm::transcoder {

namespace {

bool StartsWith(const std::string& head, std::string_view magic) {
  return head.size() >= magic.size() && std::memcmp(head.data(), magic.data(), magic.size()) == 0;
}

// Office Open XML files are ZIPs whose local file headers name their parts; the first few
// kilobytes (or the central directory at the end) name "word/", "ppt/" or "xl/".
std::optional<DocumentType> SniffOoxml(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(64 * 1024);
  in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
  std::string head(buf.data(), static_cast<size_t>(in.gcount()));
  std::string tail;
  in.clear();
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::int64_t>(in.tellg());
  if (size > static_cast<std::int64_t>(buf.size())) {
    in.seekg(size - static_cast<std::int64_t>(buf.size()));
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    tail.assign(buf.data(), static_cast<size_t>(in.gcount()));
  }
  auto has = [&](std::string_view s) { return head.find(s) != std::string::npos || tail.find(s) != std::string::npos; };
  if (!has("[Content_Types].xml")) return std::nullopt;
  if (has("ppt/")) {
    return DocumentType{"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"};
  }
  if (has("word/")) return DocumentType{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"};
  if (has("xl/")) return DocumentType{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"};
  return std::nullopt;
}

}  // namespace

std::optional<DocumentType> SniffDocument(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  char buf[16] = {};
  in.read(buf, sizeof(buf));
  const std::string head(buf, static_cast<size_t>(in.gcount()));
  if (StartsWith(head, "%PDF-")) return DocumentType{"application/pdf", "pdf"};
  if (StartsWith(head, "\x89PNG\r\n\x1a\n")) return DocumentType{"image/png", "png"};
  if (StartsWith(head, "\xff\xd8\xff")) return DocumentType{"image/jpeg", "jpg"};
  if (StartsWith(head, "GIF87a") || StartsWith(head, "GIF89a")) return DocumentType{"image/gif", "gif"};
  if (head.size() >= 12 && StartsWith(head, "RIFF") && head.compare(8, 4, "WEBP") == 0) {
    return DocumentType{"image/webp", "webp"};
  }
  if (StartsWith(head, "PK\x03\x04")) return SniffOoxml(path);
  return std::nullopt;
}

}  // namespace lm::transcoder
