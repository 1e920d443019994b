#include "tests/testing/origin_fixture.h"

#include "tests/testing/media_fixtures.h"
#include "tests/testing/wait_for.h"

namespace lm::testing {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {
struct Clip {
  TempDir dir;
  fs::path path = dir / "lesson.mp4";
  std::string bytes;
  Clip() {
    ClipSpec spec;
    spec.seconds = 4;
    spec.width = 320;
    spec.height = 240;
    if (MakeClip(path, spec)) bytes = ReadFile(path);
  }
};
const Clip& TheClip() {
  static const Clip clip;
  return clip;
}
}  // namespace

const fs::path& LessonClipPath() { return TheClip().path; }
const std::string& LessonClip() { return TheClip().bytes; }

void OriginFixture::SetUp() {
  ASSERT_FALSE(LessonClip().empty()) << "could not make the lesson clip with ffmpeg";
  ASSERT_TRUE(catalog_.Start());
  origin_token_ = catalog_.Token(catalog::Role::kOrigin);
  teacher_ = catalog_.Token(catalog::Role::kTeacher, "tianhe-3");
  other_teacher_ = catalog_.Token(catalog::Role::kTeacher, "conghua-lx");
  edge_ = catalog_.Token(catalog::Role::kEdge, "conghua-lx");
  admin_ = catalog_.Token(catalog::Role::kAdmin);
  ASSERT_FALSE(origin_token_.empty() || teacher_.empty() || other_teacher_.empty() || edge_.empty() || admin_.empty());
  config_.port = 0;
  config_.torrent_port = 0;
  config_.lsd = false;
  config_.data_dir = (tmp_ / "origin").string();
  config_.catalog_url = catalog_.url();
  config_.catalog_token = origin_token_;
  if (StartsOriginInProcess()) StartOrigin();
}

void OriginFixture::TearDown() {
  StopOrigin();
  catalog_.Stop();
}

void OriginFixture::StartOrigin() {
  auto origin = origin::OriginService::Start(config_, hooks_);
  ASSERT_TRUE(origin.ok()) << origin.status().ToString();
  origin_ = std::move(*origin);
}

void OriginFixture::StopOrigin() {
  if (origin_) origin_->Stop();
  origin_.reset();
}

HttpResult OriginFixture::OriginGet(const std::string& target, const std::string& token) {
  return Origin().Request("GET", target, "", {{"Authorization", "Bearer " + (token.empty() ? teacher_ : token)}});
}

std::map<std::string, std::string> OriginFixture::DefaultMetadata() {
  return {{"title", "分数的初步认识"}, {"teacher", "王老师"}, {"subject", "数学"}, {"grade", "三年级"},
          {"filename", "fenshu.mp4"}};
}

TusUploadResult OriginFixture::Upload(const std::string& bytes, TusUploadOptions options,
                                      const std::map<std::string, std::string>& metadata) {
  options.host = config_.listen_address;
  auto up = TusUpload(origin_port(), teacher_, bytes, metadata, options);
  EXPECT_FALSE(up.upload_id.empty()) << up.failed_status << " " << up.error;
  return up;
}

json OriginFixture::WaitForJob(const std::string& upload_id, const std::function<bool(const json&)>& ready,
                               double seconds) {
  json job;
  WaitFor([&] {
    auto r = OriginGet("/v1/jobs?upload=" + upload_id);
    if (r.status != 200) return false;
    job = json::parse(r.body, nullptr, false);
    return job.is_object() && (ready(job) || job.value("state", "") == "failed");
  }, seconds);
  return job;
}

std::string OriginFixture::UploadLesson() {
  TusUploadOptions one_patch;
  one_patch.chunk_bytes = SIZE_MAX;
  const auto up = Upload(LessonClip(), one_patch);
  if (up.upload_id.empty()) return "";
  const json job = WaitForJob(up.upload_id, Done);
  EXPECT_TRUE(Done(job)) << job.dump();
  return Done(job) ? job["lesson_id"].get<std::string>() : "";
}

fs::path OriginFixture::BundleDir(const std::string& lesson_id) const {
  return fs::path(config_.data_dir) / "bundles" / lesson_id;
}

fs::path OriginFixture::WriteOriginToml() {
  const fs::path path = tmp_ / "origin.toml";
  WriteFile(path, "port = 0\ntorrent_port = 0\nlsd = " + std::string(config_.lsd ? "true" : "false") +
                      "\ndata_dir = \"" + config_.data_dir + "\"\ncatalog_url = \"" + config_.catalog_url +
                      "\"\ncatalog_token = \"" + config_.catalog_token + "\"\n");
  return path;
}

}  // namespace lm::testing
