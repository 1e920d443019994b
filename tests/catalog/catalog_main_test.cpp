// lessonmesh-catalog as an operator runs it: settings from TOML with flags on top, errors that
// name the bad key, `token create|list|revoke`, serving with the key in its key file, and a clean
// stop on SIGTERM, HTTPS from the config file with its certificate reloaded on SIGHUP. Every run has a deadline; a server still running when its test ends is killed.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>

#include "catalog/catalog_config.h"
#include "common/http/http_client.h"
#include "common/signing.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/port_hold.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"
#include "tests/testing/wait_for.h"

namespace lm::catalog {
namespace {

using lm::testing::ChildProcess;
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

// Runs lessonmesh-catalog with `args` to the end (killed after the deadline): exit status, stdout
// and stderr.
struct Ran {
  std::optional<int> status;
  std::string out, err;
};
Ran RunCatalog(const TempDir& tmp, const std::vector<std::string>& args) {
  std::vector<std::string> argv = {Binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess child;
  Ran ran;
  if (std::string e = child.Start(argv, tmp / "run.out", tmp / "run.err"); !e.empty()) {
    ran.err = e;
    return ran;
  }
  ran.status = child.Wait(30);
  child.Stop(0);
  ran.out = child.out();
  ran.err = child.err();
  return ran;
}

// The port in the "listening on" line a server prints first; 0 if none came within the deadline.
std::uint16_t ListeningPort(ChildProcess& server) {
  const auto line = server.WaitForLine("listening on", 30);
  std::smatch m;
  if (!line || !std::regex_search(*line, m, std::regex(R"(listening on http://127\.0\.0\.1:(\d+))"))) return 0;
  return static_cast<std::uint16_t>(std::stoi(m[1]));
}

TEST(CatalogMainTest, IssuesTokensServesAndStopsOnSigterm) {
  TempDir tmp;
  const std::string data = (tmp / "data").string();
  Ran token_run = RunCatalog(tmp, {"--data-dir", data, "token", "create", "--role", "supervisor"});
  ASSERT_EQ(token_run.status, 0) << token_run.err;
  std::string token = token_run.out;
  ASSERT_EQ(token.size(), 65u);  // 64 hex digits and a newline
  token.pop_back();

  // Refusals: exit 2 and one line on stderr that says why.
  struct Refusal {
    std::vector<std::string> args;
    std::string says;
  };
  WriteFile(tmp / "bad.toml", "colour = 1\n");
  for (const Refusal& r : std::vector<Refusal>{
           {{"--data-dir", data, "token", "create", "--role", "edge"}, "--school"},
           {{"--data-dir", data, "--port", "99999"}, "port"},
           {{"--config", (tmp / "bad.toml").string()}, "unknown key colour"},
       }) {
    const Ran ran = RunCatalog(tmp, r.args);
    EXPECT_EQ(ran.status, 2) << r.args.back() << ": " << ran.err;
    EXPECT_NE(ran.err.find(r.says), std::string::npos) << ran.err;
    EXPECT_EQ(std::count(ran.err.begin(), ran.err.end(), '\n'), 1) << ran.err;
  }

  ChildProcess server;
  ASSERT_EQ(server.StartPiped({Binary(), "--data-dir", data, "--port", "0"}), "");
  const std::uint16_t port = ListeningPort(server);
  ASSERT_NE(port, 0);
  lm::testing::HttpClient client(port);
  EXPECT_EQ(client.Request("GET", "/healthz").status, 200);
  EXPECT_EQ(client.Request("GET", "/v1/schools", "", {{"Authorization", "Bearer " + token}}).status, 200);
  EXPECT_EQ(std::filesystem::status(tmp / "data" / "admin.token").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  EXPECT_EQ(std::filesystem::status(tmp / "data" / "pack-signing.key").permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  // The key edges are given is the one in the key file, and it signs the manifests.
  auto key = SigningKey::LoadOrCreate(tmp / "data" / "pack-signing.key");
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  const auto keys = client.Request("GET", "/v1/keys");
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(nlohmann::json::parse(keys.body)["public_key"], key->public_key_base64());

  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(30), 0);  // stops by itself, cleanly

  // Started again on the same data: the same key, not a new one.
  ChildProcess again;
  ASSERT_EQ(again.StartPiped({Binary(), "--data-dir", data, "--port", "0"}), "");
  const std::uint16_t port2 = ListeningPort(again);
  ASSERT_NE(port2, 0);
  EXPECT_EQ(nlohmann::json::parse(lm::testing::HttpClient(port2).Request("GET", "/v1/keys").body)["public_key"],
            key->public_key_base64());
  again.Signal(SIGINT);
  EXPECT_EQ(again.Wait(30), 0);
}

// Flags win over the file; the file's keys hold where no flag is given; max_wait_seconds caps
// the long poll an edge asks for.
TEST(CatalogMainTest, FlagsOverrideTheConfigFile) {
  TempDir tmp;
  lm::testing::PortHold held;  // the file names a port that only a server ignoring --port would use
  ASSERT_NE(held.port(), 0);
  WriteFile(tmp / "catalog.toml", "port = " + std::to_string(held.port()) + "\ndata_dir = \"" +
                                      (tmp / "from-file").string() + "\"\nmax_wait_seconds = 30\n");
  const Ran edge = RunCatalog(tmp, {"--config", (tmp / "catalog.toml").string(), "token", "create", "--role", "edge",
                                    "--school", "conghua-lx"});
  ASSERT_EQ(edge.status, 0) << edge.err;
  const std::string edge_token = edge.out.substr(0, 64);
  EXPECT_TRUE(std::filesystem::exists(tmp / "from-file" / "catalog.db"));  // data_dir from the file

  ChildProcess server;
  ASSERT_EQ(server.StartPiped({Binary(), "--config", (tmp / "catalog.toml").string(), "--port", "0",
                               "--max-wait-seconds", "1"}),
            "");
  const std::uint16_t port = ListeningPort(server);
  ASSERT_NE(port, 0);
  EXPECT_NE(port, held.port());
  // The edge's token is in the file's data_dir: it is known.
  lm::testing::HttpClient client(port);
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + edge_token}};
  auto first = client.Request("GET", "/v1/edges/conghua-lx/packs", "", auth);
  ASSERT_EQ(first.status, 200) << first.body;
  // It asks to wait 60 s; the flag caps the wait at 1 s.
  auto headers = auth;
  headers["If-None-Match"] = first.Header("etag");
  const auto t0 = std::chrono::steady_clock::now();
  auto idle = client.Request("GET", "/v1/edges/conghua-lx/packs?wait=60", "", headers);
  EXPECT_EQ(idle.status, 304);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, lm::testing::ScaledDuration(20));
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(30), 0);
}

