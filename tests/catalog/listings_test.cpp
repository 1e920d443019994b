// The lists the web pages show: GET /v1/communities (with members), GET /v1/packs (the latest
// version of each pack), GET /v1/edges (last contact and free disk), for admins and supervisors
// only; and the catalog serving the admin's page and the dashboard from its web_dir.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <filesystem>

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/catalog_service.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/base64.h"
#include "common/http/http_server.h"
#include "common/signing.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "transcoder/bundle.h"

namespace lm::catalog {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::HttpResult;
using lm::testing::ReadFile;

class ListingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteCatalogStore::Open((tmp_ / "catalog.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto key = SigningKey::LoadOrCreate(tmp_ / "key.pem");
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<SigningKey>(std::move(*key));
    CatalogApiOptions options;
    options.now = [this] { return now_.load(); };
    api_ = std::make_unique<CatalogApi>(*store_, *key_, options);
    auto server = http::HttpServer::Start(
        http::ServerOptions{}, [this](http::Request r, http::Responder respond) { api_->Handle(std::move(r), respond); },
        &CatalogApi::BodyLimit);
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    admin_ = Token(Role::kAdmin, "");
    supervisor_ = Token(Role::kSupervisor, "");
  }
  void TearDown() override {
    api_->ReleaseWaiters();
    server_->Stop();
  }

  std::string Token(Role role, const std::string& school) {
    auto t = NewToken();
    EXPECT_TRUE(store_->PutToken(TokenHash(*t), {.role = role, .school_id = school}).ok());
    return *t;
  }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                  const json& body = nullptr) {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return HttpClient(server_->port()).Request(method, target, body.is_null() ? "" : body.dump(), headers);
  }

  json Ok(const HttpResult& r) {
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
    return json::parse(r.body, nullptr, false);
  }

  std::string RegisterDocument(const std::string& title) {
    const fs::path src = tmp_ / (title + ".pdf");
    lm::testing::WriteFile(src, "%PDF-1.4\n% " + title + "\n%%EOF\n");
    transcoder::BundleOptions o;
    o.metadata = {title, "王老师", "数学", "三年级"};
    auto bundle = transcoder::MakeBundle(src, tmp_ / "bundles" / title, o);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    Ok(Call("POST", "/v1/lessons", admin_,
            {{"manifest", json::parse(ReadFile(bundle->dir / "lesson.json"))},
             {"torrent_base64", Base64Encode(ReadFile(bundle->dir / "lesson.torrent"))},
             {"info_hash_v1", bundle->info_hash_v1},
             {"info_hash_v2", bundle->info_hash_v2}}));
    return bundle->id;
  }

  lm::testing::TempDir tmp_;
  std::atomic<std::int64_t> now_{1795000000};
  std::unique_ptr<SqliteCatalogStore> store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<CatalogApi> api_;
  std::unique_ptr<http::HttpServer> server_;
  std::string admin_, supervisor_;
};

