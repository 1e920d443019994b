// bench/catalog_search: how fast the catalog answers lesson searches at the scale of a province.
// Fills a fresh catalog with N lessons (generated Chinese titles, teachers, subjects, grades and
// tags), serves it over real HTTP on loopback, and runs a fixed mix of queries (one- and
// two-character words, phrases, mixed Chinese/Latin, filters, later pages) from 1, 8 and 32
// concurrent keep-alive clients. Prints p50/p99 latency per level and the database size.
// --store postgresql runs the same lessons and queries against both stores, SQLite first, then a
// throwaway PostgreSQL server (tests/testing/postgres_server.h), and prints them side by side.
// PostgreSQL answers these searches in tenths of a second, so its levels run --postgres-requests
// each (300: p99 is then the fourth slowest) and each query alone 5 times, not 20.
//
// --reuse searches the SQLite database a previous run left in --dir (with as many lessons) instead
// of filling a new one: the same index and queries, so that builds can be compared in turns on a
// busy machine without a minute of registration before each.
//
//   build/bin/catalog_search [--lessons 100000] [--requests 3000] [--dir bench/out/catalog]
//                            [--store sqlite|postgresql] [--postgres-requests 300] [--reuse]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "catalog/auth.h"
#include "catalog/catalog_config.h"
#include "catalog/catalog_api.h"
#include "catalog/postgres_catalog_store.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/http/http_server.h"
#include "common/signing.h"
#include "tests/testing/http_client.h"
#include "tests/testing/postgres_server.h"

