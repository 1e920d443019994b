#pragma once
// The one way a LessonMesh program takes its settings: each key is declared once, with the field
// it fills, its range and its help; the TOML file named by --config is read first, then the
// command-line flags given (--data-dir for data_dir) go over it. A key the file does not declare,
// a value of the wrong type or out of range is an InvalidArgument that names the key. Checks that
// span several keys stay with each program (ValidateXConfig). Built and used by one thread (main,
// or a test); the fields must outlive it.

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/toml_reader.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace lm {

class ConfigKeys {
 public:
  ConfigKeys();
  ~ConfigKeys();
  ConfigKeys(const ConfigKeys&) = delete;
  ConfigKeys& operator=(const ConfigKeys&) = delete;

  void Add(std::string key, std::string* field, std::string help);
  void Add(std::string key, bool* field, std::string help);
  // A list: an array of strings in TOML; as a flag, items separated by ';'.
  void Add(std::string key, std::vector<std::string>* field, std::string help);
  template <std::integral Int>
  void Add(std::string key, Int* field, std::int64_t lo, std::int64_t hi, std::string help) {
    AddNumber(std::move(key), lo, hi, std::move(help), [field](std::int64_t v) { *field = static_cast<Int>(v); });
  }

  // Reads the keys in `file` into their fields; a key not declared here is an error.
  Status Load(const TomlReader& file) const;
  Status LoadFile(const std::string& path) const;

  // Declares --config and one flag per key on `app`; call before app.parse().
  void AddFlags(CLI::App& app);
  // After app.parse(): the file named by --config (if any), then the flags given on top of it.
  Status ApplyLayers() const;

  // "data_dir" -> "--data-dir".
  static std::string FlagOf(std::string_view key);

 private:
  struct Key {
    std::string name;
    std::string help;
    std::function<Status(const TomlReader&)> from_file;
    std::function<Status(const std::string&)> from_text;  // a flag's value
    std::string flag_value;
    CLI::Option* flag = nullptr;
  };
  void AddNumber(std::string key, std::int64_t lo, std::int64_t hi, std::string help,
                 std::function<void(std::int64_t)> set);
  Key& NewKey(std::string key, std::string help);

  std::vector<std::unique_ptr<Key>> keys_;  // stable addresses: CLI11 writes into flag_value
  std::string config_path_;
};

// Parses the command line and applies the layers. Returns nullopt to go on, or the exit code to
// end with: 0 after --help, 2 after a usage or settings error (one line "program: message" on
// stderr).
// The folder of built web pages (web/dist of the source tree this program was built from, so a
// program run from build/bin finds them), and the one declaration of the `web_dir` key that every
// service serving pages uses.
std::string DefaultWebDir();
void AddWebDirKey(ConfigKeys* keys, std::string* web_dir);

std::optional<int> ParseCommandLine(CLI::App& app, const ConfigKeys& keys, int argc, char** argv,
                                    std::string_view program);

}  // namespace lm
