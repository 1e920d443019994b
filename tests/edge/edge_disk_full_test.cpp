// The school box's disk fills up while it downloads (another program writes to it). The edge runs
// as a process in a mount namespace of its own whose cache_dir is a small tmpfs; the test reaches
// that tmpfs through /proc/<pid>/root and writes a filler file until the filesystem is full, so
// libtorrent's next write gets ENOSPC for real. Measured from outside: the lesson is paused and
// reported as disk_full with the bytes it still needs, the lessons already held are still served,
// and it completes, every file matching its XXH3, once the filler is deleted; with an unpinned
// lesson no pack names any more, the full disk evicts it (the least recently played one only) and
// the download goes on with the filler still there.
//
// Needs root (mount in a new mount namespace), as CI has; fails, not skips, without it. The
// namespace, and the tmpfs with it, dies with the edge, which the test kills when it ends.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <fcntl.h>
#include <sys/statfs.h>
#include <linux/magic.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>

#include "bundle/lesson_manifest.h"
#include "common/unique_fd.h"
#include "common/xxh3.h"
#include "edge/edge_store.h"
#include "tests/edge/edge_lab.h"
#include "tests/testing/child_process.h"
#include "tests/testing/wait_for.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::EdgeJson;
using lm::testing::HttpClient;
using lm::testing::PlayableIds;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

class EdgeDiskFullTest : public lm::testing::EdgeLab {
 protected:
  static constexpr int kTmpfsMiB = 24;

  // Runs lessonmesh-edge in a new mount namespace with a kTmpfsMiB tmpfs mounted on its cache_dir,
  // its download rate capped so a lesson of a few MB takes seconds. Sets edge_ and port_.
  void StartEdgeOnTmpfs() {
    const EdgeConfig c = EdgeSettings();
    cache_ = c.cache_dir;
    fs::create_directories(cache_);  // the mount point, empty on the host side
    const std::string toml =
        "school_id = \"conghua-lx\"\ncatalog_url = \"" + c.catalog_url + "\"\ntoken_file = \"" + c.token_file +
        "\"\ncatalog_key = \"" + c.catalog_key + "\"\ncache_dir = \"" + cache_.string() +
        "\"\nquota = \"1GB\"\nmin_free = \"0\"\nrenditions = [\"240p\"]\n"
        "schedule = [\"daily 00:00-24:00 2400/2400\"]\n"  // 300 KB/s: 4 MB take over ten seconds
        "listen = \"127.0.0.1\"\nport = 0\ntorrent_port = 0\nlsd = false\npoll_wait_seconds = 2\n"
        "report_interval_seconds = 1\n";
    lm::testing::WriteFile(tmp_ / "edge.toml", toml);
    // unshare(1) makes the new namespace's mounts private, so the tmpfs stays inside it; exec
    // keeps one process id from unshare to the edge.
    ASSERT_EQ(edge_.StartPiped({"unshare", "--mount", "--propagation", "private", "sh", "-c",
                                "mount -t tmpfs -o size=" + std::to_string(kTmpfsMiB) +
                                    "m lessonmesh-edge-cache \"$1\" || exit 97; exec \"$2\" --config \"$3\"",
                                "sh", cache_.string(), LM_BIN_DIR "/lessonmesh-edge", (tmp_ / "edge.toml").string()}),
              "");
    auto line = edge_.WaitForLine("listening on http://", 60);
    if (!line) {
      const std::optional<int> exit = edge_.Wait(5);
      FAIL() << "the edge did not start on its tmpfs (exit " << (exit ? std::to_string(*exit) : "none")
             << "; 97: mounting the tmpfs in a new mount namespace failed: this test needs root)";
    }
    const std::string rest = line->substr(line->find("127.0.0.1:") + 10);
    port_ = static_cast<std::uint16_t>(std::stoi(rest.substr(0, rest.find(' '))));
    // The cache really is the tmpfs, seen from the edge's namespace, and not the host's disk.
    struct statfs fs_info {};
    ASSERT_EQ(::statfs(InEdge(cache_).c_str(), &fs_info), 0);
    ASSERT_EQ(fs_info.f_type, static_cast<decltype(fs_info.f_type)>(TMPFS_MAGIC));
    ASSERT_LE(static_cast<std::int64_t>(fs_info.f_blocks) * fs_info.f_bsize, std::int64_t{kTmpfsMiB} << 20);
  }

  // `path` (absolute) as the edge's mount namespace sees it.
  fs::path InEdge(const fs::path& path) const {
    return fs::path("/proc/" + std::to_string(edge_.pid()) + "/root") / path.relative_path();
  }

