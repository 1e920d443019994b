#pragma once
// A settings file in TOML, read once: parse errors and wrong values become an InvalidArgument
// Status that names the key ("config" for a file that does not parse). toml++ stays behind this
// header. Owned by whoever loads the settings; not thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm {

class TomlReader {
 public:
  // Parses the file at `path`. A missing or malformed file is InvalidArgument, field "config".
  static Result<TomlReader> Parse(const std::string& path);
  // Parses TOML text; `name` stands for the file in messages.
  static Result<TomlReader> ParseText(std::string_view text, const std::string& name);

  TomlReader(TomlReader&&) noexcept;
  TomlReader& operator=(TomlReader&&) noexcept;
  ~TomlReader();

  // The top-level keys, sorted.
  std::vector<std::string> Keys() const;
  bool Has(std::string_view key) const;

  // Typed getters: an absent key leaves `out` as it is; a value of another type (or out of
  // [lo, hi]) is InvalidArgument naming the key.
  Status Get(std::string_view key, std::string* out) const;
  Status Get(std::string_view key, bool* out) const;
  Status Get(std::string_view key, std::int64_t* out, std::int64_t lo, std::int64_t hi) const;
  Status Get(std::string_view key, std::vector<std::string>* out) const;  // an array of strings

  // "<file>: <message>", field `key`: for errors a caller finds in a value it read.
  Status Error(std::string_view key, std::string_view message) const;

 private:
  struct Table;
  TomlReader(std::string name, std::unique_ptr<Table> table);
  std::string name_;
  std::unique_ptr<Table> table_;
};

// `text` (UTF-8) as a TOML basic string, quoted and escaped, for programs that write a settings
// file (lessonmesh-edge enrol): TomlReader reads it back as exactly `text`.
std::string TomlString(std::string_view text);

}  // namespace lm
