// A teacher's upload (lessonmesh upload's UploadFile) to an origin serving HTTPS (origin.toml's
// tls_* keys): the whole file arrives when the teacher's ca_file holds the origin's CA; without
// it the upload stops at once with the certificate's refusal, nothing sent.

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "origin/upload_client.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/test_certificates.h"

namespace lm::origin {
namespace {

namespace fs = std::filesystem;

class HttpsUploadTest : public lm::testing::OriginFixture {};

TEST_F(HttpsUploadTest, UploadOverHttpsTrustsTheCaFile) {
  lm::testing::TestCa ca(tmp_.path());
  const lm::testing::CertFiles files = ca.Issue("origin", {"127.0.0.1"});
  StopOrigin();
  config_.serving.tls_cert_file = files.cert_file;
  config_.serving.tls_key_file = files.key_file;
  config_.serving.tls_listen = "127.0.0.1";
  config_.serving.tls_port = 0;
  StartOrigin();
  ASSERT_NE(origin_->https_port(), 0);

  std::string bytes(2'500'000, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 131 >> 7);
  lm::testing::WriteFile(tmp_ / "lesson.bin", bytes);
  UploadSpec spec;
  spec.file = tmp_ / "lesson.bin";
  spec.origin_url = "https://127.0.0.1:" + std::to_string(origin_->https_port());
  spec.token = teacher_;
  spec.metadata = {{"title", "勾股定理"}, {"filename", "lesson.bin"}};
  spec.max_retries = 0;

  auto refused = UploadFile(spec, [](const UploadProgress&) {});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kIo);
  EXPECT_NE(refused.status().message().find("unable to get local issuer certificate"), std::string::npos)
      << refused.status().message();

  spec.ca_file = ca.ca_file();
  auto uploaded = UploadFile(spec, [](const UploadProgress&) {});
  ASSERT_TRUE(uploaded.ok()) << uploaded.status().ToString();
  EXPECT_TRUE(lm::testing::ReadFile(fs::path(config_.data_dir) / "uploads" / (*uploaded + ".part")) == bytes);
}

}  // namespace
}  // namespace lm::origin
