// The catalog as a real HTTP service on loopback: every route checks its token's role and
// ownership; lessons register from real bundles and are found by Chinese search; packs are
// published as signed, immutable versions that only their target schools' edges receive, with
// ETag and long polls; reports are idempotent and feed coverage and the monthly report.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <future>
#include <set>

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/http/http_server.h"
#include "common/base64.h"
#include "common/signing.h"
#include "tests/testing/http_client.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/torrent_reference.h"
#include "tests/testing/wait_for.h"
#include "transcoder/bundle.h"

namespace lm::catalog {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::HttpResult;
using lm::testing::ReadFile;

class CatalogServiceTest : public ::testing::TestWithParam<lm::testing::StoreBackend> {
 protected:
  void SetUp() override {
    LM_SKIP_IF_NO_BACKEND(GetParam());
    auto store = lm::testing::OpenFreshStore(GetParam(), tmp_.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    auto key = SigningKey::LoadOrCreate(tmp_ / "key.pem");
    ASSERT_TRUE(key.ok());
    key_ = std::make_unique<SigningKey>(std::move(*key));
    CatalogApiOptions options;
    options.now = [this] { return now_.load(); };
    service_ = std::make_unique<CatalogApi>(*store_, *key_, options);
    // Wired as lessonmesh-catalog wires it; a request that Handle returns from without having
    // answered is parked (a long poll), counted so a test can act once a poll is really waiting.
    auto server = http::HttpServer::Start(
        http::ServerOptions{},
        [this](http::Request r, http::Responder respond) {
          auto answered = std::make_shared<std::atomic<bool>>(false);
          service_->Handle(std::move(r), [answered, respond](http::Reply reply) {
            answered->store(true);
            respond(std::move(reply));
          });
          if (!answered->load()) ++parked_;
        },
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
    if (service_) service_->ReleaseWaiters();
    if (server_) server_->Stop();
  }

  std::string Token(Role role, const std::string& school) {
    auto t = NewToken();
    EXPECT_TRUE(store_->PutToken(TokenHash(*t), {.role = role, .school_id = school}).ok());
    return *t;
  }

  HttpResult Call(const std::string& method, const std::string& target, const std::string& token,
                  const json& body = nullptr, std::map<std::string, std::string> headers = {}) {
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return HttpClient(server_->port()).Request(method, target, body.is_null() ? "" : body.dump(), headers);
  }

  // A real document bundle (fast to make), registered the way the origin does.
  std::string RegisterBundle(const std::string& title, const std::string& subject, const std::string& grade,
                             const std::string& pdf_text, const std::string& teacher = "王老师",
                             const json& extra = json::object()) {
    const fs::path src = tmp_ / (title + ".pdf");
    lm::testing::WriteFile(src, "%PDF-1.4\n% " + pdf_text + "\n%%EOF\n");
    transcoder::BundleOptions o;
    o.metadata = {title, teacher, subject, grade};
    auto bundle = transcoder::MakeBundle(src, tmp_ / "bundles" / title, o);
    EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
    json body = {{"manifest", json::parse(ReadFile(bundle->dir / "lesson.json"))},
                 {"torrent_base64", Base64Encode(ReadFile(bundle->dir / "lesson.torrent"))},
                 {"info_hash_v1", bundle->info_hash_v1},
                 {"info_hash_v2", bundle->info_hash_v2},
                 {"school_id", "tianhe-3"},
                 {"tags", {"课件", subject}}};
    body.update(extra);
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

  // The lesson ids a search lists, in order.
  std::vector<std::string> Search(const std::string& query) {
    auto res = Call("GET", "/v1/lessons?" + query, admin_);
    EXPECT_EQ(res.status, 200) << res.body;
    std::vector<std::string> ids;
    const json parsed = json::parse(res.body, nullptr, false);
    if (!parsed.contains("lessons")) return ids;
    for (const auto& l : parsed["lessons"]) ids.push_back(l["id"]);
    return ids;
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
  std::atomic<int> parked_{0};                  // requests Handle left unanswered (long polls)
  std::unique_ptr<CatalogStore> store_;
  std::unique_ptr<SigningKey> key_;
  std::unique_ptr<CatalogApi> service_;
  std::unique_ptr<http::HttpServer> server_;
  std::string admin_, origin_, supervisor_;
};

INSTANTIATE_TEST_SUITE_P(Backends, CatalogServiceTest, lm::testing::kBothBackends, lm::testing::BackendName);

TEST_P(CatalogServiceTest, EveryRouteChecksTokenAndRole) {
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


TEST_P(CatalogServiceTest, WhoAmITellsAnotherServiceWhoseTokenItIs) {
  MakeSchoolsAndCommunity();
  const std::string teacher = Token(Role::kTeacher, "tianhe-3");
  auto r = Call("GET", "/v1/whoami", teacher, json(nullptr));
  ASSERT_EQ(r.status, 200) << r.body;
  auto j = json::parse(r.body);
  EXPECT_EQ(j["role"], "teacher");
  EXPECT_EQ(j["school_id"], "tianhe-3");
  EXPECT_EQ(json::parse(Call("GET", "/v1/whoami", origin_, json(nullptr)).body)["role"], "origin");
}
TEST_P(CatalogServiceTest, BadInputNamesTheFieldAndChangesNothing) {
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
TEST_P(CatalogServiceTest, WrongTypesInsideABodyAreRefusedWith400) {
  MakeSchoolsAndCommunity();
  const std::string edge = Token(Role::kEdge, "conghua-lx");
  auto report = Call("POST", "/v1/edges/conghua-lx/report", edge,
                     {{"report_id", "r1"}, {"free_bytes", "lots"}, {"inventory", json::array()}});
  EXPECT_EQ(report.status, 400) << report.body;
  EXPECT_EQ(json::parse(report.body)["field"], "free_bytes");
  report = Call("POST", "/v1/edges/conghua-lx/report", edge, {{"report_id", "r2"}, {"inventory", {1, 2}}});
  EXPECT_EQ(report.status, 400) << report.body;
  EXPECT_EQ(json::parse(report.body)["field"], "inventory");
  json manifest = {{"schema", 1}, {"id", std::string(32, 'a')}, {"kind", "lesson"}, {"title", "t"},
                   {"duration_s", "long"}, {"files", json::array()}};
  auto lesson = Call("POST", "/v1/lessons", origin_,
                     {{"manifest", manifest}, {"info_hash_v1", std::string(40, 'a')},
                      {"info_hash_v2", std::string(64, 'b')}, {"torrent_base64", "ZGU="}});
  EXPECT_EQ(lesson.status, 400) << lesson.body;
  EXPECT_EQ(json::parse(lesson.body)["field"], "manifest.duration_s");
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);  // still serving
}

TEST_P(CatalogServiceTest, LessonsRegisterOnceAndAreFoundInChinese) {
  MakeSchoolsAndCommunity();
  const std::string fractions = RegisterBundle("分数的初步认识", "数学", "三年级", "fractions");
  const std::string addition = RegisterBundle("10以内的加法", "数学", "一年级", "addition");
  const std::string python = RegisterBundle("Python 入门：变量与循环", "信息科技", "七年级", "python");
  // The same bundle again: the same lesson, not a second copy.
  json again = {{"manifest", json::parse(ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.json"))},
                {"torrent_base64", Base64Encode(ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.torrent"))},
                {"info_hash_v1", std::string(40, 'a')},
                {"info_hash_v2", std::string(64, 'b')}};
  const json stored_before = json::parse(Call("GET", "/v1/lessons/" + fractions, admin_).body);
  auto r = Call("POST", "/v1/lessons", origin_, again);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["created"], false);
  // The first registration stands, its info hashes too: the lesson is as it was, field for field.
  const json stored_after = json::parse(Call("GET", "/v1/lessons/" + fractions, admin_).body);
  EXPECT_EQ(stored_after, stored_before);
  const auto bundle_hashes = lm::testing::InfoHashesOfTorrent(
      ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.torrent"));
  EXPECT_EQ(stored_after["info_hash_v1"], bundle_hashes.v1);
  EXPECT_EQ(stored_after["info_hash_v2"], bundle_hashes.v2);


  EXPECT_EQ(Search("q=%E5%88%86%E6%95%B0"), std::vector<std::string>{fractions});  // 分数
  EXPECT_EQ(Search("q=%E5%8A%A0%E6%B3%95"), std::vector<std::string>{addition});   // 加法
  EXPECT_EQ(Search("q=python+%E5%85%A5%E9%97%A8"), std::vector<std::string>{python});  // python 入门
  EXPECT_EQ(Search("q=%E6%95%B0%E5%AD%A6&grade=%E4%B8%80%E5%B9%B4%E7%BA%A7"),
            std::vector<std::string>{addition});  // 数学 (a tag) in 一年级
  EXPECT_EQ(Search("q=%22%29%28*").size(), 3u);  // only FTS syntax: nothing to match, newest lessons listed
  EXPECT_EQ(Call("GET", "/v1/lessons?page=0", admin_).status, 400);
  // A filter with a NUL or bytes that are not UTF-8 names its field (the index once failed on it: 500).
  for (const char* query : {"q=%E5%88%86%E6%95%B0&subject=%E6%95%B0%00%22", "grade=%FF%FE", "teacher=a%0Ab"}) {
    auto bad = Call("GET", std::string("/v1/lessons?") + query, admin_);
    EXPECT_EQ(bad.status, 400) << query;
    EXPECT_EQ(json::parse(bad.body)["code"], "invalid_argument") << query;
  }
  EXPECT_EQ(json::parse(Call("GET", "/v1/lessons?q=%E5%88%86%E6%95%B0&subject=%E6%95%B0%00%22", admin_).body)["field"],
            "subject");

  auto torrent = Call("GET", "/v1/lessons/" + fractions + "/torrent", Token(Role::kEdge, "conghua-lx"));
  EXPECT_EQ(torrent.status, 200);
  EXPECT_EQ(torrent.Header("content-type"), "application/x-bittorrent");
  EXPECT_EQ(torrent.body, ReadFile(tmp_ / "bundles" / "分数的初步认识" / "lesson.torrent"));
}

TEST_P(CatalogServiceTest, PacksAreSignedVersionedAndReachOnlyTheirTargets) {
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

TEST_P(CatalogServiceTest, LongPollWakesOnPublishAndTimesOutWith304) {
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
  const int parked_before = parked_.load();
  auto poll = std::async(std::launch::async, [&] {
    return Call("GET", "/v1/edges/conghua-lx/packs?wait=60", edge, nullptr, {{"If-None-Match", etag}});
  });
  // Publish only once the poll is parked: otherwise it would see the new list straight away,
  // which is also right but does not test the wake-up.
  ASSERT_TRUE(lm::testing::WaitFor([&] { return parked_.load() > parked_before; }, 20, 5)) << "the poll never parked";
  ASSERT_NE(poll.wait_for(std::chrono::milliseconds(0)), std::future_status::ready);
  const auto t1 = std::chrono::steady_clock::now();
  PublishPack({a});
  ASSERT_EQ(poll.wait_for(lm::testing::ScaledDuration(20)), std::future_status::ready) << "publish did not wake the poll";
  auto woke = poll.get();
  EXPECT_EQ(woke.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - t1, lm::testing::ScaledDuration(10));
  EXPECT_EQ(json::parse(woke.body)["packs"].size(), 1u);
}

TEST_P(CatalogServiceTest, ReportsAreIdempotentAndFeedCoverageAndMonthly) {
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
  EXPECT_EQ(m["packs_delivered"], 0);  // b is still partial

  // A month with no plays: one row of totals.
  auto quiet = Call("GET", "/v1/reports/monthly?month=2026-10&format=csv", supervisor_);
  EXPECT_EQ(quiet.body, "\xEF\xBB\xBFmonth,lessons_published,packs_delivered,community,county,subject,grade,plays,minutes\n"
                        "2026-10,0,0,,,,,0,0.0\n");

  // The school's next report has both lessons: the pack is delivered there, and only there.
  json complete = report;
  complete["report_id"] = "r-0002";
  complete["inventory"][1]["state"] = "complete";
  complete["inventory"][1]["bytes"] = 100;
  complete["plays"] = json::array();
  ASSERT_EQ(Call("POST", "/v1/edges/conghua-lx/report", edge, complete).status, 200);
  auto delivered = json::parse(
      Call("GET", "/v1/reports/monthly?month=2026-11&county=%E4%BB%8E%E5%8C%96%E5%8C%BA", supervisor_).body);
  EXPECT_EQ(delivered["packs_delivered"], 1);
  EXPECT_EQ(delivered["rows"], m["rows"]);  // the same plays: a report without plays adds none
  auto elsewhere = json::parse(
      Call("GET", "/v1/reports/monthly?month=2026-11&county=%E5%A2%9E%E5%9F%8E%E5%8C%BA", supervisor_).body);
  EXPECT_EQ(elsewhere["packs_delivered"], 0);  // 增城区 has no school holding it
  auto coverage = json::parse(Call("GET", "/v1/reports/coverage?community=th-ch-1", supervisor_).body);
  for (const auto& s : coverage["schools"]) {
    if (s["school_id"] != "conghua-lx") continue;
    EXPECT_EQ(s["packs"][0]["items_complete"], 2);
    EXPECT_DOUBLE_EQ(s["packs"][0]["share_complete"].get<double>(), 1.0);
    EXPECT_EQ(s["packs"][0]["bytes_missing"], 0);
  }
  ASSERT_EQ(m["rows"].size(), 2u);  // 数学 and 语文, each played once, not twice
  EXPECT_EQ(m["rows"][0]["subject"], "数学");
  EXPECT_EQ(m["rows"][0]["plays"], 1);
  EXPECT_DOUBLE_EQ(m["rows"][0]["minutes"].get<double>(), 30.0);
  auto csv = Call("GET", "/v1/reports/monthly?month=2026-11&format=csv", supervisor_);  // after the delivery
  EXPECT_EQ(csv.Header("content-type"), "text/csv; charset=utf-8");
  EXPECT_EQ(csv.body, "\xEF\xBB\xBFmonth,lessons_published,packs_delivered,community,county,subject,grade,plays,minutes\n"
                      "2026-11,2,1,th-ch-1,从化区,数学,三年级,1,30.0\n"
                      "2026-11,2,1,th-ch-1,从化区,语文,三年级,1,10.0\n");
  EXPECT_EQ(Call("GET", "/v1/reports/monthly?month=2026-13", supervisor_).status, 400);
}

// The monthly report counts a pack as delivered in the month its school's edge first reported it
// whole, not in every month read after it became whole.
TEST_P(CatalogServiceTest, PacksDeliveredCountInTheMonthTheyBecameWhole) {
  MakeSchoolsAndCommunity();
  const std::string a = RegisterBundle("分数的初步认识", "数学", "三年级", "a");
  const std::string b = RegisterBundle("古诗两首", "语文", "三年级", "b");
  PublishPack({a, b});
  auto report = [&](const std::string& school, const std::string& id, const std::string& b_state) {
    json body = {{"report_id", id},
                 {"free_bytes", 5000000000LL},
                 {"inventory", {{{"lesson_id", a}, {"state", "complete"}, {"bytes", 100}},
                                {{"lesson_id", b}, {"state", b_state}, {"bytes", 100}}}},
                 {"plays", json::array()}};
    auto r = Call("POST", "/v1/edges/" + school + "/report", Token(Role::kEdge, school), body);
    ASSERT_EQ(r.status, 200) << r.body;
  };
  auto delivered = [&](const std::string& month) {
    auto r = Call("GET", "/v1/reports/monthly?month=" + month, supervisor_);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["packs_delivered"].get<int>();
  };
  constexpr std::int64_t kNovember30 = 1796083199;  // 23:59:59 UTC, the last second of November
  constexpr std::int64_t kDecember3 = 1796284800;

  report("conghua-lx", "lx-1", "partial");  // 2026-11-18: half the pack
  EXPECT_EQ(delivered("2026-11"), 0);
  now_ = kNovember30;
  report("conghua-lx", "lx-2", "complete");  // whole on the last second of November
  EXPECT_EQ(delivered("2026-10"), 0);
  EXPECT_EQ(delivered("2026-11"), 1);
  EXPECT_EQ(delivered("2026-12"), 0);

  // December: the school still reports the pack whole (not a new delivery), and the teaching
  // point receives it whole.
  now_ = kDecember3;
  report("conghua-lx", "lx-3", "complete");
  EXPECT_EQ(delivered("2026-12"), 0);
  report("conghua-tp1", "tp1-1", "complete");
  EXPECT_EQ(delivered("2026-11"), 1);
  EXPECT_EQ(delivered("2026-12"), 1);
  EXPECT_EQ(Call("GET", "/v1/reports/monthly?month=2026-12&format=csv", supervisor_).body,
            "\xEF\xBB\xBFmonth,lessons_published,packs_delivered,community,county,subject,grade,plays,minutes\n"
            "2026-12,0,1,,,,,0,0.0\n");
}

// Search as the README promises it: several hits ranked by where the words are (title before
// tags before description), not by age; subject and teacher filters; pages of 20.
TEST_P(CatalogServiceTest, SearchRanksSeveralHitsFiltersAndPages) {
  MakeSchoolsAndCommunity();
  // Registered oldest first in the order of relevance, so newest-first would list them reversed.
  const std::string in_title = RegisterBundle("光的折射", "物理", "八年级", "t");
  const std::string in_tags = RegisterBundle("凸透镜成像", "物理", "八年级", "g", "王老师", {{"tags", {"折射"}}});
  const std::string in_description =
      RegisterBundle("眼睛和眼镜", "物理", "八年级", "d", "李老师", {{"description", "从折射讲起"}});
  const std::string other_subject = RegisterBundle("折射率的计算", "数学", "八年级", "m", "李老师");
  EXPECT_EQ(Search("q=%E6%8A%98%E5%B0%84&subject=%E7%89%A9%E7%90%86"),  // 折射, 物理
            (std::vector<std::string>{in_title, in_tags, in_description}));
  EXPECT_EQ(Search("q=%E6%8A%98%E5%B0%84&teacher=%E6%9D%8E%E8%80%81%E5%B8%88"),  // 折射, 李老师
            (std::vector<std::string>{other_subject, in_description}));
  EXPECT_EQ(Search("subject=%E6%95%B0%E5%AD%A6"), std::vector<std::string>{other_subject});  // 数学, no words

  // 21 lessons of 语文: a page holds 20, the second the last one, the third none; none twice.
  std::set<std::string> all;
  for (int i = 0; i < 21; ++i) all.insert(RegisterBundle("古诗" + std::to_string(i), "语文", "三年级", "p" + std::to_string(i)));
  const auto page1 = Search("subject=%E8%AF%AD%E6%96%87");
  const auto page2 = Search("subject=%E8%AF%AD%E6%96%87&page=2");
  EXPECT_EQ(page1.size(), 20u);
  EXPECT_EQ(page2.size(), 1u);
  EXPECT_TRUE(Search("subject=%E8%AF%AD%E6%96%87&page=3").empty());
  std::set<std::string> seen(page1.begin(), page1.end());
  seen.insert(page2.begin(), page2.end());
  EXPECT_EQ(seen, all);
}

// A pack's manifest carries what the admin set: pins, the rendition policy, school targets; a
// pack aimed at one school reaches that school's edge and no other member of its community.
TEST_P(CatalogServiceTest, PackManifestCarriesPinsPolicyAndSchoolTargets) {
  MakeSchoolsAndCommunity();
  const std::string a = RegisterBundle("分数的初步认识", "数学", "三年级", "a");
  auto r = Call("POST", "/v1/packs", admin_,
                {{"title", "教学点低带宽包"},
                 {"rendition_policy", "low"},
                 {"items", {{{"lesson_id", a}, {"needed_by", "2026-12-01"}, {"pinned_until", "2027-06-30"}}}},
                 {"targets", {{"schools", {"conghua-tp1"}}}}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto tp1 = Call("GET", "/v1/edges/conghua-tp1/packs", Token(Role::kEdge, "conghua-tp1"));
  ASSERT_EQ(tp1.status, 200) << tp1.body;
  const auto packs = json::parse(tp1.body)["packs"];
  ASSERT_EQ(packs.size(), 1u);
  const json m = json::parse(packs[0]["manifest"].get<std::string>());
  EXPECT_EQ(m["rendition_policy"], "low");
  EXPECT_EQ(m["items"][0]["pinned_until"], "2027-06-30");
  EXPECT_EQ(m["items"][0]["needed_by"], "2026-12-01");
  EXPECT_EQ(m["targets"], json({{"communities", json::array()}, {"schools", {"conghua-tp1"}}}));
  // Another member of the same community gets nothing.
  auto lx = Call("GET", "/v1/edges/conghua-lx/packs", Token(Role::kEdge, "conghua-lx"));
  EXPECT_EQ(json::parse(lx.body)["packs"].size(), 0u);
  // A policy or a pin date the catalog does not know is refused, naming the field.
  r = Call("POST", "/v1/packs", admin_,
           {{"title", "包"}, {"rendition_policy", "4k"}, {"items", {{{"lesson_id", a}, {"needed_by", "2026-12-01"}}}},
            {"targets", {{"schools", {"conghua-tp1"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "rendition_policy");
  r = Call("POST", "/v1/packs", admin_,
           {{"title", "包"}, {"items", {{{"lesson_id", a}, {"needed_by", "2026-12-01"}, {"pinned_until", "someday"}}}},
            {"targets", {{"schools", {"conghua-tp1"}}}}});
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["field"], "pinned_until");
}

// An edge that asks to wait longer than max_wait_seconds is answered at the cap.
TEST_P(CatalogServiceTest, LongPollIsCappedAtMaxWaitSeconds) {
  MakeSchoolsAndCommunity();
  CatalogApiOptions options;
  options.max_wait_seconds = 1;
  CatalogApi capped(*store_, *key_, options);
  auto server = http::HttpServer::Start(
      http::ServerOptions{}, [&](http::Request r, http::Responder respond) { capped.Handle(std::move(r), respond); },
      &CatalogApi::BodyLimit);
  ASSERT_TRUE(server.ok());
  capped.SetRunAfter([s = server->get()](std::chrono::milliseconds d, std::function<void()> fn) {
    s->RunAfter(d, std::move(fn));
  });
  const std::string edge = Token(Role::kEdge, "conghua-lx");
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + edge}};
  auto first = HttpClient((*server)->port()).Request("GET", "/v1/edges/conghua-lx/packs", "", auth);
  auto headers = auth;
  headers["If-None-Match"] = first.Header("etag");
  const auto t0 = std::chrono::steady_clock::now();
  auto idle = HttpClient((*server)->port()).Request("GET", "/v1/edges/conghua-lx/packs?wait=60", "", headers);
  EXPECT_EQ(idle.status, 304);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, lm::testing::ScaledDuration(15));
  capped.ReleaseWaiters();
  (*server)->Stop();
}

TEST_P(CatalogServiceTest, MetricsCountRequestsByRouteAndStatus) {
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
