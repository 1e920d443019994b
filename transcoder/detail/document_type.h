#pragma once
// Recognises courseware documents by their content (magic bytes and, for Office files, the
// parts inside the ZIP), never by the file name.

#include <filesystem>
#include <optional>
#include <string>

namespace lm::transcoder {

struct DocumentType {
  std::string mime;       // "application/pdf"
  std::string extension;  // "pdf"
};

// nullopt if the file is not a document we carry (it may still be media).
std::optional<DocumentType> SniffDocument(const std::filesystem::path& path);

}  // namespace lm::transcoder
