// bench/catalog_long_poll: a county's edges all long-polling one catalog. Fills a catalog's store
// with N schools in one community (an edge token each), a courseware lesson and a few thousand
// searchable lessons, publishes a pack to the community, then runs the lessonmesh-catalog binary on
// it as a child. N edges (one socket each, tests/testing/long_poll_crowd.h) fetch their feed and
// park a long poll; the pack is published again (version 2) and each edge's reply is checked as
// an edge checks it (the signature against the catalog's key, for its school and community; the
// version must be 2). Prints the catalog's RSS before the edges connect and while they wait (and
// the difference per waiting connection), the time from the publish to the last edge's reply, and
// p50/p99 of two other routes (a search, and /v1/packs) from one client before and while they wait;
// --rounds times in one run, each with a freshly started catalog (each publishes the next version),
// then the medians over the rounds.
//
//   build/bin/catalog_long_poll [--edges 2000] [--requests 400] [--rounds 5] [--dir bench/out/catalog_long_poll]
//                               [--catalog build/bin/lessonmesh-catalog]
//
// The catalog needs a descriptor per waiting edge: this program raises its own open-file limit
// (and so its child's) to edges + 256, up to the hard limit (`ulimit -Hn`).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "catalog/auth.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/base64.h"
#include "common/read_file.h"
#include "common/unix_time.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/long_poll_crowd.h"
#include "tests/testing/wait_for.h"
#include "transcoder/bundle.h"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
namespace fs = std::filesystem;
using namespace lm::catalog;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "catalog_long_poll: %s\n", what.c_str());
  std::exit(1);
}

double ProcMiB(int pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stod(line.substr(field.size() + 1)) / 1024.0;  // kB
  }
  return 0;
}

// Open descriptors of `pid`.
int OpenFiles(int pid) {
  std::error_code ec;
  int n = 0;
  for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    ++n;
  }
  return n;
}

std::string Fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.2f", v);
  return b;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// A lesson for search only (its manifest is never read): generated Chinese title, subject, grade.
Lesson SearchLesson(int i, std::mt19937& rng) {
  static const std::vector<std::string> kSubjects = {"数学", "语文", "英语", "科学", "历史", "地理"};
  static const std::vector<std::string> kGrades = {"三年级", "四年级", "五年级", "六年级", "七年级"};
  static const std::vector<std::string> kTopics = {"分数的初步认识", "圆的面积", "古诗两首", "光的折射",
                                                   "丝绸之路", "Unit 3 Colors", "统计与概率", "二十四节气"};
  Lesson l;
  char id[40];
  std::snprintf(id, sizeof(id), "%032x", i + 1);
  l.id = id;
  l.kind = "lesson";
  l.subject = kSubjects[rng() % kSubjects.size()];
  l.grade = kGrades[rng() % kGrades.size()];
  l.title = l.grade + l.subject + " " + kTopics[rng() % kTopics.size()];
  l.teacher = "王老师";
  l.description = "本课适合" + l.grade + "学生。";
  l.tags = {"名师课堂"};
  l.duration_s = 600;
  l.info_hash_v1 = std::string(40, 'a');
  l.info_hash_v2 = std::string(64, 'b');
  l.total_bytes = 50000000;
  l.manifest_json = "{}";
  l.torrent = "d4:infod4:name1:xee";
  l.created_at = 1790000000 + i;
  return l;
}

struct RouteLatency {
  std::string name;
  std::vector<double> ms;
  int errors = 0;
};

