#include "common/config_keys.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <charconv>
#include <iostream>

namespace lm {

namespace {

Status FlagError(std::string_view key, const std::string& what) {
  return InvalidArgument(ConfigKeys::FlagOf(key) + ": " + std::string(key) + " " + what, std::string(key));
}

}  // namespace

ConfigKeys::ConfigKeys() = default;
ConfigKeys::~ConfigKeys() = default;

std::string ConfigKeys::FlagOf(std::string_view key) {
  std::string flag = "--" + std::string(key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

ConfigKeys::Key& ConfigKeys::NewKey(std::string key, std::string help) {
  auto k = std::make_unique<Key>();
  k->name = std::move(key);
  k->help = std::move(help);
  keys_.push_back(std::move(k));
  return *keys_.back();
}

void ConfigKeys::Add(std::string key, std::string* field, std::string help) {
  Key& k = NewKey(std::move(key), std::move(help));
  k.from_file = [name = k.name, field](const TomlReader& file) { return file.Get(name, field); };
  k.from_text = [field](const std::string& text) {
    *field = text;
    return Status::Ok();
  };
}

void ConfigKeys::Add(std::string key, bool* field, std::string help) {
  Key& k = NewKey(std::move(key), std::move(help));
  k.from_file = [name = k.name, field](const TomlReader& file) { return file.Get(name, field); };
  k.from_text = [name = k.name, field](const std::string& text) {
    if (text == "true" || text == "1" || text == "yes" || text == "on") {
      *field = true;
    } else if (text == "false" || text == "0" || text == "no" || text == "off") {
      *field = false;
    } else {
      return FlagError(name, "must be true or false");
    }
    return Status::Ok();
  };
}

void ConfigKeys::Add(std::string key, std::vector<std::string>* field, std::string help) {
  Key& k = NewKey(std::move(key), std::move(help));
  k.from_file = [name = k.name, field](const TomlReader& file) { return file.Get(name, field); };
  k.from_text = [field](const std::string& text) {
    std::vector<std::string> items;
    size_t start = 0;
    while (start <= text.size()) {
      const size_t end = std::min(text.find(';', start), text.size());
      std::string item = text.substr(start, end - start);
      while (!item.empty() && item.front() == ' ') item.erase(item.begin());
      while (!item.empty() && item.back() == ' ') item.pop_back();
      if (!item.empty()) items.push_back(std::move(item));
      start = end + 1;
    }
    *field = std::move(items);
    return Status::Ok();
  };
}

void ConfigKeys::AddNumber(std::string key, std::int64_t lo, std::int64_t hi, std::string help,
                           std::function<void(std::int64_t)> set) {
  Key& k = NewKey(std::move(key), std::move(help));
  k.from_file = [name = k.name, lo, hi, set](const TomlReader& file) {
    if (!file.Has(name)) return Status::Ok();
    std::int64_t v = 0;
    RETURN_IF_ERROR(file.Get(name, &v, lo, hi));
    set(v);
    return Status::Ok();
  };
  k.from_text = [name = k.name, lo, hi, set](const std::string& text) {
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
      return FlagError(name, "must be a number from " + std::to_string(lo) + " to " + std::to_string(hi));
    }
    set(v);
    return Status::Ok();
  };
}

Status ConfigKeys::Load(const TomlReader& file) const {
  for (const std::string& name : file.Keys()) {
    auto it = std::find_if(keys_.begin(), keys_.end(), [&](const auto& k) { return k->name == name; });
    if (it == keys_.end()) return file.Error(name, "unknown key " + name);
    RETURN_IF_ERROR((*it)->from_file(file));
  }
  return Status::Ok();
}

Status ConfigKeys::LoadFile(const std::string& path) const {
  ASSIGN_OR_RETURN(TomlReader file, TomlReader::Parse(path));
  return Load(file);
}

void ConfigKeys::AddFlags(CLI::App& app) {
  app.add_option("--config", config_path_, "TOML settings file (read first; flags override it)");
  for (auto& k : keys_) k->flag = app.add_option(FlagOf(k->name), k->flag_value, k->help);
}

Status ConfigKeys::ApplyLayers() const {
  if (!config_path_.empty()) RETURN_IF_ERROR(LoadFile(config_path_));
  for (const auto& k : keys_) {
    if (k->flag != nullptr && k->flag->count() > 0) RETURN_IF_ERROR(k->from_text(k->flag_value));
  }
  return Status::Ok();
}

std::string DefaultWebDir() { return LM_WEB_DIST_DIR; }

void AddWebDirKey(ConfigKeys* keys, std::string* web_dir) {
  keys->Add("web_dir", web_dir, "folder of the built web pages (web/dist)");
}

std::optional<int> ParseCommandLine(CLI::App& app, const ConfigKeys& keys, int argc, char** argv,
                                    std::string_view program) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  }
  if (Status st = keys.ApplyLayers(); !st.ok()) {
    std::cerr << program << ": " << st.message() << "\n";
    return CliExitCode(st.code());
  }
  return std::nullopt;
}

}  // namespace lm
