// Settings the one way every program takes them: a TOML file read with errors that name the key,
// then command-line flags over it.

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "common/config_keys.h"
#include "common/toml_reader.h"
#include "tests/testing/temp_dir.h"

namespace lm {
namespace {

using lm::testing::TempDir;
using lm::testing::WriteFile;

struct Settings {
  std::string data_dir = "data";
  std::uint16_t port = 8000;
  std::int64_t max_bytes = 100;
  bool lsd = true;
};

void Declare(Settings* s, ConfigKeys* keys) {
  keys->Add("data_dir", &s->data_dir, "data directory");
  keys->Add("port", &s->port, 0, 65535, "listen port");
  keys->Add("max_bytes", &s->max_bytes, 1, std::int64_t{1} << 40, "largest body");
  keys->Add("lsd", &s->lsd, "local service discovery");
}

// Parses `args` (without the program name) over `s`; the Status of the layers.
Status ParseArgs(Settings* s, std::vector<std::string> args) {
  ConfigKeys keys;
  Declare(s, &keys);
  CLI::App app;
  keys.AddFlags(app);
  std::vector<char*> argv = {const_cast<char*>("prog")};
  for (auto& a : args) argv.push_back(a.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
  return keys.ApplyLayers();
}

TEST(TomlReaderTest, TypedGettersNameTheKeyOfAWrongValue) {
  auto file = TomlReader::ParseText("name = \"x\"\nport = 70000\nflag = 3\ncount = \"five\"\n", "t.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(file->Keys(), (std::vector<std::string>{"count", "flag", "name", "port"}));

  std::string name = "unchanged";
  EXPECT_TRUE(file->Get("name", &name).ok());
  EXPECT_EQ(name, "x");
  std::string absent = "default";
  EXPECT_TRUE(file->Get("absent", &absent).ok());
  EXPECT_EQ(absent, "default");

  std::int64_t n = 7;
  Status range = file->Get("port", &n, 0, 65535);
  EXPECT_EQ(range.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(range.field(), "port");
  EXPECT_EQ(range.message(), "t.toml: port must be a number from 0 to 65535");
  Status type = file->Get("count", &n, 0, 10);
  EXPECT_EQ(type.field(), "count");
  EXPECT_EQ(n, 7);  // untouched by a bad value
  bool b = false;
  EXPECT_EQ(file->Get("flag", &b).field(), "flag");
  EXPECT_EQ(file->Get("port", &name).field(), "port");

  auto broken = TomlReader::ParseText("port = = 1\n", "broken.toml");
  EXPECT_EQ(broken.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(broken.status().field(), "config");
  EXPECT_EQ(TomlReader::Parse("/nonexistent/settings.toml").status().field(), "config");
}

TEST(TomlReaderTest, WholeFloatsAreNumbersAndHugeOnesAreRefused) {
  auto file = TomlReader::ParseText("port = 8.08e3\nhuge = 6e81\nhalf = 0.5\n", "t.toml");
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  std::int64_t n = 0;
  EXPECT_TRUE(file->Get("port", &n, 0, 65535).ok());
  EXPECT_EQ(n, 8080);
  EXPECT_EQ(file->Get("huge", &n, 0, 65535).field(), "huge");  // found by tests/fuzz: was undefined
  EXPECT_EQ(file->Get("half", &n, 0, 65535).field(), "half");
}

TEST(TomlReaderTest, WrittenStringsReadBackAsThemselves) {
  const std::vector<std::string> texts = {"", "分数 \"quoted\" C:\\dir", "line\nbreak\ttab\x01\x7f",
                                         std::string("nul\0", 4)};
  for (const std::string& text : texts) {
    auto file = TomlReader::ParseText("k = " + TomlString(text) + "\n", "t.toml");
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    std::string back;
    EXPECT_TRUE(file->Get("k", &back).ok());
    EXPECT_EQ(back, text);
  }
}

TEST(ConfigKeysTest, UnknownKeyAndBadTypeInTheFileAreErrorsNamingTheKey) {
  TempDir tmp;
  Settings s;
  ConfigKeys keys;
  Declare(&s, &keys);

  WriteFile(tmp / "typo.toml", "data_dir = \"/srv\"\nprot = 9000\n");
  Status unknown = keys.LoadFile((tmp / "typo.toml").string());
  EXPECT_EQ(unknown.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.field(), "prot");
  EXPECT_NE(unknown.message().find("unknown key prot"), std::string::npos) << unknown.message();

  WriteFile(tmp / "type.toml", "lsd = \"yes\"\n");
  EXPECT_EQ(keys.LoadFile((tmp / "type.toml").string()).field(), "lsd");
  WriteFile(tmp / "range.toml", "max_bytes = 0\n");
  EXPECT_EQ(keys.LoadFile((tmp / "range.toml").string()).field(), "max_bytes");

  WriteFile(tmp / "ok.toml", "data_dir = \"/srv\"\nport = 9000\nmax_bytes = 5000\nlsd = false\n");
  Settings loaded;
  ConfigKeys loaded_keys;
  Declare(&loaded, &loaded_keys);
  ASSERT_TRUE(loaded_keys.LoadFile((tmp / "ok.toml").string()).ok());
  EXPECT_EQ(loaded.data_dir, "/srv");
  EXPECT_EQ(loaded.port, 9000);
  EXPECT_EQ(loaded.max_bytes, 5000);
  EXPECT_FALSE(loaded.lsd);
}

TEST(ConfigKeysTest, FlagsGoOverTheFileWhateverTheirOrder) {
  TempDir tmp;
  WriteFile(tmp / "s.toml", "data_dir = \"/from/file\"\nport = 9000\nlsd = false\n");
  Settings s;
  // The flag before --config still wins: the file is the lower layer.
  ASSERT_TRUE(ParseArgs(&s, {"--port", "9100", "--config", (tmp / "s.toml").string(), "--lsd", "true"}).ok());
  EXPECT_EQ(s.port, 9100);
  EXPECT_TRUE(s.lsd);
  EXPECT_EQ(s.data_dir, "/from/file");  // no flag: the file's value
  EXPECT_EQ(s.max_bytes, 100);          // neither: the default

  Settings only_flags;
  ASSERT_TRUE(ParseArgs(&only_flags, {"--data-dir", "/d", "--max-bytes", "42"}).ok());
  EXPECT_EQ(only_flags.data_dir, "/d");
  EXPECT_EQ(only_flags.max_bytes, 42);
  EXPECT_EQ(only_flags.port, 8000);
}

TEST(ConfigKeysTest, BadFlagValuesNameTheKey) {
  Settings s;
  Status range = ParseArgs(&s, {"--port", "99999"});
  EXPECT_EQ(range.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(range.field(), "port");
  EXPECT_EQ(ParseArgs(&s, {"--max-bytes", "12kb"}).field(), "max_bytes");
  EXPECT_EQ(ParseArgs(&s, {"--lsd", "maybe"}).field(), "lsd");
  EXPECT_EQ(s.port, 8000);
  TempDir tmp;
  WriteFile(tmp / "bad.toml", "colour = 1\n");
  EXPECT_EQ(ParseArgs(&s, {"--config", (tmp / "bad.toml").string()}).field(), "colour");
}

}  // namespace
}  // namespace lm
