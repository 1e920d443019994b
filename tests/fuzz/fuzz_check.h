#pragma once
// What every fuzz harness uses to state a property: FUZZ_CHECK(condition, what) prints what was
// expected and aborts, which libFuzzer reports as a crash and saves the input as an artifact. Also
// the input as text, splitting an input into parts at a separator line, a temporary folder that is
// removed when the harness exits, and tracing.

#include <cstddef>
#include <stdlib.h>  // mkdtemp

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(condition, what)                                                               \
  do {                                                                                            \
    if (!(condition)) {                                                                           \
      std::fprintf(stderr, "%s:%d: property broken: %s (%s)\n", __FILE__, __LINE__, what, #condition); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

namespace lm::fuzz {

// LM_FUZZ_TRACE=1: harnesses that run requests print each one and its reply (to check what a seed
// reaches: `LM_FUZZ_TRACE=1 build-fuzz/bin/catalog_api_fuzz tests/fuzz/corpus/catalog_api/SEED`).
inline bool Tracing() {
  static const bool on = std::getenv("LM_FUZZ_TRACE") != nullptr;
  return on;
}

// A new folder /tmp/lm-fuzz-NAME-XXXXXX, removed with what it holds when the harness exits
// normally (a crash leaves it, beside the crash input).
inline std::filesystem::path TempDir(const char* name) {
  static std::vector<std::filesystem::path> made;
  std::string path_template = std::string("/tmp/lm-fuzz-") + name + "-XXXXXX";
  const char* dir = mkdtemp(path_template.data());
  FUZZ_CHECK(dir != nullptr, "a temporary folder");
  if (made.empty()) {
    std::atexit([] {
      std::error_code ec;
      for (const auto& d : made) std::filesystem::remove_all(d, ec);
    });
  }
  made.emplace_back(dir);
  return made.back();
}

// Writes a fixture's file whole (a harness's set-up; a failure ends the run).
inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  FILE* file = std::fopen(path.c_str(), "wb");
  FUZZ_CHECK(file != nullptr && std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size() &&
                 std::fclose(file) == 0,
             "a file is written");
}

inline std::string_view Text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The parts of `text` between lines that are exactly `separator` ("a\n--\nb" -> "a", "b" with
// separator "--"); at most `max_parts`, the last one taking the rest.
inline std::vector<std::string_view> SplitParts(std::string_view text, std::string_view separator,
                                                std::size_t max_parts) {
  std::vector<std::string_view> parts;
  const std::string marker = "\n" + std::string(separator) + "\n";
  while (parts.size() + 1 < max_parts) {
    const std::size_t at = text.find(marker);
    if (at == std::string_view::npos) break;
    parts.push_back(text.substr(0, at));
    text.remove_prefix(at + marker.size());
  }
  parts.push_back(text);
  return parts;
}

}  // namespace lm::fuzz
