// The catalog as a real HTTP service on loopback: every route checks its token's role and
// ownership; lessons register from real bundles and are found by Chinese search; packs are
// published as signed, immutable versions that only their target schools' edges receive, with
// ETag and long polls; reports are idempotent and feed coverage and the monthly report.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/http/http_server.h"
#include "common/base64.h"
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

class CatalogServiceTest : public ::testing::Test {
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
    service_ = std::make_unique<CatalogApi>(*store_, *key_, options);
    auto server = http::HttpServer::Start(
        http::ServerOptions{}, [this](http::Request r, http::Responder respond) { service_->Handle(std::move(r), respond); },
        &CatalogApi::BodyLimit);
    ASSERT_TRUE(server.ok());
    server_ = std::move(*server);
    service_->SetRunAfter([s = server_.get()](std::chrono::milliseconds d, std::function<void()> fn) {
      s->RunAfter(d, std::move(fn));
    });
    admin_ = Token(Role::kAdmin, "");
    origin_ = Token(Role::kOrigin, "");
    supervisor_ = Token(Role::kSupervisor, "");
  }
  void TearDown() override {
    service_->ReleaseWaiters();
    server_->Stop();
  }

  std::string Token(Role role, const std::string& school) {
    auto t = NewToken();
    EXPECT_TRUE(store_->PutToken(TokenHash(*t), {role, school}, "test").ok());
    return *t;
  }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                  const json& body = nullptr, std::map<std::string, std::string> headers = {}) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return HttpClient(server_->port()).Request(method, target, body.is_null() ? "" : body.dump(), headers);
  }

  // A real document bundle (fast to make), registered the way the origin does.
  std::string RegisterBundle(const std::string& title, const std::string& subject, const std::string& grade,
                             const std::string& pdf_text) {
    const fs::path src = tmp_ / (title + ".pdf");
    lm::testing::WriteFile(src, "%PDF-1.4\n% " + pdf_text + "\n%%EOF\n");
    transcoder::BundleOptions o;
    o.metadata = {title, "王老师", subject, grade};
    auto bundle = transcoder::MakeBundle(src, tmp_ / "bundles" / title, o);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    json body = {{"manifest", json::parse(ReadFile(bundle->dir / "lesson.json"))},
                 {"torrent_base64", Base64Encode(ReadFile(bundle->dir / "lesson.torrent"))},
                 {"info_hash_v1", bundle->info_hash_v1},
                 {"info_hash_v2", bundle->info_hash_v2},
                 {"school_id", "tianhe-3"},
                 {"tags", {"课件", subject}}};
    auto r = Call("POST", "/v1/lessons", origin_, body);
    EXPECT_EQ(r.status, 201) << r.body;
    return bundle->id;
  }

  void MakeSchoolsAndCommunity() {
    for (auto [id, name, kind] : {std::tuple{"tianhe-3", "天河第三小学", "urban"},
                                  std::tuple{"conghua-lx", "从化区良口镇中心小学", "rural"},
                                  std::tuple{"conghua-tp1", "良口镇石岭教学点", "teaching_point"},
                                  std::tuple{"other", "外县小学", "rural"}}) {
      auto r = Call("POST", "/v1/schools", admin_,
                    {{"id", id}, {"name", name}, {"county", std::string(id) == "other" ? "增城区" : "从化区"},
                     {"kind", kind}, {"pupils", 100}});
      ASSERT_EQ(r.status, 201) << r.body;
    }
    auto c = Call("POST", "/v1/communities", admin_,
                  {{"id", "th-ch-1"}, {"name", "天河—从化城乡教共体"}, {"model", "fusion"}, {"level", "cross_county"},
                   {"core_school", "tianhe-3"}, {"members", {"conghua-lx", "conghua-tp1"}}});
    ASSERT_EQ(c.status, 201) << c.body;
  }

  json PublishPack(const std::vector<std::string>& lessons, const std::string& method = "POST",
                   const std::string& target = "/v1/packs") {
    json items = json::array();
    for (const auto& id : lessons) items.push_back({{"lesson_id", id}, {"needed_by", "2026-12-01"}});
    auto r = Call(method, target, admin_,
                  {{"title", "三年级数学 第三单元资源包"}, {"items", items}, {"targets", {{"communities", {"th-ch-1"}}}}});
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }

  lm::testing::TempDir tmp_;
  std::atomic<std::int64_t> now_{1795000000};  // 2026-11-19
  std::unique_ptr<SqliteCatalogStore> store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<CatalogApi> service_;
  std::unique_ptr<http::HttpServer> server_;
  std::string admin_, origin_, supervisor_;
};

