// Teachers uploading at once over connections that are cut (bench/origin_uploads, small): every
// upload resumes from the origin's Upload-Offset and completes, the origin's copy and the bundled
// document have the SHA-256 of the bytes sent, and each upload makes exactly one job and one
// lesson in the catalog: none lost, none doubled.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <thread>
#include <vector>

#include "tests/testing/cut_tus_upload.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

using nlohmann::json;

class UploadCutsTest : public testing::OriginFixture {};

TEST_F(UploadCutsTest, ConcurrentUploadsWithCutConnectionsEachMakeOneLessonWithTheirBytes) {
  constexpr int kUploads = 6;
  constexpr std::int64_t kBytes = 8 << 20;
  std::vector<testing::CutUploadResult> results(kUploads);
  {
    std::vector<std::jthread> uploaders;
    for (int i = 0; i < kUploads; ++i) {
      uploaders.emplace_back([&, i] {
        testing::CutUploadOptions o;
        o.port = origin_port();
        o.token = teacher_;
        o.length = kBytes;
        o.seed = static_cast<std::uint64_t>(i + 1);
        o.cuts = 2;
        o.metadata = {{"title", "第" + std::to_string(i + 1) + "课 课件"}, {"teacher", "王老师"},
                      {"subject", "数学"}, {"grade", "三年级"}, {"filename", "kejian.pdf"}};
        o.seconds = 120;
        results[static_cast<std::size_t>(i)] = testing::CutTusUpload(o);
      });
    }
  }
  std::set<std::string> lessons;
  for (int i = 0; i < kUploads; ++i) {
    const auto& r = results[static_cast<std::size_t>(i)];
    ASSERT_FALSE(r.upload_id.empty()) << "upload " << i << ": " << r.error;
    EXPECT_EQ(r.cuts, 2) << "upload " << i;
    const std::string sent = testing::CoursewareSha256(static_cast<std::uint64_t>(i + 1), kBytes);
    EXPECT_EQ(testing::FileSha256(std::filesystem::path(config_.data_dir) / "uploads" / (r.upload_id + ".part")), sent)
        << "upload " << i;
    const json job = WaitForJob(r.upload_id, DoneAndRegistered);
    ASSERT_TRUE(DoneAndRegistered(job)) << job.dump();
    const std::string lesson = job["lesson_id"];
    EXPECT_EQ(testing::FileSha256(BundleDir(lesson) / "document.pdf"), sent) << "upload " << i;
    lessons.insert(lesson);
  }
  EXPECT_EQ(lessons.size(), static_cast<std::size_t>(kUploads));
  // One job per upload, and the catalog holds one lesson per upload.
  const json mine = json::parse(OriginGet("/v1/jobs").body, nullptr, false);
  ASSERT_TRUE(mine.contains("jobs")) << mine.dump();
  std::map<std::string, int> jobs_per_upload;
  for (const auto& j : mine["jobs"]) ++jobs_per_upload[j.value("upload_id", "")];
  std::map<std::string, int> expected;
  for (const auto& r : results) expected[r.upload_id] = 1;
  EXPECT_EQ(jobs_per_upload, expected);
  const auto metrics = testing::HttpClient(catalog_.port()).Request("GET", "/metrics");
  EXPECT_NE(metrics.body.find("\nlessonmesh_lessons " + std::to_string(kUploads) + "\n"), std::string::npos)
      << metrics.body;
}

}  // namespace
}  // namespace lm::origin
