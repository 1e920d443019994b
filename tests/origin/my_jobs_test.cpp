// GET /v1/jobs with no upload named: the caller's own uploads and their jobs, newest first, with
// the metadata given at upload (the teacher's page lists them as "my lessons"); nobody else's.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "origin/origin_service.h"
#include "tests/testing/catalog_fixture.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tus_upload.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

using json = nlohmann::json;
using lm::testing::HttpClient;

TEST(MyJobsTest, ListsTheCallersUploadsOnly) {
  lm::testing::TempDir tmp;
  lm::testing::CatalogFixture catalog(tmp / "catalog");
  ASSERT_TRUE(catalog.Start());
  const std::string teacher = catalog.Token(catalog::Role::kTeacher, "tianhe-3");
  const std::string other = catalog.Token(catalog::Role::kTeacher, "conghua-lx");
  OriginConfig config;
  config.port = 0;
  config.torrent_port = 0;
  config.lsd = false;
  config.data_dir = (tmp / "origin").string();
  config.catalog_url = catalog.url();
  config.catalog_token = catalog.Token(catalog::Role::kOrigin);
  auto origin = OriginService::Start(config);
  ASSERT_TRUE(origin.ok()) << origin.status().ToString();
  const std::uint16_t port = (*origin)->http_port();

  // Two uploads that are not media: their jobs fail at once, and are still the teacher's.
  std::vector<std::string> ids;
  for (const std::string title : {"第一课", "第二课"}) {
    auto up = lm::testing::TusUpload(port, teacher, std::string(4096, 'x'),
                                     {{"title", title}, {"teacher", "王老师"}, {"subject", "数学"}, {"grade", "三年级"},
                                      {"filename", "a.bin"}},
                                     {.chunk_bytes = 1024});
    ASSERT_FALSE(up.upload_id.empty()) << up.error;
    ids.push_back(up.upload_id);
  }
  auto get = [&](const std::string& token) {
    return HttpClient(port).Request("GET", "/v1/jobs", "", {{"Authorization", "Bearer " + token}});
  };
  json list;
  ASSERT_TRUE(lm::testing::WaitFor([&] {
    auto r = get(teacher);
    if (r.status != 200) return false;
    list = json::parse(r.body)["jobs"];
    return list.size() == 2 && list[0]["state"] == "failed" && list[1]["state"] == "failed";
  }, 60)) << list.dump();
  EXPECT_EQ(list[0]["upload_id"], ids[1]);  // newest first
  EXPECT_EQ(list[0]["title"], "第二课");
  EXPECT_EQ(list[1]["upload_id"], ids[0]);
  EXPECT_EQ(list[1]["title"], "第一课");
  EXPECT_EQ(list[1]["teacher"], "王老师");
  EXPECT_EQ(list[1]["subject"], "数学");
  EXPECT_EQ(list[1]["grade"], "三年级");
  EXPECT_EQ(list[1]["filename"], "a.bin");
  EXPECT_EQ(list[1]["bytes"], 4096);
  EXPECT_TRUE(list[1].contains("error"));

  auto others = get(other);
  ASSERT_EQ(others.status, 200) << others.body;
  EXPECT_EQ(json::parse(others.body), json::parse(R"({"jobs":[]})"));
  EXPECT_EQ(get("").status, 401);
  EXPECT_EQ(get("not-a-token").status, 401);
}

TEST(MyJobsTest, TheTeachersPageIsServedAtTheRoot) {
  lm::testing::TempDir tmp;
  lm::testing::CatalogFixture catalog(tmp / "catalog");
  ASSERT_TRUE(catalog.Start());
  std::filesystem::create_directories(tmp / "web");
  lm::testing::WriteFile(tmp / "web" / "teacher.html", "<!doctype html><title>上传课程</title>");
  OriginConfig config;
  config.port = 0;
  config.torrent_port = 0;
  config.lsd = false;
  config.data_dir = (tmp / "origin").string();
  config.catalog_url = catalog.url();
  config.catalog_token = catalog.Token(catalog::Role::kOrigin);
  config.web_dir = (tmp / "web").string();
  auto origin = OriginService::Start(config);
  ASSERT_TRUE(origin.ok()) << origin.status().ToString();
  auto page = HttpClient((*origin)->http_port()).Request("GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(page.body, "<!doctype html><title>上传课程</title>");
  EXPECT_EQ(HttpClient((*origin)->http_port()).Request("GET", "/web/teacher.html").status, 200);
  EXPECT_EQ(HttpClient((*origin)->http_port()).Request("GET", "/web/../jobs.db").status, 404);
}

}  // namespace
}  // namespace lm::origin