// The operator lists tokens (never a token itself) and revokes one while the catalog runs: the
// running catalog refuses it at once, saying so. Expiry comes from --expires.
TEST(CatalogMainTest, TokensAreListedAndRevokedFromTheCommandLine) {
  TempDir tmp;
  const std::string data = (tmp / "data").string();
  const Ran created = RunCatalog(tmp, {"--data-dir", data, "token", "create", "--role", "teacher", "--school",
                                       "tianhe-3", "--label", "王老师的笔记本", "--expires", "30d"});
  ASSERT_EQ(created.status, 0) << created.err;
  const std::string teacher = created.out.substr(0, 64);
  ASSERT_EQ(RunCatalog(tmp, {"--data-dir", data, "token", "create", "--role", "supervisor"}).status, 0);

  ChildProcess server;
  ASSERT_EQ(server.StartPiped({Binary(), "--data-dir", data, "--port", "0"}), "");
  const std::uint16_t port = ListeningPort(server);
  ASSERT_NE(port, 0);
  const auto lessons = [&] {
    return lm::testing::HttpClient(port).Request("GET", "/v1/lessons?q=x", "", {{"Authorization", "Bearer " + teacher}});
  };
  EXPECT_EQ(lessons().status, 200);

  // The list: a header, the teacher's, the supervisor's and the bootstrap admin's rows.
  const Ran listed = RunCatalog(tmp, {"--data-dir", data, "token", "list"});
  ASSERT_EQ(listed.status, 0) << listed.err;
  EXPECT_EQ(listed.out.find(teacher), std::string::npos) << "the list shows a token";
  EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 4) << listed.out;
  std::smatch row;
  ASSERT_TRUE(std::regex_search(listed.out, row,
                                std::regex("\n(\\d+) +" + teacher.substr(0, 8) +
                                           " +teacher +tianhe-3 +(\\S+) +(\\S+) +- +active +王老师的笔记本\n")))
      << listed.out;
  const std::string id = row[1];
  EXPECT_TRUE(std::regex_match(std::string(row[2]), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << row[2];
  EXPECT_GT(std::string(row[3]), std::string(row[2])) << "it expires after it was made";

  const Ran revoked = RunCatalog(tmp, {"--data-dir", data, "token", "revoke", id});
  ASSERT_EQ(revoked.status, 0) << revoked.err;
  EXPECT_NE(revoked.out.find("revoked token " + id), std::string::npos) << revoked.out;
  const auto refused = lessons();
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(nlohmann::json::parse(refused.body, nullptr, false).value("code", ""), "token_revoked") << refused.body;
  EXPECT_NE(RunCatalog(tmp, {"--data-dir", data, "token", "list"}).out.find(" revoked "), std::string::npos);

  // Refusals: exit 2 and one line that says why.
  for (const auto& [args, says] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--data-dir", data, "token", "revoke", "999"}, "no token with id 999"},
           {{"--data-dir", data, "token", "revoke", "abc"}, "ID"},
           {{"--data-dir", data, "token", "create", "--role", "admin", "--expires", "tomorrow"}, "expires"},
           {{"--data-dir", data, "token", "create", "--role", "admin", "--expires", "2020-01-01"}, "future"},
       }) {
    const Ran ran = RunCatalog(tmp, args);
    EXPECT_EQ(ran.status, 2) << args.back() << ": " << ran.err;
    EXPECT_NE(ran.err.find(says), std::string::npos) << ran.err;
    EXPECT_EQ(std::count(ran.err.begin(), ran.err.end(), '\n'), 1) << ran.err;
  }
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(30), 0);
}