TEST_F(ListingsTest, CommunitiesPacksAndEdgesAreListed) {
  for (auto [id, name] : {std::pair{"tianhe-3", "天河第三小学"}, std::pair{"conghua-lx", "良口镇中心小学"},
                          std::pair{"conghua-tp1", "石岭教学点"}}) {
    Ok(Call("POST", "/v1/schools", admin_, {{"id", id}, {"name", name}, {"county", "从化区"}, {"kind", "rural"}}));
  }
  EXPECT_EQ(Ok(Call("GET", "/v1/communities", supervisor_)), json::parse(R"({"communities":[]})"));
  Ok(Call("POST", "/v1/communities", admin_,
          {{"id", "th-ch"}, {"name", "天河—从化城乡教共体"}, {"model", "fusion"}, {"level", "cross_county"},
           {"core_school", "tianhe-3"}, {"members", {"conghua-tp1", "conghua-lx"}}}));
  Ok(Call("POST", "/v1/communities", admin_,
          {{"id", "a-first"}, {"name", "协作体"}, {"model", "collaboration"}, {"level", "county"},
           {"core_school", "conghua-lx"}, {"members", json::array()}}));
  EXPECT_EQ(Ok(Call("GET", "/v1/communities", admin_)), json::parse(R"({"communities":[
      {"id":"a-first","name":"协作体","model":"collaboration","level":"county","core_school":"conghua-lx",
       "members":["conghua-lx"]},
      {"id":"th-ch","name":"天河—从化城乡教共体","model":"fusion","level":"cross_county","core_school":"tianhe-3",
       "members":["conghua-lx","conghua-tp1","tianhe-3"]}]})"));

  const std::string a = RegisterDocument("分数练习");
  const std::string b = RegisterDocument("小数练习");
  EXPECT_EQ(Ok(Call("GET", "/v1/packs", admin_)), json::parse(R"({"packs":[]})"));
  const json one = Ok(Call("POST", "/v1/packs", admin_,
                           {{"title", "第一包"}, {"items", {{{"lesson_id", a}, {"needed_by", "2026-12-01"}}}},
                            {"targets", {{"communities", {"th-ch"}}}}}));
  const json two = Ok(Call("POST", "/v1/packs", admin_,
                           {{"title", "第二包"}, {"items", {{{"lesson_id", b}, {"needed_by", "2026-12-02"}}}},
                            {"targets", {{"schools", {"conghua-lx"}}}}}));
  const json one_v2 = Ok(Call("PUT", "/v1/packs/" + std::to_string(one["pack_id"].get<int>()), admin_,
                              {{"title", "第一包"},
                               {"items", {{{"lesson_id", a}, {"needed_by", "2026-12-01"}},
                                          {{"lesson_id", b}, {"needed_by", "2026-12-03"}}}},
                               {"targets", {{"communities", {"th-ch"}}}}}));
  EXPECT_EQ(Ok(Call("GET", "/v1/packs", supervisor_)), (json{{"packs", {one_v2, two}}}));

  EXPECT_EQ(Ok(Call("GET", "/v1/edges", supervisor_)), json::parse(R"({"edges":[]})"));
  const std::string edge = Token(Role::kEdge, "conghua-tp1");
  Ok(Call("POST", "/v1/edges/conghua-tp1/report", edge, {{"report_id", "r1"}, {"free_bytes", 123456789}}));
  now_ += 60;
  const std::string edge2 = Token(Role::kEdge, "conghua-lx");
  ASSERT_EQ(Call("GET", "/v1/edges/conghua-lx/packs", edge2).status, 200);  // a poll is a contact too
  EXPECT_EQ(Ok(Call("GET", "/v1/edges", admin_)), json::parse(R"({"edges":[
      {"school_id":"conghua-lx","last_contact":1795000060,"free_bytes":0},
      {"school_id":"conghua-tp1","last_contact":1795000000,"free_bytes":123456789}]})"));
}

TEST_F(ListingsTest, OnlyAdminsAndSupervisorsReadTheLists) {
  const std::string teacher = Token(Role::kTeacher, "tianhe-3");
  const std::string edge = Token(Role::kEdge, "tianhe-3");
  for (const std::string target : {"/v1/communities", "/v1/packs", "/v1/edges"}) {
    EXPECT_EQ(Call("GET", target, "").status, 401) << target;
    EXPECT_EQ(Call("GET", target, teacher).status, 403) << target;
    EXPECT_EQ(Call("GET", target, edge).status, 403) << target;
    EXPECT_EQ(Call("DELETE", target, admin_).status, 405) << target;
  }
}

TEST(CatalogPagesTest, TheAdminsPageAndTheDashboardAreServed) {
  lm::testing::TempDir tmp;
  fs::create_directories(tmp / "web");
  lm::testing::WriteFile(tmp / "web" / "admin.html", "<title>管理员</title>");
  lm::testing::WriteFile(tmp / "web" / "dashboard.html", "<title>督导看板</title>");
  lm::testing::WriteFile(tmp / "web" / "admin.js", "1");
  CatalogConfig config;
  config.port = 0;
  config.data_dir = (tmp / "data").string();
  config.web_dir = (tmp / "web").string();
  config.worker_threads = 1;
  auto service = CatalogService::Start(config);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  HttpClient client((*service)->port());
  auto admin = client.Request("GET", "/admin");
  EXPECT_EQ(admin.status, 200);
  EXPECT_EQ(admin.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(admin.body, "<title>管理员</title>");
  EXPECT_EQ(client.Request("GET", "/dashboard").body, "<title>督导看板</title>");
  EXPECT_EQ(client.Request("GET", "/web/admin.js").body, "1");
  EXPECT_EQ(client.Request("GET", "/web/../data/admin.token").status, 404);
  EXPECT_EQ(client.Request("GET", "/v1/schools").status, 401);  // the API is still behind tokens
}

}  // namespace
}  // namespace lm::catalog
