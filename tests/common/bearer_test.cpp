// The one bearer-token reader and the one mapping of a failed token check to HTTP.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

#include "common/http/bearer.h"

namespace lm::http {
namespace {

Request WithAuthorization(std::string value) {
  Request r;
  r.headers["authorization"] = std::move(value);
  return r;
}

TEST(BearerTest, TokenIsReadOnlyFromAWellFormedHeader) {
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer abc123")), "abc123");
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer abc123  ")), "abc123");
  EXPECT_EQ(BearerToken(Request{}), "");
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer ")), "");
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer    ")), "");
  EXPECT_EQ(BearerToken(WithAuthorization("Basic dXNlcjpwYXNz")), "");
  EXPECT_EQ(BearerToken(WithAuthorization("bearer abc")), "");
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer " + std::string(513, 'a'))), "");
  EXPECT_EQ(BearerToken(WithAuthorization("Bearer " + std::string(512, 'a'))), std::string(512, 'a'));
}

TEST(BearerTest, FailedChecksMapTo401403And503) {
  struct Case {
    Status status;
    int http;
    std::string code, message;
  };
  const std::vector<Case> cases = {
      {Status(StatusCode::kNotFound, "unknown token"), 401, "unauthenticated", "a token is required"},
      {InvalidArgument("not a teacher"), 403, "forbidden", "not a teacher"},
      {IoError("catalog unreachable"), 503, "unavailable", "cannot check the token now: catalog unreachable"},
  };
  for (const auto& c : cases) {
    Reply r = AuthFailureReply(c.status, "a token is required");
    EXPECT_EQ(r.status, c.http) << c.status.ToString();
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["code"], c.code);
    EXPECT_EQ(body["error"], c.message);
    const bool retry_after = !r.headers.empty() && r.headers[0] == std::pair<std::string, std::string>{"Retry-After", "30"};
    EXPECT_EQ(retry_after, c.http == 503);
  }
}

}  // namespace
}  // namespace lm::http
