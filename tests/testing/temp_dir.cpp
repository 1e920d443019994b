#include "tests/testing/temp_dir.h"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace lm::testing {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "lessonmesh-test-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::map<std::string, std::string> ReadDirectory(const std::filesystem::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files[e.path().filename().string()] = ReadFile(e.path());
  return files;
}

std::vector<std::string> FileDifferences(const std::map<std::string, std::string>& a,
                                         const std::map<std::string, std::string>& b) {
  std::vector<std::string> out;
  for (const auto& [name, bytes] : a) {
    auto other = b.find(name);
    if (other == b.end()) {
      out.push_back(name + ": only in the first");
      continue;
    }
    if (bytes == other->second) continue;
    size_t at = 0;
    while (at < bytes.size() && at < other->second.size() && bytes[at] == other->second[at]) ++at;
    out.push_back(name + ": " + std::to_string(bytes.size()) + " vs " + std::to_string(other->second.size()) +
                  " bytes, first difference at byte " + std::to_string(at));
  }
  for (const auto& [name, bytes] : b) {
    if (!a.count(name)) out.push_back(name + ": only in the second");
  }
  return out;
}

}  // namespace lm::testing
