// bench/edge_scale: how an edge holding many lessons starts. Fills a fresh edge cache with N small
// document bundles (lessons/<id>/, lesson.torrent, state.db with one signed pack naming them all,
// each ready, no libtorrent resume data), then runs the lessonmesh-edge binary on it as a child and
// measures the time from spawn until GET /v1/lessons lists all N, the child's RSS (VmRSS, and its
// peak VmHWM) after settling, and how many lessons libtorrent has checked and is seeding by then
// (lesson_downloaded lines in its log), with the time all N were, if they were within the settle.
//
//   build/bin/edge_scale [--lessons 2000] [--lesson-kib 8] [--settle 10]
//                        [--edge build/bin/lessonmesh-edge] [--port 18090] [--dir bench/out/edge_scale]

#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "bench/edge_bench_fixture.h"
#include "tests/testing/http_client.h"

extern char** environ;

namespace {

// VmRSS or VmHWM of `pid`, MiB.
double ProcMiB(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;
  }
  return 0;
}

// Lessons the edge's log says libtorrent has complete (checked) and seeds.
size_t Seeding(const std::string& log_path) {
  std::ifstream in(log_path);
  std::string line;
  std::set<std::string> ids;
  const std::string key = "lesson_downloaded lesson=";
  while (std::getline(in, line)) {
    if (auto at = line.find(key); at != std::string::npos) ids.insert(line.substr(at + key.size(), 32));
  }
  return ids.size();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edge scale benchmark"};
  int lessons = 2000;
  int lesson_kib = 8;
  int settle = 10;
  int port = 18090;
  std::string dir = "bench/out/edge_scale", edge_bin = "build/bin/lessonmesh-edge";
  app.add_option("--lessons", lessons, "lesson bundles in the cache");
  app.add_option("--lesson-kib", lesson_kib, "each lesson's document, KiB");
  app.add_option("--settle", settle, "seconds to wait after serving before reading RSS");
  app.add_option("--edge", edge_bin, "the lessonmesh-edge binary");
  app.add_option("--port", port, "the edge's HTTP port on 127.0.0.1");
  app.add_option("--dir", dir, "work directory (recreated)");
  CLI11_PARSE(app, argc, argv);
  using Clock = std::chrono::steady_clock;
  namespace fs = std::filesystem;

  const auto fill_start = Clock::now();
  auto [config, ids] = lm::bench::FillEdge(dir, lessons, static_cast<std::size_t>(lesson_kib) * 1024);
  std::printf("edge_scale: %d bundles of %d KiB made and recorded in %.1f s\n", lessons, lesson_kib,
              std::chrono::duration<double>(Clock::now() - fill_start).count());
  std::fflush(stdout);
  const std::string conf = fs::absolute(fs::path(dir) / "edge.toml").string();
  const std::string log_path = fs::absolute(fs::path(dir) / "edge.log").string();
  {
    std::ofstream t(conf);
    t << "school_id = \"" << config.school_id << "\"\ncatalog_url = \"" << config.catalog_url << "\"\n"
      << "token_file = \"" << fs::absolute(config.token_file).string() << "\"\ncatalog_key = \"" << config.catalog_key
      << "\"\ncache_dir = \"" << fs::absolute(config.cache_dir).string() << "\"\nquota = \"100GB\"\nmin_free = \"100MB\"\n"
      << "listen = \"127.0.0.1\"\nport = " << port << "\ntorrent_port = 0\nlsd = false\n";
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<std::string> args_s = {edge_bin, "--config", conf};
  std::vector<char*> args;
  for (auto& a : args_s) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const auto start = Clock::now();
  if (posix_spawn(&pid, edge_bin.c_str(), &actions, nullptr, args.data(), environ) != 0) {
    lm::bench::Die("cannot start " + edge_bin);
  }
  double serving_s = -1;
  size_t listed = 0;
  while (std::chrono::duration<double>(Clock::now() - start).count() < 60) {
    auto r = lm::testing::HttpClient(static_cast<std::uint16_t>(port)).Request("GET", "/v1/lessons");
    if (r.status == 200) {
      auto body = nlohmann::json::parse(r.body, nullptr, false);
      listed = body.is_object() ? body["lessons"].size() : 0;
      if (listed == static_cast<size_t>(lessons)) {
        serving_s = std::chrono::duration<double>(Clock::now() - start).count();
        break;
      }
    }
    if (waitpid(pid, nullptr, WNOHANG) == pid) lm::bench::Die("the edge exited; see " + log_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double rss_serving = ProcMiB(pid, "VmRSS");
  // The settle, watching the log for the moment every lesson is checked and seeding.
  double all_seeding_s = -1;
  const auto settle_end = Clock::now() + std::chrono::seconds(settle);
  while (Clock::now() < settle_end) {
    if (all_seeding_s < 0 && Seeding(log_path) == static_cast<size_t>(lessons)) {
      all_seeding_s = std::chrono::duration<double>(Clock::now() - start).count();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double rss_settled = ProcMiB(pid, "VmRSS"), hwm = ProcMiB(pid, "VmHWM");
  const size_t seeding = Seeding(log_path);
  const double settled_s = std::chrono::duration<double>(Clock::now() - start).count();
  lm::testing::HttpClient client(static_cast<std::uint16_t>(port));
  (void)client.Request("GET", "/v1/lessons");
  const auto t0 = Clock::now();
  auto r = client.Request("GET", "/v1/lessons");
  const double list_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::printf("edge_scale: /v1/lessons lists all %d after %.2f s from spawn (target < 10 s: %s)\n", lessons, serving_s,
              serving_s >= 0 && serving_s < 10 ? "met" : "NOT met");
  if (serving_s < 0) std::printf("edge_scale: only %zu listed after 60 s\n", listed);
  std::printf("edge_scale: edge RSS %.1f MiB when serving, %.1f MiB after %d s settling, peak %.1f MiB "
              "(target < 200 MB: %s)\n",
              rss_serving, rss_settled, settle, hwm, rss_settled * 1.048576 < 200 ? "met" : "NOT met");
  std::printf("edge_scale: %zu of %d lessons checked by libtorrent and seeding %.1f s after spawn\n", seeding, lessons,
              settled_s);
  if (all_seeding_s >= 0) {
    std::printf("edge_scale: all %d checked and seeding %.1f s after spawn\n", lessons, all_seeding_s);
  }
  std::printf("edge_scale: one GET /v1/lessons of %d lessons (%zu bytes) takes %.1f ms\n", lessons, r.body.size(),
              list_ms);
  return 0;
}