namespace {

using namespace lm::catalog;
using Clock = std::chrono::steady_clock;

const std::vector<std::string> kSubjects = {"数学", "语文", "英语", "科学", "物理", "化学", "生物", "历史",
                                            "地理", "道德与法治", "音乐", "美术", "体育", "信息科技"};
const std::vector<std::string> kGrades = {"一年级", "二年级", "三年级", "四年级", "五年级", "六年级",
                                          "七年级", "八年级", "九年级"};
const std::vector<std::string> kTopics = {
    "分数的初步认识", "10以内的加法", "两位数乘法", "小数的意义", "圆的面积", "长方体的体积", "古诗两首",
    "静夜思", "春晓", "光的折射", "电路的连接", "植物的一生", "水的三态", "中国的地形", "丝绸之路",
    "Python 入门", "Scratch 动画", "Unit 3 Colors", "Unit 5 My Family", "认识时间", "方程的解",
    "三角形的内角和", "百分数的应用", "统计与概率", "声音的产生", "二十四节气", "成语故事", "看图写话"};
const std::vector<std::string> kSurnames = {"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"};
const std::vector<std::string> kGiven = {"老师", "丽华", "建国", "晓明", "雪梅", "志强", "秀英", "海燕", "文静"};
const std::vector<std::string> kTags = {"名师课堂", "专递课堂", "微课", "同步课", "复习", "实验", "习题讲解",
                                        "教研", "双减", "课后服务", "期末", "单元整合"};
const std::vector<std::string> kKinds = {"第一课时", "第二课时", "练习课", "复习课", "拓展", "实验演示"};

std::string UrlEncode(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// One concurrency level's figures.
struct Level {
  int clients = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0, requests_per_s = 0;
  int errors = 0;
};

// Registers `lessons` generated lessons through the store, as the service does (the store indexes
// each), then optimises the index as the service's housekeeping does after bulk loads.
lm::Status Fill(CatalogStore& store, int lessons, double* fill_s, double* optimize_s) {
  const auto fill_start = Clock::now();
  std::mt19937 rng(20261125);
  auto pick = [&](const std::vector<std::string>& v) -> const std::string& { return v[rng() % v.size()]; };
  for (int i = 0; i < lessons; ++i) {
    Lesson l;
    char id[40];
    std::snprintf(id, sizeof(id), "%032x", i + 1);
    l.id = id;
    l.kind = "lesson";
    l.subject = pick(kSubjects);
    l.grade = pick(kGrades);
    l.title = l.grade + l.subject + " " + pick(kTopics) + "（" + pick(kKinds) + "）";
    l.teacher = pick(kSurnames) + pick(kGiven);
    l.description = "本课围绕" + pick(kTopics) + "展开，适合" + l.grade + "学生在" + pick(kTags) + "中使用。";
    l.tags = {pick(kTags), pick(kTags)};
    l.duration_s = 300 + rng() % 2400;
    l.info_hash_v1 = std::string(40, 'a');
    l.info_hash_v2 = std::string(64, 'b');
    l.total_bytes = 50000000;
    l.manifest_json = "{}";
    l.torrent = "d4:infod4:name1:xee";
    l.created_at = 1790000000 + i;
    RETURN_IF_ERROR(store.PutLesson(l));
  }
  *fill_s = std::chrono::duration<double>(Clock::now() - fill_start).count();
  const auto optimize_start = Clock::now();
  RETURN_IF_ERROR(store.Optimize());
  *optimize_s = std::chrono::duration<double>(Clock::now() - optimize_start).count();
  return lm::Status::Ok();
}

// The query mix: what teachers and classrooms type.
std::vector<std::string> Queries() {
  std::vector<std::string> queries;
  for (const char* q : {"分数", "数学", "加法", "光", "古诗", "静夜思", "分数的初步认识", "三角形的内角和",
                        "Python 入门", "python", "Unit 3", "王老师", "名师课堂", "实验", "复习课", "圆的面积 练习课"}) {
    queries.push_back("/v1/lessons?q=" + UrlEncode(q));
  }
  queries.push_back("/v1/lessons?q=" + UrlEncode("分数") + "&grade=" + UrlEncode("三年级"));
  queries.push_back("/v1/lessons?q=" + UrlEncode("实验") + "&subject=" + UrlEncode("科学") + "&page=2");
  queries.push_back("/v1/lessons?subject=" + UrlEncode("数学") + "&grade=" + UrlEncode("五年级"));
  queries.push_back("/v1/lessons?q=" + UrlEncode("二十四节气") + "&page=3");
  return queries;
}

// Serves `store` over HTTP on loopback and runs the query mix: each query alone from one client
// (printed), then 1, 8 and 32 clients.
lm::Result<std::vector<Level>> Measure(CatalogStore& store, int requests, int repeats) {
  auto key = lm::SigningKey::Generate();
  CatalogApi service(store, *key, {});
  lm::http::ServerOptions options;
  options.worker_threads = WorkerThreads(CatalogConfig{});  // the service's default: one per core
  ASSIGN_OR_RETURN(auto server,
                   lm::http::HttpServer::Start(
                       options, [&](lm::http::Request r, lm::http::Responder respond) { service.Handle(std::move(r), respond); },
                       &CatalogApi::BodyLimit));
  auto token = NewToken();
  ASSIGN_OR_RETURN(std::int64_t token_id, store.PutToken(TokenHash(*token), {.role = Role::kEdge, .school_id = "school-1"}));
  (void)token_id;
  const std::vector<std::string> queries = Queries();
  // One client, each query alone: which ones cost what.
  {
    lm::testing::HttpClient client(server->port());
    for (const auto& q : queries) {
      std::vector<double> ms;
      for (int i = 0; i < repeats; ++i) {
        const auto t0 = Clock::now();
        auto r = client.Request("GET", q, "", {{"Authorization", "Bearer " + *token}});
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      }
      std::printf("  %-70s p50 %6.2f ms\n", q.c_str(), Percentile(ms, 0.5));
    }
  }
  std::vector<Level> levels;
  for (int clients : {1, 8, 32}) {
    std::vector<std::vector<double>> latencies(static_cast<size_t>(clients));
    std::atomic<int> next{0};
    std::atomic<int> errors{0};
    const auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        lm::testing::HttpClient client(server->port());
        for (int i; (i = next.fetch_add(1)) < requests;) {
          const auto t0 = Clock::now();
          auto r = client.Request("GET", queries[static_cast<size_t>(i) % queries.size()], "",
                                  {{"Authorization", "Bearer " + *token}});
          latencies[static_cast<size_t>(c)].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
          if (r.status != 200) ++errors;
        }
      });
    }
    for (auto& t : threads) t.join();
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
    levels.push_back({clients, Percentile(all, 0.5), Percentile(all, 0.99), Percentile(all, 1.0),
                      static_cast<double>(all.size()) / wall, errors.load()});
  }
  server->Stop();
  return levels;
}

void PrintLevels(const std::vector<Level>& levels) {
  std::printf("%-8s %-10s %-10s %-10s %-12s %s\n", "clients", "p50 ms", "p99 ms", "max ms", "requests/s", "errors");
  for (const Level& l : levels) {
    std::printf("%-8d %-10.2f %-10.2f %-10.2f %-12.0f %d\n", l.clients, l.p50_ms, l.p99_ms, l.max_ms, l.requests_per_s,
                l.errors);
  }
}

