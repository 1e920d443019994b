// The origin's calls to a catalog served over HTTPS (catalog.toml's tls_* keys): answered when the
// origin's ca_file holds the catalog's CA, refused, with the reason, when it trusts only the
// system's CAs.

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "catalog/catalog_service.h"
#include "catalog/token_commands.h"
#include "common/unix_time.h"
#include "origin/catalog_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_certificates.h"

namespace lm::origin {
namespace {

std::string NewToken(const catalog::CatalogConfig& config, const std::string& role) {
  std::ostringstream out;
  catalog::TokenRequest request;
  request.role = role;
  const auto now = UnixNow();
  EXPECT_TRUE(catalog::CreateTokenCommand(config, request, now, out).ok());
  return out.str().substr(0, 64);
}

TEST(CatalogClientTlsTest, AnHttpsCatalogIsTrustedThroughCaFileOnly) {
  lm::testing::TempDir tmp;
  lm::testing::TestCa ca(tmp.path());
  const lm::testing::CertFiles files = ca.Issue("catalog", {"127.0.0.1"});
  catalog::CatalogConfig config;
  config.data_dir = (tmp / "catalog").string();
  config.port = 0;
  config.serving.tls_cert_file = files.cert_file;
  config.serving.tls_key_file = files.key_file;
  config.serving.tls_listen = "127.0.0.1";
  config.serving.tls_port = 0;
  const std::string origin_token = NewToken(config, "origin");
  const std::string supervisor = NewToken(config, "supervisor");
  auto service = catalog::CatalogService::Start(config);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  const std::string url = "https://127.0.0.1:" + std::to_string((*service)->tls_port());

  CatalogClient trusting(url, origin_token, 10000, ca.ca_file());
  auto who = trusting.WhoIs(supervisor);
  ASSERT_TRUE(who.ok()) << who.status().ToString();
  EXPECT_EQ(who->role, "supervisor");

  CatalogClient system_only(url, origin_token, 10000);
  auto refused = system_only.WhoIs(supervisor);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kIo);
  EXPECT_NE(refused.status().message().find("unable to get local issuer certificate"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace lm::origin
