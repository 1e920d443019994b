// The failed-authentication limiter on a clock the test moves: an address that fails N times in a
// burst is refused (429, Retry-After) until its bucket refills by one, good token or not; other
// addresses and requests without credentials go on; a steady N a minute is allowed; the map of
// addresses stays within its cap.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

#include "common/http/failed_auth_limiter.h"

namespace lm::http {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

class FailedAuthLimiterTest : public ::testing::Test {
 protected:
  FailedAuthLimits Limits(int per_minute, std::size_t max_addresses = 100) {
    FailedAuthLimits l;
    l.failures_per_minute = per_minute;
    l.max_addresses = max_addresses;
    l.clock = [this] { return now_; };
    return l;
  }
  static Request From(const std::string& peer, bool with_token = true) {
    Request r;
    r.peer = peer;
    if (with_token) r.headers["authorization"] = "Bearer guess";
    return r;
  }
  steady_clock::time_point now_ = steady_clock::time_point(std::chrono::hours(1000));
};

TEST_F(FailedAuthLimiterTest, ABurstOfFailuresIsRefusedUntilTheBucketRefills) {
  FailedAuthLimiter limiter(Limits(6));  // 6 a minute: one back every 10 s
  const Request guess = From("10.1.2.3:40000");
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(limiter.Refuse(guess)) << "failure " << i << " is within the burst";
    limiter.Failed(guess);
  }
  auto refused = limiter.Refuse(From("10.1.2.3:40001"));  // another connection, same address
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 429);
  EXPECT_EQ(nlohmann::json::parse(refused->body)["code"], "too_many_failures");
  ASSERT_EQ(refused->headers.size(), 1u);
  EXPECT_EQ(refused->headers[0], (std::pair<std::string, std::string>{"Retry-After", "10"}));

  // Other addresses, and this one without credentials, are not held.
  EXPECT_FALSE(limiter.Refuse(From("10.1.2.4:40000")));
  EXPECT_FALSE(limiter.Refuse(From("10.1.2.3:40000", /*with_token=*/false)));

  now_ += seconds(4);
  EXPECT_EQ(limiter.RetryAfterSeconds("10.1.2.3"), 6);
  now_ += seconds(6);
  EXPECT_FALSE(limiter.Refuse(guess)) << "one failure came back after 10 s";
  limiter.Failed(guess);
  EXPECT_TRUE(limiter.Refuse(guess));

  // A steady 6 a minute is never refused.
  for (int i = 0; i < 30; ++i) {
    now_ += seconds(10);
    EXPECT_FALSE(limiter.Refuse(guess)) << i;
    limiter.Failed(guess);
  }
}

TEST_F(FailedAuthLimiterTest, AddressesAreTheirPeersWithoutThePort) {
  EXPECT_EQ(FailedAuthLimiter::AddressOf("10.1.2.3:5555"), "10.1.2.3");
  EXPECT_EQ(FailedAuthLimiter::AddressOf("::1:5555"), "::1");
  EXPECT_EQ(FailedAuthLimiter::AddressOf("fe80::1:443"), "fe80::1");
  EXPECT_EQ(FailedAuthLimiter::AddressOf(""), "");
}

TEST_F(FailedAuthLimiterTest, TheMapOfAddressesStaysWithinItsCap) {
  FailedAuthLimiter limiter(Limits(1, /*max_addresses=*/50));  // one failure blocks for a minute
  const auto address = [](int i) { return "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256); };
  for (int i = 0; i < 1000; ++i) {
    now_ += std::chrono::milliseconds(1);
    limiter.Failed(address(i));
  }
  EXPECT_LE(limiter.addresses(), 50u);
  // When every address is blocked, the one that failed longest ago is forgotten first.
  EXPECT_GT(limiter.RetryAfterSeconds(address(999)), 0);
  EXPECT_GT(limiter.RetryAfterSeconds(address(951)), 0);
  EXPECT_EQ(limiter.RetryAfterSeconds(address(0)), 0);
  // Full buckets are forgotten before any blocked one.
  now_ += seconds(61);
  limiter.Failed("192.168.0.1");
  EXPECT_EQ(limiter.addresses(), 1u) << "every bucket but the new one had refilled";
}

}  // namespace
}  // namespace lm::http
