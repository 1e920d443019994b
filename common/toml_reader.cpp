#include "common/toml_reader.h"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <optional>
#include <sstream>

namespace lm {

struct TomlReader::Table {
  toml::table table;
};

namespace {

// An integer, or a float that is a whole number within the integers' range ("port = 8.08e3").
// Not toml++'s value<int64_t>(): it casts a float to an integer before checking that it fits,
// which is undefined for 6e81.
std::optional<std::int64_t> WholeNumber(const toml::node& node) {
  if (const auto i = node.value_exact<std::int64_t>()) return *i;
  const auto d = node.value_exact<double>();
  constexpr double kTwoTo63 = 9223372036854775808.0;
  if (!d || !(*d >= -kTwoTo63 && *d < kTwoTo63) || std::trunc(*d) != *d) return std::nullopt;
  return static_cast<std::int64_t>(*d);
}

}  // namespace

TomlReader::TomlReader(std::string name, std::unique_ptr<Table> table)
    : name_(std::move(name)), table_(std::move(table)) {}
TomlReader::TomlReader(TomlReader&&) noexcept = default;
TomlReader& TomlReader::operator=(TomlReader&&) noexcept = default;
TomlReader::~TomlReader() = default;

Result<TomlReader> TomlReader::Parse(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument(path + ": cannot read the settings file", "config");
  std::ostringstream text;
  text << in.rdbuf();
  return ParseText(text.str(), path);
}

Result<TomlReader> TomlReader::ParseText(std::string_view text, const std::string& name) {
  auto table = std::make_unique<Table>();
  try {
    table->table = toml::parse(text, name);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(name + ": " + std::string(e.description()), "config");
  }
  return TomlReader(name, std::move(table));
}

std::vector<std::string> TomlReader::Keys() const {
  std::vector<std::string> keys;
  for (const auto& [key, value] : table_->table) keys.emplace_back(key.str());
  return keys;
}

bool TomlReader::Has(std::string_view key) const { return table_->table.contains(key); }

Status TomlReader::Error(std::string_view key, std::string_view message) const {
  return InvalidArgument(name_ + ": " + std::string(message), std::string(key));
}

Status TomlReader::Get(std::string_view key, std::string* out) const {
  const toml::node* node = table_->table.get(key);
  if (!node) return Status::Ok();
  auto v = node->value<std::string>();
  if (!v) return Error(key, std::string(key) + " must be a string");
  *out = *v;
  return Status::Ok();
}

Status TomlReader::Get(std::string_view key, bool* out) const {
  const toml::node* node = table_->table.get(key);
  if (!node) return Status::Ok();
  auto v = node->value_exact<bool>();  // not a number standing for one
  if (!v) return Error(key, std::string(key) + " must be true or false");
  *out = *v;
  return Status::Ok();
}

Status TomlReader::Get(std::string_view key, std::int64_t* out, std::int64_t lo, std::int64_t hi) const {
  const toml::node* node = table_->table.get(key);
  if (!node) return Status::Ok();
  const std::optional<std::int64_t> v = WholeNumber(*node);
  if (!v || *v < lo || *v > hi) {
    return Error(key, std::string(key) + " must be a number from " + std::to_string(lo) + " to " + std::to_string(hi));
  }
  *out = *v;
  return Status::Ok();
}

Status TomlReader::Get(std::string_view key, std::vector<std::string>* out) const {
  const toml::node* node = table_->table.get(key);
  if (!node) return Status::Ok();
  const toml::array* array = node->as_array();
  if (!array) return Error(key, std::string(key) + " must be a list of strings");
  std::vector<std::string> values;
  for (const toml::node& item : *array) {
    auto v = item.value<std::string>();
    if (!v) return Error(key, std::string(key) + " must be a list of strings");
    values.push_back(*v);
  }
  *out = std::move(values);
  return Status::Ok();
}

std::string TomlString(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {  // control characters may not appear raw in a TOML string
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace lm
