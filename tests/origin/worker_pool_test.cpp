// One province's origin: three `lessonmesh-origin --role worker` processes and a serving origin on
// one PostgreSQL queue and one shared data directory. Several teachers upload; one worker is
// killed with SIGKILL while it holds a job. Every job still ends done exactly once (the dead
// worker's job goes to another when its lease runs out), no half-written bundle is ever left in
// bundles/, every bundle's files match lesson.json, and the serving origin seeds and registers
// every lesson although it transcodes none itself. A worker paused past its lease (cut off) finds
// its job taken when it wakes, stops that transcode and leaves nothing behind.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/postgres_db.h"
#include "common/xxh3.h"
#include "tests/testing/catalog_backends.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::ChildProcess;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

std::string Bin(const std::string& name) { return std::string(LM_BIN_DIR) + "/" + name; }

class WorkerPoolTest : public lm::testing::OriginFixture {
 protected:
  bool StartsOriginInProcess() const override { return false; }

  void SetUp() override {
    if (std::string missing = lm::testing::PostgresMissing(); !missing.empty()) GTEST_SKIP() << missing;
    OriginFixture::SetUp();
  }

  // Starts one worker process on the shared queue and data directory; "" if it started.
  std::string StartWorker(int index, const std::string& queue, const std::string& public_url) {
    auto worker = std::make_unique<ChildProcess>();
    const std::string name = "worker" + std::to_string(index);
    std::string error = worker->Start({Bin("lessonmesh-origin"), "--role", "worker", "--queue", queue, "--data-dir",
                                       config_.data_dir, "--public-url", public_url, "--workers", "1",
                                       "--lease-seconds", "3"},
                                      tmp_ / (name + ".out"), tmp_ / (name + ".err"));
    workers_.push_back(std::move(worker));
    return error;
  }

  // The queue's rows: upload id -> (state, attempts, worker).
  struct Row {
    std::string state;
    int attempts = 0;
    std::string worker;
    double progress = 0;
  };
  std::map<std::string, Row> QueueRows(PGconn* conn) {
    std::map<std::string, Row> out;
    auto rows = pg::Exec(conn, "SELECT upload_id, state, attempts, worker, progress FROM origin_jobs");
    if (!rows.ok()) return out;
    for (int r = 0; r < rows->size(); ++r) {
      out[rows->Text(r, 0)] = Row{rows->Text(r, 1), static_cast<int>(rows->Int(r, 2)), rows->Text(r, 3),
                                rows->Double(r, 4)};
    }
    return out;
  }

  std::vector<std::unique_ptr<ChildProcess>> workers_;
};

TEST_F(WorkerPoolTest, KilledWorkersJobGoesToAnotherAndEveryLessonIsSeededOnce) {
  auto queue = lm::testing::FreshPostgresDatabase();
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();

  // Four lessons: the first longer, so a worker is surely mid-transcode when it is killed.
  std::vector<std::string> clips;
  for (int i = 0; i < 4; ++i) {
    lm::testing::ClipSpec spec;
    spec.seconds = i == 0 ? 20 : 3 + i;
    spec.width = 320;
    spec.height = 240;
    spec.fps = "25";
    const fs::path path = tmp_ / ("lesson" + std::to_string(i) + ".mp4");
    ASSERT_TRUE(lm::testing::MakeClip(path, spec));
    clips.push_back(ReadFile(path));
  }

  // The serving origin: no transcodes of its own, the shared queue.
  config_.queue = *queue;
  config_.workers = 0;
  config_.lease_seconds = 3;
  StartOrigin();
  const std::string public_url = origin_->public_url();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(StartWorker(i, *queue, public_url), "");

  auto conn = pg::Connect(*queue);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  std::vector<std::string> uploads;
  const auto first = Upload(clips[0]);
  ASSERT_FALSE(first.upload_id.empty()) << first.error;
  uploads.push_back(first.upload_id);

  // A worker is transcoding the long lesson (progress reported): kill that worker with SIGKILL.
  Row held;
  ASSERT_TRUE(WaitFor([&] {
    auto rows = QueueRows(conn->get());
    auto it = rows.find(first.upload_id);
    if (it == rows.end() || it->second.state != "running" || it->second.progress <= 0) return false;
    held = it->second;
    return true;
  }, 60, 10));
  const std::string killed_pid = held.worker.substr(held.worker.rfind(':') + 1);
  ChildProcess* victim = nullptr;
  for (auto& w : workers_) {
    if (std::to_string(w->pid()) == killed_pid) victim = w.get();
  }
  ASSERT_NE(victim, nullptr) << "no worker has pid " << killed_pid << " (" << held.worker << ")";
  victim->Signal(SIGKILL);
  ASSERT_EQ(victim->Wait(30), 128 + SIGKILL);
  bool staging_left = false;  // the dead worker's half-built bundle, under its staging name
  for (const auto& e : fs::directory_iterator(fs::path(config_.data_dir) / "bundles")) {
    staging_left |= e.path().filename().string().find(".tmp-") != std::string::npos;
  }

  for (std::size_t i = 1; i < clips.size(); ++i) {
    const auto up = Upload(clips[i]);
    ASSERT_FALSE(up.upload_id.empty()) << up.error;
    uploads.push_back(up.upload_id);
  }

  // Every job done and registered with the catalog by the serving origin.
  std::set<std::string> lessons;
  for (const std::string& id : uploads) {
    const json job = WaitForJob(id, DoneAndRegistered, 120);
    ASSERT_TRUE(DoneAndRegistered(job)) << job.dump();
    lessons.insert(job["lesson_id"].get<std::string>());
  }
  ASSERT_EQ(lessons.size(), uploads.size());

  // One done row per upload; the killed worker's job ran twice, the second time elsewhere.
  const auto rows = QueueRows(conn->get());
  ASSERT_EQ(rows.size(), uploads.size());
  for (const std::string& id : uploads) {
    const Row& row = rows.at(id);
    EXPECT_EQ(row.state, "done") << id;
    if (id == first.upload_id) {
      EXPECT_EQ(row.attempts, 2);
      EXPECT_NE(row.worker, held.worker);
    } else {
      EXPECT_EQ(row.attempts, 1) << id;
    }
  }

  // bundles/ holds exactly the finished lessons: no staging names, every file as lesson.json says.
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(config_.data_dir) / "bundles")) {
    names.insert(e.path().filename().string());
  }
  EXPECT_EQ(names, lessons);
  for (const std::string& lesson : lessons) {
    const fs::path dir = fs::path(config_.data_dir) / "bundles" / lesson;
    auto manifest = bundle::ReadLessonManifest(dir);
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    EXPECT_EQ(manifest->id, lesson);
    for (const auto& f : manifest->files) {
      EXPECT_EQ(Xxh3Of(ReadFile(dir / f.path)).Hex(), f.xxh3_128) << lesson << "/" << f.path;
    }
  }

  // The serving origin seeds both torrents (hybrid and v1 twin) of every lesson.
  json torrents;
  ASSERT_TRUE(WaitFor([&] {
    torrents = json::parse(Origin().Request("GET", "/v1/torrents").body, nullptr, false);
    if (!torrents.is_object() || torrents["torrents"].size() != 2 * lessons.size()) return false;
    for (const auto& t : torrents["torrents"]) {
      if (t["state"] != "seeding") return false;
    }
    return true;
  }, 30)) << torrents.dump();
  std::set<std::string> seeded;
  for (const auto& t : torrents["torrents"]) seeded.insert(t["lesson_id"].get<std::string>());
  EXPECT_EQ(seeded, lessons);

  std::string logs;
  for (auto& w : workers_) {
    if (w.get() == victim) continue;
    w->Signal(SIGTERM);
    EXPECT_EQ(w->Wait(60), 0) << w->err();
    logs += w->err();
  }
  // Whoever redid the job cleared what the dead worker had staged.
  EXPECT_TRUE(staging_left);
  EXPECT_NE(logs.find("stale_staging_removed"), std::string::npos) << logs;
  StopOrigin();
}