// HTTPS as an operator sets it up: the certificate and key named in catalog.toml, beside plain
// HTTP; a renewed certificate (here one for another name) copied over the files and SIGHUP: new
// connections get it, and the catalog goes on serving.
TEST(CatalogMainTest, ServesHttpsAndReloadsItsCertificateOnSighup) {
  TempDir tmp;
  lm::testing::TestCa ca(tmp.path());
  const lm::testing::CertFiles first = ca.Issue("by-name", {"localhost"});
  const lm::testing::CertFiles renewed = ca.Issue("by-address", {"127.0.0.1"});
  std::filesystem::copy_file(first.cert_file, tmp / "live.pem");
  std::filesystem::copy_file(first.key_file, tmp / "live.key");
  WriteFile(tmp / "catalog.toml", "data_dir = \"" + (tmp / "data").string() + "\"\nport = 0\n" +
                                      "tls_cert_file = \"" + (tmp / "live.pem").string() + "\"\n" +
                                      "tls_key_file = \"" + (tmp / "live.key").string() + "\"\n" +
                                      "tls_listen = \"127.0.0.1\"\ntls_port = 0\n");
  ChildProcess server;
  ASSERT_EQ(server.StartPiped({Binary(), "--config", (tmp / "catalog.toml").string()}), "");
  const auto line = server.WaitForLine("listening on", 30);
  ASSERT_TRUE(line.has_value());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(*line, m, std::regex(R"(https=127\.0\.0\.1:(\d+))"))) << *line;
  const std::string port = m[1];
  const auto keys = [&](const std::string& host) {
    http::ClientRequest req;
    req.url = "https://" + host + ":" + port + "/v1/keys";
    req.ca_file = ca.ca_file();
    req.timeout_ms = static_cast<int>(lm::testing::Scaled(10) * 1000);
    return http::Fetch(req);
  };
  auto by_name = keys("localhost");
  ASSERT_TRUE(by_name.ok()) << by_name.status().ToString();
  EXPECT_EQ(by_name->status, 200);
  EXPECT_NE(by_name->body.find("public_key"), std::string::npos) << by_name->body;
  auto by_address = keys("127.0.0.1");
  ASSERT_FALSE(by_address.ok());
  EXPECT_NE(by_address.status().message().find("IP address mismatch"), std::string::npos)
      << by_address.status().message();

  std::filesystem::copy_file(renewed.cert_file, tmp / "live.pem", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(renewed.key_file, tmp / "live.key", std::filesystem::copy_options::overwrite_existing);
  server.Signal(SIGHUP);
  ASSERT_TRUE(lm::testing::WaitFor([&] { return keys("127.0.0.1").ok(); }, 20));
  EXPECT_FALSE(keys("localhost").ok());  // the old certificate is gone for new connections
  server.Signal(SIGTERM);
  EXPECT_EQ(server.Wait(30), 0);
}

}  // namespace
}  // namespace lm::catalog