  // Writes `path` until its filesystem is full (ENOSPC); the bytes written.
  static std::int64_t FillUntilFull(const fs::path& path) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    EXPECT_GE(fd.get(), 0) << path << ": " << std::strerror(errno);
    if (fd.get() < 0) return 0;
    const std::string chunk(64 * 1024, 'F');
    std::int64_t written = 0;
    for (;;) {
      const ssize_t n = ::write(fd.get(), chunk.data(), chunk.size());
      if (n > 0) {
        written += n;
        continue;
      }
      EXPECT_EQ(errno, ENOSPC) << std::strerror(errno);
      return written;
    }
  }

  json Download(const std::string& id) const {
    const json d = EdgeJson(port_, "/v1/downloads");
    if (d.is_object()) {
      for (const auto& j : d["downloads"]) {
        if (j["id"] == id) return j;
      }
    }
    return nullptr;
  }

  // The disk_full entry for `id` in /v1/status's errors (what goes to the catalog), or "".
  std::string DiskFullError(const std::string& id) const {
    const json status = EdgeJson(port_, "/v1/status");
    if (!status.is_object()) return "";
    for (const auto& e : status["errors"]) {
      const std::string text = e;
      if (text.rfind("disk_full lesson=" + id + " ", 0) == 0) return text;
    }
    return "";
  }

  // A held lesson's document as a classroom gets it, against the origin's copy.
  void ExpectServed(const std::string& id) {
    const auto r = HttpClient(port_).Request("GET", "/lessons/" + id + "/document.pdf");
    EXPECT_EQ(r.status, 200) << id;
    EXPECT_TRUE(r.body == ReadFile(BundleDir(id) / "document.pdf")) << id << ": served bytes differ";
  }

  // Every kept file of the lesson on the edge's disk matches lesson.json (size and XXH3-128), and
  // the document is the origin's.
  void ExpectVerifiedOnDisk(const std::string& id) {
    const fs::path dir = InEdge(cache_ / "lessons" / id);
    auto manifest = bundle::ReadLessonManifest(dir);
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    ASSERT_FALSE(manifest->files.empty());
    for (const auto& f : manifest->files) {
      const std::string bytes = ReadFile(dir / f.path);
      EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), f.size_bytes) << f.path;
      EXPECT_EQ(Xxh3Of(bytes).Hex(), f.xxh3_128) << f.path;
    }
    EXPECT_TRUE(ReadFile(dir / "document.pdf") == ReadFile(BundleDir(id) / "document.pdf"));
  }

  // Waits until `id` downloads and has at least `bytes` on disk.
  ::testing::AssertionResult DownloadingPast(const std::string& id, std::int64_t bytes) {
    if (WaitFor([&] {
          const json d = Download(id);
          return !d.is_null() && d.value("transfer", "") == "downloading" &&
                 d.value("bytes_done", std::int64_t{0}) >= bytes;
        }, kDeadlineSeconds)) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << EdgeJson(port_, "/v1/downloads").dump();
  }

  lm::testing::ChildProcess edge_;
  fs::path cache_;
  std::uint16_t port_ = 0;
};

TEST_F(EdgeDiskFullTest, AFullDiskPausesTheDownloadWhichGoesOnWhenSpaceReturns) {
  const std::string held = UploadDocument(300000, 51, "课件 已有");
  const std::string big = UploadDocument(4 * 1000 * 1000, 52, "整学期课件 磁盘满");
  const json targets = {{"communities", {"th-ch-1"}}};
  const json v1 = Publish({{held, DaysFromToday(1), ""}}, targets);
  StartEdgeOnTmpfs();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(WaitFor([&] { return Contains(PlayableIds(port_), held); }, kDeadlineSeconds));
  Publish({{held, DaysFromToday(1), ""}, {big, DaysFromToday(2), ""}}, targets, "PUT",
          "/v1/packs/" + std::to_string(v1["pack_id"].get<int>()));
  ASSERT_TRUE(DownloadingPast(big, 800 * 1000));

  // Another program fills the disk.
  const fs::path filler = InEdge(cache_ / "filler.bin");
  const std::int64_t filled = FillUntilFull(filler);
  ASSERT_GT(filled, 0);
  json stopped;
  ASSERT_TRUE(WaitFor([&] {
    stopped = Download(big);
    return !stopped.is_null() && stopped.value("transfer", "") == "paused" && stopped.value("why", "") == "disk_full";
  }, kDeadlineSeconds)) << stopped.dump();
  std::string error;
  ASSERT_TRUE(WaitFor([&] { return !(error = DiskFullError(big)).empty(); }, kDeadlineSeconds))
      << EdgeJson(port_, "/v1/status").dump();
  // The pieces in flight when the write failed may still be counted a moment after the pause, and
  // the error is written anew as the edge looks again: what it says settles to what is missing.
  std::int64_t needed = 0, done = 0, total = 0;
  const bool settled = WaitFor([&] {
    error = DiskFullError(big);
    const json d = Download(big);
    if (error.empty() || d.is_null()) return false;
    needed = std::stoll(error.substr(error.find("bytes_needed=") + 13));
    done = d["bytes_done"];
    total = d["bytes_total"];
    return needed + done == total;
  }, kDeadlineSeconds);
  EXPECT_GT(needed, 0) << error;
  EXPECT_TRUE(settled) << "bytes_needed " << needed << " + bytes_done " << done << " != " << total << ": " << error;
  EXPECT_LT(done, 4 * 1000 * 1000);
  std::cout << "[          ] filler " << filled << " bytes; stopped with " << done << " bytes done, \"" << error
            << "\"\n";

  // The classrooms still get what the edge holds; the edge has not crashed.
  EXPECT_TRUE(Contains(PlayableIds(port_), held));
  ExpectServed(held);
  EXPECT_FALSE(Contains(PlayableIds(port_), big));
  EXPECT_EQ(HttpClient(port_).Request("GET", "/healthz").status, 200);
  EXPECT_FALSE(edge_.Wait(0).has_value()) << "the edge exited";

  // Space comes back: the download goes on by itself and the lesson verifies.
  const auto freed_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(fs::remove(filler));
  ASSERT_TRUE(WaitFor([&] { return Contains(PlayableIds(port_), big); }, kDeadlineSeconds))
      << EdgeJson(port_, "/v1/downloads").dump();
  std::cout << "[          ] playable "
            << std::chrono::duration<double>(std::chrono::steady_clock::now() - freed_at).count()
            << " s after the filler was deleted\n";
  ExpectVerifiedOnDisk(big);
  ExpectServed(big);
  ExpectServed(held);
  EXPECT_TRUE(WaitFor([&] { return DiskFullError(big).empty(); }, kDeadlineSeconds));
  EXPECT_FALSE(edge_.Wait(0).has_value()) << "the edge exited";
}