TEST_F(CatalogServiceTest, EveryRouteChecksTokenAndRole) {
  MakeSchoolsAndCommunity();
  const std::string teacher = Token(Role::kTeacher, "tianhe-3");
  const std::string edge = Token(Role::kEdge, "conghua-lx");
  struct Case {
    std::string method, target, token;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET", "/healthz", "", 200},
      {"GET", "/v1/keys", "", 200},
      {"GET", "/v1/schools", "", 401},
      {"GET", "/v1/schools", "not-a-token", 401},
      {"GET", "/v1/lessons?q=x", "", 401},
      {"POST", "/v1/schools", teacher, 403},
      {"POST", "/v1/schools", edge, 403},
      {"GET", "/v1/schools", edge, 403},
      {"GET", "/v1/schools", supervisor_, 200},
      {"POST", "/v1/communities", supervisor_, 403},
      {"POST", "/v1/lessons", teacher, 403},
      {"POST", "/v1/packs", origin_, 403},
      {"POST", "/v1/packs", supervisor_, 403},
      {"GET", "/v1/edges/conghua-lx/packs", edge, 200},
      {"GET", "/v1/edges/conghua-tp1/packs", edge, 403},  // another school's packs
      {"GET", "/v1/edges/conghua-lx/packs", teacher, 403},
      {"POST", "/v1/edges/conghua-tp1/report", edge, 403},
      {"GET", "/v1/reports/coverage?community=th-ch-1", edge, 403},
      {"GET", "/v1/reports/coverage?community=th-ch-1", supervisor_, 200},
      {"GET", "/v1/reports/monthly?month=2026-11", teacher, 403},
      {"GET", "/v1/communities/th-ch-1", edge, 403},
      {"GET", "/v1/communities/th-ch-1", supervisor_, 200},
      {"GET", "/v1/packs/1", edge, 403},
      {"GET", "/v1/packs/1", teacher, 403},
      {"PUT", "/v1/packs/1", supervisor_, 403},
      {"GET", "/v1/lessons/00000000000000000000000000000000", edge, 404},
      {"GET", "/v1/lessons/00000000000000000000000000000000/torrent", "", 401},
      {"GET", "/v1/lessons?q=x", teacher, 200},
      {"GET", "/v1/edges/conghua-lx/packs", admin_, 200},
      {"POST", "/v1/edges/conghua-lx/report", admin_, 403},  // only the school's own edge reports
      {"GET", "/v1/nope", admin_, 404},
      {"DELETE", "/v1/schools", admin_, 405},
      {"GET", "/v1/whoami", "", 401},
      {"GET", "/v1/whoami", "not-a-token", 401},
      {"POST", "/v1/whoami", teacher, 405},
  };
  for (const auto& c : cases) {
    const bool has_body = c.method == "POST" || c.method == "PUT";
    auto r = Call(c.method, c.target, c.token, has_body ? json::object() : json(nullptr));
    EXPECT_EQ(r.status, c.status) << c.method << " " << c.target << " " << r.body;
    if (r.status >= 400) {
      auto j = json::parse(r.body, nullptr, false);
      EXPECT_TRUE(j.contains("error") && j.contains("code")) << r.body;
    }
  }
}