TEST_F(WorkerPoolTest, WorkerPausedPastItsLeaseGivesTheJobUp) {
  auto queue = lm::testing::FreshPostgresDatabase();
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  lm::testing::ClipSpec spec;
  spec.seconds = 20;
  spec.width = 320;
  spec.height = 240;
  spec.fps = "25";
  ASSERT_TRUE(lm::testing::MakeClip(tmp_ / "lesson.mp4", spec));
  config_.queue = *queue;
  config_.workers = 0;
  config_.lease_seconds = 3;
  StartOrigin();
  for (int i = 0; i < 2; ++i) ASSERT_EQ(StartWorker(i, *queue, origin_->public_url()), "");
  auto conn = pg::Connect(*queue);
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  const auto up = Upload(ReadFile(tmp_ / "lesson.mp4"));
  ASSERT_FALSE(up.upload_id.empty()) << up.error;

  Row held;
  ASSERT_TRUE(WaitFor([&] {
    auto rows = QueueRows(conn->get());
    auto it = rows.find(up.upload_id);
    if (it == rows.end() || it->second.state != "running" || it->second.progress <= 0) return false;
    held = it->second;
    return true;
  }, 60, 10));
  ChildProcess* paused = nullptr;
  for (auto& w : workers_) {
    if (held.worker.ends_with(":" + std::to_string(w->pid()))) paused = w.get();
  }
  ASSERT_NE(paused, nullptr) << held.worker;
  paused->Signal(SIGSTOP);
  // Its lease runs out; the other worker takes the job.
  ASSERT_TRUE(WaitFor([&] {
    const Row row = QueueRows(conn->get())[up.upload_id];
    return row.attempts == 2 && row.worker != held.worker;
  }, 30));
  paused->Signal(SIGCONT);

  const json job = WaitForJob(up.upload_id, DoneAndRegistered, 120);
  ASSERT_TRUE(DoneAndRegistered(job)) << job.dump();
  ASSERT_TRUE(WaitFor([&] { return paused->err().find("lease_lost") != std::string::npos; }, 30)) << paused->err();
  const Row row = QueueRows(conn->get())[up.upload_id];
  EXPECT_EQ(row.state, "done");
  EXPECT_EQ(row.attempts, 2);
  for (auto& w : workers_) {
    w->Signal(SIGTERM);
    EXPECT_EQ(w->Wait(60), 0) << w->err();
  }
  EXPECT_EQ(paused->err().find("job_done"), std::string::npos) << paused->err();
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(config_.data_dir) / "bundles")) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{job["lesson_id"].get<std::string>()});
  StopOrigin();
}

}  // namespace
}  // namespace lm::origin
