// Who may use the origin, against a real catalog: a teacher's token revoked at the catalog stops
// working here within the 30 s the origin trusts an answer (on the origin's clock, moved by the
// test); failed authentication is limited per client address (30, then 429 with Retry-After for
// anything with credentials from there, a good token too, until one has refilled), and the
// catalog does not count those failures against the origin; and every route of the origin's
// table is walked for its access and input (route_access.h).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>

#include "origin/origin_routes.h"
#include "tests/testing/http_client.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/route_access.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::HttpResult;
using lm::testing::WaitFor;

constexpr char kPlantedSecret[] = "planted-beside-the-origin-roots-51c9";

class OriginAccessTest : public lm::testing::OriginFixture {
 protected:
  void SetUp() override {
    hooks_.clock = [this] { return std::chrono::steady_clock::now() + std::chrono::seconds(clock_offset_s_.load()); };
    config_.max_upload_bytes = 1 << 20;
    std::filesystem::create_directories(tmp_ / "web");
    lm::testing::WriteFile(tmp_ / "web" / "teacher.html", "<!doctype html><title>teacher</title>");
    lm::testing::WriteFile(tmp_ / "web" / "teacher.js", "console.log('page');");
    lm::testing::WriteFile(tmp_ / "secret.txt", kPlantedSecret);
    config_.web_dir = (tmp_ / "web").string();
    OriginFixture::SetUp();
    lm::testing::WriteFile(std::filesystem::path(config_.data_dir) / "secret.txt", kPlantedSecret);
  }

  // A tus request to the origin with `token` ("" sends none).
  HttpResult Tus(const std::string& method, const std::string& target, const std::string& token,
                 std::map<std::string, std::string> headers = {}) {
    headers["Tus-Resumable"] = "1.0.0";
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return Origin().Request(method, target, "", headers);
  }
  HttpResult Create(const std::string& token) { return Tus("POST", "/uploads", token, {{"Upload-Length", "100"}}); }

  // The catalog's id of `token`, from the admin's list (by its prefix).
  std::int64_t TokenId(const std::string& token) {
    auto list = HttpClient(catalog_.port()).Request("GET", "/v1/tokens", "", {{"Authorization", "Bearer " + admin_}});
    for (const auto& t : json::parse(list.body, nullptr, false).value("tokens", json::array())) {
      if (t["prefix"] == token.substr(0, 8)) return t["id"];
    }
    ADD_FAILURE() << "no token with prefix " << token.substr(0, 8) << " in " << list.body;
    return 0;
  }

  std::atomic<std::int64_t> clock_offset_s_{0};
};

