#include "tests/catalog/catalog_api_fixture.h"

#include "common/base64.h"
#include "transcoder/bundle.h"

namespace lm::catalog {

namespace fs = std::filesystem;
using json = nlohmann::json;

void CatalogApiFixture::SetUp() {
  LM_SKIP_IF_NO_BACKEND(GetParam());
  auto store = testing::OpenFreshStore(GetParam(), tmp_.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  store_ = std::move(*store);
  auto key = SigningKey::LoadOrCreate(tmp_ / "key.pem");
  ASSERT_TRUE(key.ok());
  key_ = std::make_unique<SigningKey>(std::move(*key));
  fs::create_directories(tmp_ / "web");
  testing::WriteFile(tmp_ / "web" / "admin.html", "<!doctype html><title>admin</title>");
  testing::WriteFile(tmp_ / "web" / "dashboard.html", "<!doctype html><title>dashboard</title>");
  testing::WriteFile(tmp_ / "web" / "app.js", "console.log('page');");
  testing::WriteFile(tmp_ / "secret.txt", kPlantedSecret);
  CatalogApiOptions options;
  options.now = [this] { return now_.load(); };
  options.web_dir = (tmp_ / "web").string();
  options.failed_auth.clock = [this] {
    return std::chrono::steady_clock::now() + std::chrono::seconds(steady_offset_s_.load());
  };
  api_ = std::make_unique<CatalogApi>(*store_, *key_, options);
  auto server = http::HttpServer::Start(
      http::ServerOptions{}, [this](http::Request r, http::Responder respond) { api_->Handle(std::move(r), respond); },
      &CatalogApi::BodyLimit);
  ASSERT_TRUE(server.ok());
  server_ = std::move(*server);
  api_->SetRunAfter([s = server_.get()](std::chrono::milliseconds d, std::function<void()> fn) {
    s->RunAfter(d, std::move(fn));
  });
  admin_ = Issue(Role::kAdmin).token;
  origin_ = Issue(Role::kOrigin).token;
}

void CatalogApiFixture::TearDown() {
  if (api_) api_->ReleaseWaiters();
  if (server_) server_->Stop();
}

IssuedToken CatalogApiFixture::Issue(Role role, const std::string& school, std::int64_t expires_at) {
  auto issued = IssueToken(*store_, {.role = role, .school_id = school, .label = "test", .expires_at = expires_at},
                           now_.load());
  EXPECT_TRUE(issued.ok()) << issued.status().ToString();
  return issued.ok() ? *issued : IssuedToken{};
}

testing::HttpResult CatalogApiFixture::Call(const std::string& method, const std::string& target,
                                            const std::string& token, const json& body,
                                            std::map<std::string, std::string> headers) {
  if (!token.empty()) headers["Authorization"] = "Bearer " + token;
  return testing::HttpClient(server_->port()).Request(method, target, body.is_null() ? "" : body.dump(), headers);
}

void CatalogApiFixture::MakeSchools() {
  for (auto [id, name, kind] : {std::tuple{"tianhe-3", "天河第三小学", "urban"},
                                std::tuple{"conghua-lx", "从化区良口镇中心小学", "rural"}}) {
    auto r = Call("POST", "/v1/schools", admin_, {{"id", id}, {"name", name}, {"county", "从化区"}, {"kind", kind}});
    ASSERT_EQ(r.status, 201) << r.body;
  }
  auto c = Call("POST", "/v1/communities", admin_,
                {{"id", "th-ch-1"}, {"name", "天河—从化城乡教共体"}, {"model", "fusion"}, {"level", "cross_county"},
                 {"core_school", "tianhe-3"}, {"members", {"conghua-lx"}}});
  ASSERT_EQ(c.status, 201) << c.body;
}

json CatalogApiFixture::LessonBody(const std::string& title) {
  const fs::path src = tmp_ / (title + ".pdf");
  testing::WriteFile(src, "%PDF-1.4\n% " + title + "\n%%EOF\n");
  transcoder::BundleOptions o;
  o.metadata = {title, "王老师", "数学", "三年级"};
  auto bundle = transcoder::MakeBundle(src, tmp_ / "bundles" / title, o);
  EXPECT_TRUE(bundle.ok()) << bundle.status().ToString();
  if (!bundle.ok()) return json::object();
  return {{"manifest", json::parse(testing::ReadFile(bundle->dir / "lesson.json"))},
          {"torrent_base64", Base64Encode(testing::ReadFile(bundle->dir / "lesson.torrent"))},
          {"info_hash_v1", bundle->info_hash_v1},
          {"info_hash_v2", bundle->info_hash_v2},
          {"school_id", "tianhe-3"},
          {"description", "课件"},
          {"tags", {"课件"}}};
}

std::string CatalogApiFixture::RegisterDocument(const std::string& title) {
  const json body = LessonBody(title);
  auto r = Call("POST", "/v1/lessons", origin_, body);
  EXPECT_EQ(r.status, 201) << r.body;
  return body.contains("manifest") ? body["manifest"].value("id", "") : "";
}

}  // namespace lm::catalog