TEST_F(EdgeDiskFullTest, AFullDiskEvictsTheLeastRecentlyPlayedUnpinnedLessonAndTheDownloadGoesOn) {
  const std::string kept = UploadDocument(300000, 61, "课件 本学期");
  const std::string old_played = UploadDocument(4 * 1000 * 1000, 62, "上学期课件 很久以前看过");
  const std::string recent = UploadDocument(4 * 1000 * 1000, 63, "上学期课件 上周看过");
  const std::string big = UploadDocument(4 * 1000 * 1000, 64, "整学期课件 腾空间");
  const json targets = {{"communities", {"th-ch-1"}}};
  const json v1 = Publish({{kept, DaysFromToday(1), ""}, {old_played, DaysFromToday(1), ""},
                           {recent, DaysFromToday(1), ""}},
                          targets);
  StartEdgeOnTmpfs();
  if (HasFatalFailure()) return;
  ASSERT_TRUE(WaitFor([&] { return PlayableIds(port_).size() == 3; }, kDeadlineSeconds));
  // One was played last term, the other last week (as the classroom page reports a play).
  {
    auto store = EdgeStore::Open(InEdge(cache_ / "state.db").string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    ASSERT_TRUE((*store)->MarkPlayed(old_played, std::time(nullptr) - 120 * 86400).ok());
  }
  const json play = {{"event_id", "p-1"}, {"lesson_id", recent}, {"seconds", 600.0}, {"kind", "start"}};
  ASSERT_EQ(HttpClient(port_).Request("POST", "/v1/plays", play.dump()).status, 201);

  // The new version drops both; they stay (room is plenty) until space is needed.
  Publish({{kept, DaysFromToday(1), ""}, {big, DaysFromToday(2), ""}}, targets, "PUT",
          "/v1/packs/" + std::to_string(v1["pack_id"].get<int>()));
  ASSERT_TRUE(DownloadingPast(big, 800 * 1000));
  std::vector<std::string> ids = PlayableIds(port_);
  EXPECT_TRUE(Contains(ids, old_played));
  EXPECT_TRUE(Contains(ids, recent));

  const fs::path filler = InEdge(cache_ / "filler.bin");
  const std::int64_t filled = FillUntilFull(filler);
  ASSERT_GT(filled, 0);
  // The full disk takes the lesson played last term, which is enough (each is 4 MB, the download
  // needs less), and the download goes on with the filler still there.
  ASSERT_TRUE(WaitFor([&] { return Contains(PlayableIds(port_), big); }, kDeadlineSeconds))
      << EdgeJson(port_, "/v1/downloads").dump() << EdgeJson(port_, "/v1/status").dump();
  // Its record goes a pass later if the full disk refused the first removal (SQLite's log).
  EXPECT_TRUE(WaitFor([&] { return !Contains(PlayableIds(port_), old_played); }, 30));
  EXPECT_FALSE(fs::exists(InEdge(cache_ / "lessons" / old_played / "document.pdf")));
  ids = PlayableIds(port_);
  EXPECT_TRUE(Contains(ids, recent)) << "evicted more than the download needed";
  EXPECT_TRUE(Contains(ids, kept));
  EXPECT_EQ(static_cast<std::int64_t>(fs::file_size(filler)), filled);
  ExpectVerifiedOnDisk(big);
  ExpectServed(big);
  ExpectServed(recent);
  ExpectServed(kept);
  EXPECT_TRUE(WaitFor([&] { return DiskFullError(big).empty(); }, kDeadlineSeconds));
  EXPECT_FALSE(edge_.Wait(0).has_value()) << "the edge exited";
}

}  // namespace
}  // namespace lm::edge