TEST_F(OriginAccessTest, ARevokedTokenIsRefusedWithin30Seconds) {
  const HttpResult created = Create(teacher_);
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string upload = created.Header("location");
  ASSERT_EQ(Tus("HEAD", upload, teacher_).status, 200);

  auto revoked = HttpClient(catalog_.port())
                     .Request("POST", "/v1/tokens/" + std::to_string(TokenId(teacher_)) + "/revoke", "",
                              {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  // The origin trusts its answer for up to 30 s; then the revoked token is refused everywhere.
  clock_offset_s_ += 30;
  EXPECT_TRUE(WaitFor([&] { return Tus("HEAD", upload, teacher_).status == 401; }, 5))
      << Tus("HEAD", upload, teacher_).body;
  EXPECT_EQ(Create(teacher_).status, 401);
  const HttpResult patch = Tus("PATCH", upload, teacher_,
                               {{"Content-Type", "application/offset+octet-stream"}, {"Upload-Offset", "0"}});
  EXPECT_EQ(patch.status, 401) << patch.body;
  EXPECT_EQ(OriginGet("/v1/jobs", teacher_).status, 401);
  EXPECT_EQ(Create(other_teacher_).status, 201) << "other teachers go on";
}

TEST_F(OriginAccessTest, FailedAuthenticationIsLimitedPerAddress) {
  for (int i = 0; i < 30; ++i) {
    const HttpResult r = Create("guess-" + std::to_string(i));
    ASSERT_EQ(r.status, 401) << "guess " << i << " is within the burst: " << r.body;
  }
  const HttpResult blocked = Create("guess-30");
  EXPECT_EQ(blocked.status, 429) << blocked.body;
  EXPECT_EQ(json::parse(blocked.body, nullptr, false).value("code", ""), "too_many_failures");
  EXPECT_EQ(blocked.Header("retry-after"), "2");
  // A good token from the same address is refused too while blocked; uploads (PATCH) as well.
  EXPECT_EQ(Create(teacher_).status, 429);
  EXPECT_EQ(OriginGet("/v1/jobs", teacher_).status, 429);
  EXPECT_EQ(Tus("PATCH", "/uploads/" + std::string(32, 'a'), teacher_).status, 429);
  // What needs no credentials goes on: the web seed, the tracker, health.
  EXPECT_EQ(Origin().Request("GET", "/healthz").status, 200);

  clock_offset_s_ += 2;
  EXPECT_EQ(Create(teacher_).status, 201) << "one failure had come back after Retry-After";
  // The origin asked the catalog about every guess: the catalog did not hold that against it.
  auto whois = HttpClient(catalog_.port()).Request("GET", "/v1/whoami", "", {{"Authorization", "Bearer " + origin_token_}});
  EXPECT_EQ(whois.status, 200) << whois.body;
}

TEST_F(OriginAccessTest, EveryRouteChecksWhoCallsAndWhatComesIn) {
  const auto up = Upload(std::string(1000, 'x'));  // not media: its job fails soon
  ASSERT_FALSE(up.upload_id.empty());
  const json job = WaitForJob(up.upload_id, [](const json& j) { return j["state"] == "failed"; }, 60);
  ASSERT_TRUE(job.contains("id")) << job.dump();
  const std::string lesson = UploadLesson();  // the teacher's: {lesson} routes check its owner
  ASSERT_FALSE(lesson.empty());

  const std::map<std::string, std::string> tokens = {{"teacher", teacher_},
                                                     {"admin", admin_},
                                                     {"origin", origin_token_},
                                                     {"edge", edge_},
                                                     {"supervisor", catalog_.Token(catalog::Role::kSupervisor)}};
  lm::testing::RouteAccessSpec spec;
  spec.port = origin_port();
  spec.routes = OriginRoutes::RouteTable(config_.max_upload_bytes);
  spec.all_roles = {"admin", "teacher", "origin", "edge", "supervisor"};
  spec.token_of = [&](const std::string& role) { return tokens.at(role); };
  spec.other_owner_token = [&](const http::RouteInfo&) { return other_teacher_; };
  spec.allowed_token = [&](const http::RouteInfo&) { return teacher_; };
  spec.params = {{"upload", up.upload_id},   {"job", std::to_string(job["id"].get<std::int64_t>())},
                 {"lesson", lesson}, {"file", "lesson.json"}, {"bytes", "16"}};
  spec.sample_bodies = {
      {"PUT /v1/lessons/{lesson}/chapters", {{"chapters", json::array({{{"start_s", 0}, {"end_s", 1}, {"title", "导入"}}})}}},
      {"POST /v1/lessons/{lesson}/clips", {{"clips", json::array({{{"at", "00:00-00:02"}, {"title", "导入"}}})}}}};
  spec.headers = [](const http::RouteInfo& r) {
    return r.pattern.rfind("/uploads", 0) == 0 ? std::map<std::string, std::string>{{"Tus-Resumable", "1.0.0"}}
                                               : std::map<std::string, std::string>{};
  };
  spec.planted_secrets = {kPlantedSecret};
  lm::testing::CheckEveryRoute(spec);
  // The upload the walk used is still there, untouched.
  EXPECT_EQ(Tus("HEAD", "/uploads/" + up.upload_id, teacher_).Header("upload-offset"), "1000");
}

// A request target with no path ("?x", which HTTP/1.1 parsers pass on) matched the teacher's page
// "/" and made the pages' router cut a string past its end: an exception on a handler thread that
// ended the whole origin. It is 404, and the origin goes on serving (found by origin_routes_fuzz).
TEST_F(OriginAccessTest, ATargetWithoutAPathIsNotFoundAndTheOriginStaysUp) {
  for (const char* target : {"?x", "?", "*"}) {
    auto r = Origin().Raw(std::string("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    EXPECT_TRUE(r.status == 404 || r.status == 400) << target << ": " << r.status << " " << r.body;
  }
  EXPECT_EQ(OriginGet("/healthz").status, 200);
}

}  // namespace
}  // namespace lm::origin