// Fills `store` (unless `filled`), measures it and prints what it measured, headed by `name`.
lm::Result<std::vector<Level>> FillAndMeasure(const char* name, CatalogStore& store, int lessons, int requests,
                                              int repeats, bool filled = false) {
  double fill_s = 0, optimize_s = 0;
  if (!filled) RETURN_IF_ERROR(Fill(store, lessons, &fill_s, &optimize_s));
  const auto db_size = store.SizeBytes().ok() ? *store.SizeBytes() : 0;
  const auto count = store.CountLessons();
  if (!count.ok()) return count.status();
  if (*count != lessons) {
    return lm::Status(lm::StatusCode::kInvalidArgument, "the store holds " + std::to_string(*count) + " lessons, not " +
                                                            std::to_string(lessons));
  }
  if (filled) {
    std::printf("catalog_search [%s]: %d lessons registered by an earlier run; database %.1f MiB\n", name, lessons,
                static_cast<double>(db_size) / (1 << 20));
  } else {
    std::printf("catalog_search [%s]: %d lessons registered in %.1f s, index optimised in %.1f s; database %.1f MiB\n",
                name, lessons, fill_s, optimize_s, static_cast<double>(db_size) / (1 << 20));
  }
  std::fflush(stdout);
  ASSIGN_OR_RETURN(std::vector<Level> levels, Measure(store, requests, repeats));
  PrintLevels(levels);
  std::fflush(stdout);
  return levels;
}

int Fail(const lm::Status& st) {
  std::fprintf(stderr, "catalog_search: %s\n", st.message().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"catalog search benchmark"};
  int lessons = 100000;
  int requests = 3000;
  std::string dir = "bench/out/catalog";
  std::string store_kind = "sqlite";
  app.add_option("--lessons", lessons, "lessons to generate");
  app.add_option("--requests", requests, "requests per concurrency level");
  app.add_option("--dir", dir, "work directory (recreated)");
  app.add_option("--store", store_kind, "sqlite, or postgresql: both stores, side by side")
      ->check(CLI::IsMember({"sqlite", "postgresql"}));
  int postgres_requests = 300;
  app.add_option("--postgres-requests", postgres_requests, "requests per concurrency level on PostgreSQL");
  bool reuse = false;
  app.add_flag("--reuse", reuse, "search the SQLite database an earlier run left in --dir");
  CLI11_PARSE(app, argc, argv);

  if (!reuse) std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::vector<Level> sqlite_levels;
  {
    auto store = SqliteCatalogStore::Open(dir + "/catalog.db");
    if (!store.ok()) return Fail(store.status());
    auto levels = FillAndMeasure("sqlite", **store, lessons, requests, 20, reuse);
    if (!levels.ok()) return Fail(levels.status());
    sqlite_levels = *levels;
  }
  if (store_kind == "sqlite") return 0;

  const std::string bin_dir = lm::testing::PostgresServer::FindBinDir();
  if (bin_dir.empty()) return Fail(lm::Status(lm::StatusCode::kNotFound, "PostgreSQL's server is not installed"));
  auto server = lm::testing::PostgresServer::Start(bin_dir);
  if (!server.ok()) return Fail(server.status());
  auto uri = (*server)->CreateDatabase("catalog_search");
  if (!uri.ok()) return Fail(uri.status());
  auto store = PostgresCatalogStore::Open(*uri);
  if (!store.ok()) return Fail(store.status());
  auto pg_levels = FillAndMeasure("postgresql", **store, lessons, postgres_requests, 5);
  if (!pg_levels.ok()) return Fail(pg_levels.status());

  std::printf("\nside by side, %d lessons, %d requests per level on SQLite, %d on PostgreSQL\n", lessons, requests,
              postgres_requests);
  std::printf("%-8s %-12s %-12s %-12s %-12s\n", "clients", "sqlite p50", "sqlite p99", "pg p50", "pg p99");
  for (size_t i = 0; i < sqlite_levels.size() && i < pg_levels->size(); ++i) {
    std::printf("%-8d %-12.2f %-12.2f %-12.2f %-12.2f\n", sqlite_levels[i].clients, sqlite_levels[i].p50_ms,
                sqlite_levels[i].p99_ms, (*pg_levels)[i].p50_ms, (*pg_levels)[i].p99_ms);
  }
  return 0;
}
