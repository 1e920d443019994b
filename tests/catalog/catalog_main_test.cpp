// lessonmesh-catalog as an operator runs it: settings from TOML with flags on top, errors that
// name the bad key, `token create`, serving, and a clean stop on SIGTERM.

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <regex>

#include "catalog/catalog_config.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"

namespace lm::catalog {
namespace {

using lm::testing::TempDir;
using lm::testing::WriteFile;

TEST(CatalogConfigTest, TomlKeysAreReadAndBadOnesNamed) {
  TempDir tmp;
  WriteFile(tmp / "ok.toml", "listen = \"0.0.0.0\"\nport = 9000\ndata_dir = \"/srv/catalog\"\nmax_wait_seconds = 30\n");
  CatalogConfig c;
  ASSERT_TRUE(LoadCatalogToml((tmp / "ok.toml").string(), &c).ok());
  EXPECT_EQ(c.listen_address, "0.0.0.0");
  EXPECT_EQ(c.port, 9000);
  EXPECT_EQ(c.data_dir, "/srv/catalog");
  EXPECT_EQ(c.max_wait_seconds, 30);

  WriteFile(tmp / "typo.toml", "prot = 9000\n");
  Status st = LoadCatalogToml((tmp / "typo.toml").string(), &c);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "prot");
  WriteFile(tmp / "type.toml", "port = \"eighty\"\n");
  EXPECT_EQ(LoadCatalogToml((tmp / "type.toml").string(), &c).field(), "port");
  WriteFile(tmp / "broken.toml", "port = = 1\n");
  EXPECT_EQ(LoadCatalogToml((tmp / "broken.toml").string(), &c).code(), StatusCode::kInvalidArgument);
}

std::string Binary() { return std::string(LM_BIN_DIR) + "/lessonmesh-catalog"; }

// Runs a command, returns its exit code and stdout.
int RunCommand(const std::string& cmd, std::string* out) {
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  const int rc = pclose(p);
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(CatalogMainTest, IssuesTokensServesAndStopsOnSigterm) {
  TempDir tmp;
  const std::string data = (tmp / "data").string();
  std::string token;
  ASSERT_EQ(RunCommand(Binary() + " --data-dir " + data + " token create --role supervisor", &token), 0);
  ASSERT_EQ(token.size(), 65u);  // 64 hex digits and a newline
  token.pop_back();
  std::string err;
  EXPECT_EQ(RunCommand(Binary() + " --data-dir " + data + " token create --role edge 2>&1", &err), 2);  // needs --school
  err.clear();
  EXPECT_EQ(RunCommand(Binary() + " --data-dir " + data + " --port 99999 2>&1", &err), 2);
  err.clear();
  WriteFile(tmp / "bad.toml", "colour = 1\n");
  EXPECT_EQ(RunCommand(Binary() + " --config " + (tmp / "bad.toml").string() + " 2>&1", &err), 2);
  EXPECT_NE(err.find("unknown key colour"), std::string::npos) << err;

  int out_pipe[2];
  ASSERT_EQ(pipe(out_pipe), 0);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    close(out_pipe[0]);
    execl(Binary().c_str(), "lessonmesh-catalog", "--data-dir", data.c_str(), "--port", "0", nullptr);
    _exit(127);
  }
  close(out_pipe[1]);
  // The first line names the port.
  std::string line;
  char c;
  while (read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))"))) << line;
  const auto port = static_cast<std::uint16_t>(std::stoi(m[1]));
  lm::testing::HttpClient client(port);
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200);
  EXPECT_EQ(client.Request("GET", "/v1/schools", "", {{"Authorization", "Bearer " + token}}).status, 200);
  EXPECT_TRUE(std::filesystem::exists(tmp / "data" / "pack-signing.key"));
  EXPECT_EQ(std::filesystem::status(tmp / "data" / "admin.token").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);  // returns once the process has stopped by itself
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  close(out_pipe[0]);
}

}  // namespace
}  // namespace lm::catalog