TEST_F(CatalogServiceTest, WhoAmITellsAnotherServiceWhoseTokenItIs) {
  MakeSchoolsAndCommunity();
  const std::string teacher = Token(Role::kTeacher, "tianhe-3");
  auto r = Call("GET", "/v1/whoami", teacher, json(nullptr));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["role"], "teacher");
  EXPECT_EQ(j["school_id"], "tianhe-3");
  EXPECT_EQ(json::parse(Call("GET", "/v1/whoami", origin_, json(nullptr)).body)["role"], "origin");
}
TEST_F(CatalogServiceTest, BadInputNamesTheFieldAndChangesNothing) {
  MakeSchoolsAndCommunity();
  auto r = HttpClient(server_->port()).Request("POST", "/v1/schools", "{not json", {{"Authorization", "Bearer " + admin_}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "body");
  r = Call("POST", "/v1/schools", admin_, {{"id", "x1"}, {"name", "学校"}, {"kind", "castle"}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "kind");
  r = Call("POST", "/v1/communities", admin_,
           {{"id", "c2"}, {"name", "教联体"}, {"model", "fusion"}, {"level", "county"}, {"core_school", "tianhe-3"},
            {"members", {"no-such-school"}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "members");
  EXPECT_EQ(Call("GET", "/v1/communities/c2", admin_).status, 404);  // nothing half-written
  r = Call("POST", "/v1/packs", admin_, {{"title", "包"}, {"items", {{{"lesson_id", "0123"}, {"needed_by", "2026-13-01"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "needed_by");
  r = Call("POST", "/v1/packs", admin_,
           {{"title", "包"}, {"items", {{{"lesson_id", "00000000000000000000000000000000"}, {"needed_by", "2026-12-01"}}}},
            {"targets", {{"schools", {"tianhe-3"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "items");
  EXPECT_EQ(Call("GET", "/v1/packs/1", admin_).status, 404);
  r = HttpClient(server_->port()).Request("POST", "/v1/schools", std::string(100 * 1024, 'x'),
                                          {{"Authorization", "Bearer " + admin_}});
  EXPECT_EQ(r.status, 413);
}

// Values of the wrong type deep in a body are bad input (400 naming where), not a crash.
TEST_F(CatalogServiceTest, WrongTypesInsideABodyAreRefusedWith400) {
  MakeSchoolsAndCommunity();
  const std::string edge = Token(Role::kEdge, "conghua-lx");
  auto report = Call("POST", "/v1/edges/conghua-lx/report", edge,
                     {{"report_id", "r1"}, {"free_bytes", "lots"}, {"inventory", json::array()}});
  EXPECT_EQ(report.status, 400) << report.body;
  EXPECT_EQ(json::parse(report.body)["field"], "body");
  report = Call("POST", "/v1/edges/conghua-lx/report", edge, {{"report_id", "r2"}, {"inventory", {1, 2}}});
  EXPECT_EQ(report.status, 400) << report.body;
  json manifest = {{"schema", 1}, {"id", std::string(32, 'a')}, {"kind", "lesson"}, {"title", "t"},
                   {"duration_s", "long"}, {"files", json::array()}};
  auto lesson = Call("POST", "/v1/lessons", origin_,
                     {{"manifest", manifest}, {"info_hash_v1", std::string(40, 'a')},
                      {"info_hash_v2", std::string(64, 'b')}, {"torrent_base64", "ZGU="}});
  EXPECT_EQ(lesson.status, 400) << lesson.body;
  EXPECT_EQ(json::parse(lesson.body)["field"], "manifest.duration_s");
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);  // still serving
}

TEST_F(CatalogServiceTest, LessonsRegisterOnceAndAreFoundInChinese) {
  MakeSchoolsAndCommunity();
  const std::string fractions = RegisterBundle("分数的初步认识", "数学", "三年级", "fractions");
  const std::string addition = RegisterBundle("10以内的加法", "数学", "一年级", "addition");
  const std::string python = RegisterBundle("Python 入门：变量与循环", "信息科技", "七年级", "python");
  // The same bundle again: the same lesson, not a second copy.
  json again = {{"manifest", json::parse(ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.json"))},
                {"torrent_base64", Base64Encode(ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.torrent"))},
                {"info_hash_v1", std::string(40, 'a')},
                {"info_hash_v2", std::string(64, 'b')}};
  auto r = Call("POST", "/v1/lessons", origin_, again);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["created"], false);

  auto search = [&](const std::string& query) {
    auto res = Call("GET", "/v1/lessons?" + query, admin_);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> ids;
    const json parsed = json::parse(res.body, nullptr, false);
    if (!parsed.contains("lessons")) return ids;
    for (const auto& l : parsed["lessons"]) ids.push_back(l["id"]);
    return ids;
  };
  EXPECT_EQ(search("q=%E5%88%86%E6%95%B0"), std::vector<std::string>{fractions});  // 分数
  EXPECT_EQ(search("q=%E5%8A%A0%E6%B3%95"), std::vector<std::string>{addition});   // 加法
  EXPECT_EQ(search("q=python+%E5%85%A5%E9%97%A8"), std::vector<std::string>{python});  // python 入门
  EXPECT_EQ(search("q=%E6%95%B0%E5%AD%A6&grade=%E4%B8%80%E5%B9%B4%E7%BA%A7"),
            std::vector<std::string>{addition});  // 数学 (a tag) in 一年级
  EXPECT_EQ(search("q=%22%29%28*").size(), 3u);  // only FTS syntax: nothing to match, newest lessons listed
  EXPECT_EQ(Call("GET", "/v1/lessons?page=0", admin_).status, 400);

  auto torrent = Call("GET", "/v1/lessons/" + fractions + "/torrent", Token(Role::kEdge, "conghua-lx"));
  EXPECT_EQ(torrent.status, 200);
  EXPECT_EQ(torrent.Header("content-type"), "application/x-bittorrent");
  EXPECT_EQ(torrent.body, ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.torrent"));
}

TEST_F(CatalogServiceTest, PacksAreSignedVersionedAndReachOnlyTheirTargets) {
  MakeSchoolsAndCommunity();
  const std::string a = RegisterBundle("分数的初步认识", "数学", "三年级", "a");
  const std::string b = RegisterBundle("分数的简单计算", "数学", "三年级", "b");
  json v1 = PublishPack({a});
  EXPECT_EQ(v1["version"], 1);

  const std::string public_key = json::parse(Call("GET", "/v1/keys", "").body)["public_key"];
  const std::string edge = Token(Role::kEdge, "conghua-tp1");
  auto r = Call("GET", "/v1/edges/conghua-tp1/packs", edge);
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string etag = r.Header("etag");
  ASSERT_FALSE(etag.empty());
  auto packs = json::parse(r.body)["packs"];
  ASSERT_EQ(packs.size(), 1u);
  const std::string manifest = packs[0]["manifest"];
  const std::string signature = packs[0]["signature"];
  EXPECT_TRUE(VerifySignature(public_key, manifest, signature).ok());
  std::string tampered = manifest;
  tampered[tampered.size() / 2] ^= 1;
  EXPECT_FALSE(VerifySignature(public_key, tampered, signature).ok());
  auto m = json::parse(manifest);
  EXPECT_EQ(m["items"][0]["lesson_id"], a);
  EXPECT_EQ(m["items"][0]["needed_by"], "2026-12-01");
  EXPECT_EQ(m["items"][0]["info_hash_v1"].get<std::string>().size(), 40u);
  EXPECT_GT(m["items"][0]["total_bytes"].get<std::int64_t>(), 0);
  EXPECT_EQ(m["targets"]["communities"], json({"th-ch-1"}));

  // Nothing changed: 304 and no body.
  auto same = Call("GET", "/v1/edges/conghua-tp1/packs", edge, nullptr, {{"If-None-Match", etag}});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  // A school outside the community sees nothing.
  auto other = Call("GET", "/v1/edges/other/packs", Token(Role::kEdge, "other"));
  EXPECT_EQ(json::parse(other.body)["packs"].size(), 0u);

  // A new version; the old one stays readable, byte for byte.
  json v2 = PublishPack({a, b}, "PUT", "/v1/packs/" + std::to_string(v1["pack_id"].get<int>()));
  EXPECT_EQ(v2["version"], 2);
  auto old = Call("GET", "/v1/packs/1/versions/1", supervisor_);
  ASSERT_EQ(old.status, 200);
  EXPECT_EQ(json::parse(old.body)["manifest"], v1["manifest"]);
  auto changed = Call("GET", "/v1/edges/conghua-tp1/packs", edge, nullptr, {{"If-None-Match", etag}});
  EXPECT_EQ(changed.status, 200);
  EXPECT_NE(changed.Header("etag"), etag);
  EXPECT_EQ(json::parse(json::parse(changed.body)["packs"][0]["manifest"].get<std::string>())["items"].size(), 2u);
}

TEST_F(CatalogServiceTest, LongPollWakesOnPublishAndTimesOutWith304) {
  MakeSchoolsAndCommunity();
  const std::string a = RegisterBundle("光的折射", "物理", "八年级", "a");
  const std::string edge = Token(Role::kEdge, "conghua-lx");
  auto first = Call("GET", "/v1/edges/conghua-lx/packs", edge);
  const std::string etag = first.Header("etag");

  // No change within the wait: 304 after about a second.
  const auto t0 = std::chrono::steady_clock::now();
  auto idle = Call("GET", "/v1/edges/conghua-lx/packs?wait=1", edge, nullptr, {{"If-None-Match", etag}});
  EXPECT_EQ(idle.status, 304);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));

  // A publish while the edge waits answers it at once with the new list.
  auto poll = std::async(std::launch::async, [&] {
    return Call("GET", "/v1/edges/conghua-lx/packs?wait=60", edge, nullptr, {{"If-None-Match", etag}});
  });
  // Publish only once the poll is parked: otherwise it would see the new list straight away,
  // which is also right but does not test the wake-up.
  for (int i = 0; i < 500 && poll.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready; ++i) {
    auto metrics = Call("GET", "/metrics", "");
    if (metrics.body.find("route=\"/v1/edges/{school}/packs\",status=\"200\"} 1") != std::string::npos) break;
  }
  const auto t1 = std::chrono::steady_clock::now();
  PublishPack({a});
  ASSERT_EQ(poll.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  auto woke = poll.get();
  EXPECT_EQ(woke.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, std::chrono::seconds(10));
  EXPECT_EQ(json::parse(woke.body)["packs"].size(), 1u);
}

TEST_F(CatalogServiceTest, ReportsAreIdempotentAndFeedCoverageAndMonthly) {
  MakeSchoolsAndCommunity();
  const std::string a = RegisterBundle("分数的初步认识", "数学", "三年级", "a");
  const std::string b = RegisterBundle("古诗两首", "语文", "三年级", "b");
  PublishPack({a, b});
  const std::string edge = Token(Role::kEdge, "conghua-lx");
  json report = {{"report_id", "r-0001"},
                 {"free_bytes", 5000000000LL},
                 {"inventory", {{{"lesson_id", a}, {"state", "complete"}, {"bytes", 100}},
                                {{"lesson_id", b}, {"state", "partial"}, {"bytes", 10}}}},
                 {"plays", {{{"lesson_id", a}, {"started_at", 1795000000}, {"seconds", 1800}},
                            {{"lesson_id", b}, {"started_at", 1795003600}, {"seconds", 600}}}}};
  auto r1 = Call("POST", "/v1/edges/conghua-lx/report", edge, report);
  ASSERT_EQ(r1.status, 200) << r1.body;
  EXPECT_EQ(json::parse(r1.body)["applied"], true);
  auto r2 = Call("POST", "/v1/edges/conghua-lx/report", edge, report);  // a retry after a dropped link
  EXPECT_EQ(json::parse(r2.body)["applied"], false);

  auto cov = Call("GET", "/v1/reports/coverage?community=th-ch-1", supervisor_);
  ASSERT_EQ(cov.status, 200) << cov.body;
  auto schools = json::parse(cov.body)["schools"];
  ASSERT_EQ(schools.size(), 3u);  // core school and two members
  json lx;
  for (const auto& s : schools)
    if (s["school_id"] == "conghua-lx") lx = s;
  ASSERT_FALSE(lx.is_null());
  EXPECT_EQ(lx["last_contact"], now_.load());
  EXPECT_EQ(lx["packs"][0]["items"], 2);
  EXPECT_EQ(lx["packs"][0]["items_complete"], 1);
  EXPECT_DOUBLE_EQ(lx["packs"][0]["share_complete"].get<double>(), 0.5);
  EXPECT_GT(lx["packs"][0]["bytes_missing"].get<std::int64_t>(), 0);

  auto monthly = Call("GET", "/v1/reports/monthly?month=2026-11&county=%E4%BB%8E%E5%8C%96%E5%8C%BA", supervisor_);
  ASSERT_EQ(monthly.status, 200) << monthly.body;
  auto m = json::parse(monthly.body);
  EXPECT_EQ(m["lessons_published"], 2);
  EXPECT_EQ(m["packs_delivered"], 0);
  ASSERT_EQ(m["rows"].size(), 2u);  // 数学 and 语文, each played once, not twice
  EXPECT_EQ(m["rows"][0]["subject"], "数学");
  EXPECT_EQ(m["rows"][0]["plays"], 1);
  EXPECT_DOUBLE_EQ(m["rows"][0]["minutes"].get<double>(), 30.0);
  auto csv = Call("GET", "/v1/reports/monthly?month=2026-11&format=csv", supervisor_);
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body, "\xEF\xBB\xBFmonth,lessons_published,packs_delivered,community,county,subject,grade,plays,minutes\n"
                      "2026-11,2,0,th-ch-1,从化区,数学,三年级,1,30.0\n"
                      "2026-11,2,0,th-ch-1,从化区,语文,三年级,1,10.0\n");
  auto quiet = Call("GET", "/v1/reports/monthly?month=2026-10&format=csv", supervisor_);
  EXPECT_EQ(quiet.body, "\xEF\xBB\xBFmonth,lessons_published,packs_delivered,community,county,subject,grade,plays,minutes\n"
                        "2026-10,0,0,,,,,0,0.0\n");
  EXPECT_EQ(Call("GET", "/v1/reports/monthly?month=2026-13", supervisor_).status, 400);
}

TEST_F(CatalogServiceTest, MetricsCountRequestsByRouteAndStatus) {
  Call("GET", "/v1/schools", "");
  Call("GET", "/v1/schools", supervisor_);
  auto m = Call("GET", "/metrics", "");
  EXPECT_EQ(m.status, 200);
  EXPECT_NE(m.body.find("lessonmesh_http_requests_total{route=\"/v1/schools\",status=\"200\"} 1"), std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("lessonmesh_http_request_seconds_count{route=\"/v1/schools\"} 1"), std::string::npos);
  EXPECT_NE(m.body.find("lessonmesh_store_bytes "), std::string::npos);
}

}  // namespace
}  // namespace lm::catalog