// `requests` requests from one keep-alive client, alternating a search and the pack list.
std::vector<RouteLatency> MeasureOtherRoutes(std::uint16_t port, const std::string& admin, int requests) {
  std::vector<RouteLatency> routes = {{"GET /v1/lessons?q=分数", {}, 0}, {"GET /v1/packs", {}, 0}};
  const std::vector<std::string> targets = {"/v1/lessons?q=%E5%88%86%E6%95%B0", "/v1/packs"};
  lm::testing::HttpClient client(port);
  for (int i = 0; i < requests; ++i) {
    const std::size_t which = static_cast<std::size_t>(i) % targets.size();
    const auto t0 = Clock::now();
    auto r = client.Request("GET", targets[which], "", {{"Authorization", "Bearer " + admin}});
    routes[which].ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    if (r.status != 200) ++routes[which].errors;
  }
  return routes;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"catalog long-poll load benchmark"};
  int edges = 2000;
  int requests = 400;
  int search_lessons = 5000;
  int rounds = 5;
  std::string dir = "bench/out/catalog_long_poll";
  std::string catalog_bin = "build/bin/lessonmesh-catalog";
  app.add_option("--edges", edges, "edges long-polling at once");
  app.add_option("--requests", requests, "requests to the other routes, before and while the edges wait");
  app.add_option("--search-lessons", search_lessons, "lessons in the search index");
  app.add_option("--rounds", rounds, "rounds of: routes alone, edges parked, routes while they wait, publish");
  app.add_option("--catalog", catalog_bin, "the lessonmesh-catalog binary");
  app.add_option("--dir", dir, "work directory (recreated)");
  CLI11_PARSE(app, argc, argv);

  const std::uint64_t wanted_files = static_cast<std::uint64_t>(edges) + 256;
  const std::uint64_t files = lm::testing::RaiseOpenFileLimit(wanted_files);
  if (files < wanted_files) {
    Die("needs " + std::to_string(wanted_files) + " open files, the hard limit allows " + std::to_string(files) +
        " (ulimit -Hn)");
  }
  fs::remove_all(dir);
  fs::create_directories(dir + "/data");
  const std::string data_dir = fs::absolute(dir + "/data").string();

  // The store, filled directly: schools, one community of them all, tokens, lessons.
  const auto fill_start = Clock::now();
  std::vector<lm::testing::CrowdEdge> crowd;
  std::string admin;
  std::string courseware_id;
  {
    auto store = SqliteCatalogStore::Open(data_dir + "/catalog.db");
    if (!store.ok()) Die(store.status().message());
    std::string error;
    crowd = lm::testing::AddCrowdSchools(**store, edges, "bench-community", &error);
    if (crowd.empty()) Die("schools: " + error);
    auto token = IssueToken(**store, {.role = Role::kAdmin, .label = "bench"}, lm::UnixNow());
    if (!token.ok()) Die(token.status().message());
    admin = token->token;
    std::mt19937 rng(20261130);
    for (int i = 0; i < search_lessons; ++i) {
      if (auto st = (*store)->PutLesson(SearchLesson(i, rng)); !st.ok()) Die(st.message());
    }
    if (auto st = (*store)->Optimize(); !st.ok()) Die(st.message());
  }
  std::printf("catalog_long_poll: %d schools and edge tokens, %d lessons stored in %.1f s\n", edges, search_lessons,
              std::chrono::duration<double>(Clock::now() - fill_start).count());

  // The catalog as a child process: started afresh for each round, so that each round's RSS is a
  // new process's (freed connections' memory stays in a process's heap and would hide the next).
  std::unique_ptr<lm::testing::ChildProcess> catalog;
  std::uint16_t port = 0;
  std::string public_key;
  std::unique_ptr<lm::testing::HttpClient> admin_client;
  auto start_catalog = [&] {
    admin_client.reset();
    if (catalog) catalog->Stop(10);
    catalog = std::make_unique<lm::testing::ChildProcess>();
    const std::string why =
        catalog->StartPiped({catalog_bin, "--data-dir", data_dir, "--port", "0", "--max-wait-seconds", "300",
                              "--http-max-connections-per-client", "0"});
    if (!why.empty()) Die(why);
    auto line = catalog->WaitForLine("listening on http://", 60);
    if (!line) Die("the catalog did not start");
    const auto colon = line->find(':', line->find("http://") + 7);
    port = static_cast<std::uint16_t>(std::stoi(line->substr(colon + 1)));
    const auto key_at = line->find("public_key=");
    public_key = line->substr(key_at + 11, line->find_first_of(" \r\n", key_at + 11) - key_at - 11);
    admin_client = std::make_unique<lm::testing::HttpClient>(port);
  };
  start_catalog();
  auto as_admin = [&](const std::string& method, const std::string& target, const json& body) {
    auto r = admin_client->Request(method, target, body.dump(),
                                  {{"Authorization", "Bearer " + admin}, {"Content-Type", "application/json"}});
    if (r.status / 100 != 2) Die(method + " " + target + ": " + std::to_string(r.status) + " " + r.body);
    return json::parse(r.body);
  };

  // One courseware document, bundled by the transcoder's bundle code and registered as the origin does.
  {
    const fs::path src = fs::path(dir) / "courseware.pdf";
    { std::ofstream(src, std::ios::binary) << "%PDF-1.4\n% LessonMesh bench courseware\n" << std::string(4096, 'x'); }
    lm::transcoder::BundleOptions opts;
    opts.metadata = {"分数的初步认识 课件", "王老师", "数学", "三年级"};
    auto made = lm::transcoder::MakeBundleUnder(src, fs::path(dir) / "bundles", opts);
    if (!made.ok()) Die(made.status().message());
    auto manifest = lm::ReadFileBytes(made->dir / "lesson.json", 1 << 20);
    auto torrent = lm::ReadFileBytes(made->dir / "lesson.torrent", 1 << 20);
    if (!manifest.ok() || !torrent.ok()) Die("cannot read the bundle");
    as_admin("POST", "/v1/lessons",
             {{"manifest", json::parse(*manifest)}, {"torrent_base64", lm::Base64Encode(*torrent)},
              {"info_hash_v1", made->info_hash_v1}, {"info_hash_v2", made->info_hash_v2}});
    courseware_id = made->id;
  }
  const json pack_body = {{"title", "三年级数学 第三单元资源包"},
                          {"items", {{{"lesson_id", courseware_id}, {"needed_by", "2026-12-20"}}}},
                          {"targets", {{"communities", {"bench-community"}}}}};
  const std::int64_t pack_id = as_admin("POST", "/v1/packs", pack_body)["pack_id"];

  auto waiting = [&] {
    auto m = admin_client->Request("GET", "/metrics");
    const auto at = m.body.find("\nlessonmesh_edge_polls_waiting ");
    return at == std::string::npos ? -1 : std::atoi(m.body.c_str() + at + 31);
  };
  std::printf("catalog_long_poll: %d rounds: other routes with no edge connected, then %d edges parked, the "
              "routes again while they wait, then a new version published\n", rounds, edges);
  std::printf("%-5s %-8s %-9s %-9s %-9s %-11s %-11s %-11s %-11s %-9s %-9s\n", "round", "parked_s", "rss_MiB",
              "KiB/conn", "fds", "search_p50", "search_p99", "packs_p50", "packs_p99", "woken_s", "verified");
  std::vector<double> search_p99_ratio, packs_p99_ratio, woken_all, kib_all;
  bool all_verified = true;
  std::int64_t version = 1;
  double hwm = 0;
  for (int round = 1; round <= rounds; ++round) {
    if (round > 1) start_catalog();
    (void)MeasureOtherRoutes(port, admin, 20);  // warm-up
    const auto before = MeasureOtherRoutes(port, admin, requests);
    const double rss_before = ProcMiB(catalog->pid(), "VmRSS");
    const int files_before = OpenFiles(catalog->pid());
    lm::testing::LongPollCrowd polls(port, 240);
    const auto park_start = Clock::now();
    if (auto failed = polls.Park(crowd); !failed.empty()) Die(failed);
    if (!lm::testing::WaitFor([&] { return waiting() == edges; }, 60)) {
      Die("only " + std::to_string(waiting()) + " of " + std::to_string(edges) + " polls parked");
    }
    const double park_s = std::chrono::duration<double>(Clock::now() - park_start).count();
    const double rss_waiting = ProcMiB(catalog->pid(), "VmRSS");
    const int files_waiting = OpenFiles(catalog->pid());
    const auto during = MeasureOtherRoutes(port, admin, requests);
    if (waiting() != edges) Die("a parked poll was answered before the publish");

    // A new version: every edge must be woken with it.
    const auto publish = Clock::now();
    version = as_admin("PUT", "/v1/packs/" + std::to_string(pack_id), pack_body).value("version", std::int64_t{0});
    (void)polls.WaitForReplies(30);
    double last_s = 0;
    int verified = 0;
    for (std::size_t i = 0; i < crowd.size(); ++i) {
      const auto& r = polls.replies()[i];
      std::int64_t got = 0;
      std::string problem =
          r.status == 0 ? "no reply" : lm::testing::VerifyPackInFeed(r, crowd[i].school, pack_id, public_key, &got);
      if (problem.empty() && got != version) problem = "version " + std::to_string(got);
      if (problem.empty()) {
        ++verified;
        last_s = std::max(last_s, std::chrono::duration<double>(r.at - publish).count());
      } else if (all_verified) {
        std::printf("catalog_long_poll: round %d: %s: %s\n", round, crowd[i].school.c_str(), problem.c_str());
        all_verified = false;
      }
    }
    all_verified = all_verified && verified == edges;
    const double kib = (rss_waiting - rss_before) * 1024.0 / edges;
    const double s_p99 = Percentile(during[0].ms, 0.99), p_p99 = Percentile(during[1].ms, 0.99);
    search_p99_ratio.push_back(s_p99 / Percentile(before[0].ms, 0.99));
    packs_p99_ratio.push_back(p_p99 / Percentile(before[1].ms, 0.99));
    woken_all.push_back(last_s);
    kib_all.push_back(kib);
    const int errors = before[0].errors + before[1].errors + during[0].errors + during[1].errors;
    std::printf("%-5d %-8.2f %-9.1f %-9.2f %-9s %-11s %-11s %-11s %-11s %-9.3f %d/%d%s\n", round, park_s, rss_waiting,
                kib, (std::to_string(files_before) + ">" + std::to_string(files_waiting)).c_str(),
                (Fmt(Percentile(before[0].ms, 0.5)) + ">" + Fmt(Percentile(during[0].ms, 0.5))).c_str(),
                (Fmt(Percentile(before[0].ms, 0.99)) + ">" + Fmt(s_p99)).c_str(),
                (Fmt(Percentile(before[1].ms, 0.5)) + ">" + Fmt(Percentile(during[1].ms, 0.5))).c_str(),
                (Fmt(Percentile(before[1].ms, 0.99)) + ">" + Fmt(p_p99)).c_str(), last_s, verified, edges,
                errors ? (" errors " + std::to_string(errors)).c_str() : "");
    std::fflush(stdout);
    hwm = std::max(hwm, ProcMiB(catalog->pid(), "VmHWM"));
  }
  admin_client.reset();
  catalog->Stop(10);
  auto range = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return Fmt(v.front()) + "-" + Fmt(v.back());
  };
  std::printf("catalog_long_poll: memory per waiting connection: median %.2f KiB (range %s); catalog peak RSS "
              "%.1f MiB (the most of any round)\n", Percentile(kib_all, 0.5), range(kib_all).c_str(), hwm);
  std::printf("catalog_long_poll: publish to the last of %d edges woken, each with the new signed version: median "
              "%.3f s (range %s; target < 5 s: %s)\n", edges, Percentile(woken_all, 0.5), range(woken_all).c_str(),
              all_verified && Percentile(woken_all, 1.0) < 5 ? "met" : "NOT met");
  std::printf("catalog_long_poll: p99 while %d wait / p99 with none, median of %d rounds: search %.2f (range %s), "
              "/v1/packs %.2f (range %s)\n", edges, rounds, Percentile(search_p99_ratio, 0.5),
              range(search_p99_ratio).c_str(), Percentile(packs_p99_ratio, 0.5), range(packs_p99_ratio).c_str());
  return all_verified ? 0 : 1;
}
