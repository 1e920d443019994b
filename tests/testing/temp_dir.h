#pragma once
// A fresh directory for one test, removed with everything in it when the test ends.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace lm::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

std::string ReadFile(const std::filesystem::path& path);
void WriteFile(const std::filesystem::path& path, const std::string& bytes);

// Every file directly in `dir`, by name, with its bytes.
std::map<std::string, std::string> ReadDirectory(const std::filesystem::path& dir);
// One line per file that is not the same in both: where the bytes part, or which side lacks it.
// Empty when the two hold the same files with the same bytes.
std::vector<std::string> FileDifferences(const std::map<std::string, std::string>& a,
                                         const std::map<std::string, std::string>& b);

}  // namespace lm::testing
