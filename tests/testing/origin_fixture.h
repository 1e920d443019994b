#pragma once
// The set-up every integration test of the origin shares: a real catalog (CatalogFixture) with
// tokens for a teacher of tianhe-3, a teacher of another school, an edge and an admin, and an
// origin wired to it: in this process (OriginService, the default) or, for tests of the
// lessonmesh-origin program, only its TOML file. Helpers upload over tus, follow the job, and
// find the bundle. A gtest fixture: derive from it; SetUp and TearDown run on the test's thread.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "origin/origin_config.h"
#include "origin/origin_service.h"
#include "tests/testing/catalog_fixture.h"
#include "tests/testing/http_client.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/tus_upload.h"

namespace lm::testing {

// A 4 s 320x240 lesson clip (H.264 + AAC), made once per test program; its path and bytes.
const std::filesystem::path& LessonClipPath();
const std::string& LessonClip();

class OriginFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Whether SetUp starts an OriginService; tests of the program return false and run it.
  virtual bool StartsOriginInProcess() const { return true; }

  // Starts the in-process origin with config_ (SetUp does; again after StopOrigin).
  void StartOrigin();
  void StopOrigin();
  std::uint16_t origin_port() const { return origin_->http_port(); }
  HttpClient Origin() const { return HttpClient(origin_port(), config_.listen_address); }
  // A request to the origin with the teacher's token (or `token`).
  HttpResult OriginGet(const std::string& target, const std::string& token = "");

  // Uploads `bytes` as the teacher with the usual metadata (tus: create, then PATCH chunks).
  TusUploadResult Upload(const std::string& bytes, TusUploadOptions options = {},
                         const std::map<std::string, std::string>& metadata = DefaultMetadata());
  static std::map<std::string, std::string> DefaultMetadata();

  // The upload's job once `ready` holds (or it failed), else the last one seen after the deadline.
  nlohmann::json WaitForJob(const std::string& upload_id, const std::function<bool(const nlohmann::json&)>& ready,
                            double seconds = 120);
  static bool Done(const nlohmann::json& job) { return job.value("state", "") == "done"; }
  static bool DoneAndRegistered(const nlohmann::json& job) { return Done(job) && job.value("registered", false); }

  // Uploads the lesson clip in one PATCH and waits for its bundle: the lesson id, or "".
  std::string UploadLesson();
  std::filesystem::path BundleDir(const std::string& lesson_id) const;

  // Writes a TOML file for lessonmesh-origin with the settings of config_ (ports 0) and returns it.
  std::filesystem::path WriteOriginToml();

  TempDir tmp_;
  CatalogFixture catalog_{tmp_ / "catalog"};
  origin::OriginConfig config_;
  origin::OriginServiceHooks hooks_;  // StartOrigin starts the origin with these
  std::unique_ptr<origin::OriginService> origin_;
  std::string origin_token_, teacher_, other_teacher_, edge_, admin_;
};

}  // namespace lm::testing
