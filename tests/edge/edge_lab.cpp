#include "tests/edge/edge_lab.h"

#include <ctime>

#include "tests/testing/wait_for.h"

namespace lm::testing {

using json = nlohmann::json;

void EdgeLab::SetUp() {
  OriginFixture::SetUp();
  if (HasFatalFailure()) return;
  edge_token_ = edge_;  // conghua-lx's
  for (auto [id, name, kind] : {std::tuple{"tianhe-3", "天河第三小学", "urban"},
                                std::tuple{"conghua-lx", "从化区良口镇中心小学", "rural"},
                                std::tuple{"other", "外县小学", "rural"}}) {
    ASSERT_EQ(Catalog("POST", "/v1/schools", {{"id", id}, {"name", name}, {"county", "从化区"}, {"kind", kind}}).status,
              201);
  }
  ASSERT_EQ(Catalog("POST", "/v1/communities",
                    {{"id", "th-ch-1"}, {"name", "天河—从化城乡教共体"}, {"model", "fusion"}, {"level", "cross_county"},
                     {"core_school", "tianhe-3"}, {"members", {"conghua-lx"}}})
                .status,
            201);
  catalog_key_ = json::parse(HttpClient(catalog_.port()).Request("GET", "/v1/keys").body)["public_key"];
}

void EdgeLab::TearDown() { OriginFixture::TearDown(); }

HttpResult EdgeLab::Catalog(const std::string& method, const std::string& target, const json& body) {
  return HttpClient(catalog_.port())
      .Request(method, target, body.is_null() ? "" : body.dump(),
               {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}});
}

std::string EdgeLab::Register(const std::string& bytes, const std::string& title, const std::string& subject) {
  auto up = OriginFixture::Upload(bytes, {.chunk_bytes = 1 << 20},
                                  {{"title", title}, {"teacher", "王老师"}, {"subject", subject}, {"grade", "三年级"}});
  EXPECT_FALSE(up.upload_id.empty()) << up.error;
  const json job = WaitForJob(up.upload_id, DoneAndRegistered, kDeadlineSeconds);
  return DoneAndRegistered(job) ? job["lesson_id"].get<std::string>() : std::string();
}

std::string EdgeLab::UploadDocument(std::size_t size, int seed, const std::string& title) {
  std::string pdf = "%PDF-1.4\n% LessonMesh test courseware " + std::to_string(seed) + "\n";
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(seed) * 7919u;
  while (pdf.size() < size) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pdf += static_cast<char>('A' + x % 26);
  }
  pdf.resize(size);
  return Register(pdf, title, "语文");
}

json EdgeLab::Publish(const std::vector<std::tuple<std::string, std::string, std::string>>& items, const json& targets,
                      const std::string& method, const std::string& target) {
  json list = json::array();
  for (const auto& [id, needed_by, pinned_until] : items) {
    json item = {{"lesson_id", id}, {"needed_by", needed_by}};
    if (!pinned_until.empty()) item["pinned_until"] = pinned_until;
    list.push_back(item);
  }
  auto r = Catalog(method, target, {{"title", "三年级 资源包"}, {"items", list}, {"targets", targets}});
  EXPECT_EQ(r.status, 201) << r.body;
  return json::parse(r.body, nullptr, false);
}

edge::EdgeConfig EdgeLab::EdgeSettings(const std::string& catalog_url) {
  edge::EdgeConfig c;
  c.school_id = "conghua-lx";
  c.catalog_url = catalog_url.empty() ? catalog_.url() : catalog_url;
  WriteFile(tmp_ / "edge.token", edge_token_ + "\n");
  c.token_file = (tmp_ / "edge.token").string();
  c.catalog_key = catalog_key_;
  c.cache_dir = (tmp_ / "edge").string();
  c.renditions = {"240p"};
  c.listen_address = "127.0.0.1";
  c.port = 0;
  c.torrent_port = 0;
  c.lsd = false;
  c.poll_wait_seconds = 2;
  c.report_interval_seconds = 1;
  return c;
}

std::string EdgeLab::DaysFromToday(int days) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm local{};
  localtime_r(&t, &local);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &local);
  return buf;
}

json EdgeJson(std::uint16_t port, const std::string& target) {
  auto r = HttpClient(port).Request("GET", target);
  if (r.status != 200) return nullptr;
  return json::parse(r.body, nullptr, false);
}

std::vector<std::string> PlayableIds(std::uint16_t port, const std::string& query) {
  const json body = EdgeJson(port, "/v1/lessons" + query);
  std::vector<std::string> ids;
  if (!body.is_object()) return ids;
  for (const auto& l : body["lessons"]) ids.push_back(l["id"]);
  return ids;
}

}  // namespace lm::testing
