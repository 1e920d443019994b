// bench/queue: tiny jobs through the shared (PostgreSQL) transcode queue, as many workers take
// them. A throwaway PostgreSQL server runs on loopback (tests/testing/postgres_server.h; fsync off,
// so this measures the queue's statements and locking, not the disk). Each worker is a thread
// with its own JobQueue and connections, as a `lessonmesh-origin --role worker` process has; its
// job runner does nothing. Per run: --jobs queued, then the workers claim and finish them all.
// "lease" runs renew each job's lease once before finishing it, as a job that runs for one
// renewal period does; the lease overhead is the time per job that renewal adds. SQLite (one
// process, one worker) is the anchor. Runs alternate between modes; the median of --runs is shown
// with its range.
//
//   build/bin/queue_bench [--jobs 1000] [--runs 5]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "origin/job_queue.h"
#include "tests/testing/postgres_server.h"
#include "tests/testing/temp_dir.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Mode {
  std::string store;  // "sqlite" or "postgresql"
  int workers = 1;
  bool renew = false;
};

// Seconds to drain `jobs` jobs through `mode`'s workers; < 0 on an error (printed).
double RunOnce(const Mode& mode, const std::string& where, int jobs) {
  auto producer = lm::origin::JobQueue::Open(where);
  if (!producer.ok()) {
    std::fprintf(stderr, "open: %s\n", producer.status().ToString().c_str());
    return -1;
  }
  for (int i = 0; i < jobs; ++i) {
    if (!(*producer)->Enqueue("upload-" + std::to_string(i), 0).ok()) return -1;
  }
  std::atomic<int> done{0}, errors{0};
  const auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < mode.workers; ++w) {
    threads.emplace_back([&, w] {
      lm::origin::JobQueueOptions options;
      options.worker = "bench:" + std::to_string(w);
      auto q = mode.store == "sqlite" ? std::move(producer) : lm::origin::JobQueue::Open(where, options);
      if (!q.ok()) return ++errors, void();
      for (;;) {
        auto job = (*q)->ClaimNext(1);
        if (!job.ok()) return ++errors, void();
        if (!job->has_value()) break;
        if (mode.renew && !(*q)->Renew(**job, 2).ok()) ++errors;
        if (!(*q)->Finish((*job)->id, "0b98c0d231a14ecc5afa07d958c31a91", 3).ok()) ++errors;
        ++done;
      }
      if (mode.store == "sqlite") producer = std::move(q);
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  if (errors > 0 || done != jobs) {
    std::fprintf(stderr, "%s x%d: %d errors, %d of %d jobs done\n", mode.store.c_str(), mode.workers, errors.load(),
                 done.load(), jobs);
    return -1;
  }
  return seconds;
}

}  // namespace

int main(int argc, char** argv) {
  int jobs = 1000, runs = 5;
  CLI::App app{"Tiny jobs through the shared PostgreSQL transcode queue with 1, 2 and 4 workers"};
  app.add_option("--jobs", jobs, "jobs per run")->check(CLI::Range(1, 1000000));
  app.add_option("--runs", runs, "runs per mode (the median is shown)")->check(CLI::Range(1, 100));
  CLI11_PARSE(app, argc, argv);

  const std::string bin_dir = lm::testing::PostgresServer::FindBinDir();
  if (bin_dir.empty()) {
    std::fprintf(stderr, "queue_bench: PostgreSQL's server is not installed (scripts/install-deps.sh)\n");
    return 2;
  }
  auto server = lm::testing::PostgresServer::Start(bin_dir);
  if (!server.ok()) {
    std::fprintf(stderr, "queue_bench: %s\n", server.status().ToString().c_str());
    return 4;
  }
  lm::testing::TempDir tmp;
  std::vector<Mode> modes = {{"sqlite", 1, false}};
  for (int w : {1, 2, 4}) {
    modes.push_back({"postgresql", w, false});
    modes.push_back({"postgresql", w, true});
  }
  std::vector<std::vector<double>> seconds(modes.size());
  int database = 0;
  for (int run = 0; run < runs; ++run) {
    for (std::size_t m = 0; m < modes.size(); ++m) {
      std::string where;
      if (modes[m].store == "sqlite") {
        where = (tmp / ("jobs-" + std::to_string(run) + ".db")).string();
      } else {
        auto uri = (*server)->CreateDatabase("queue" + std::to_string(database++));
        if (!uri.ok()) {
          std::fprintf(stderr, "queue_bench: %s\n", uri.status().ToString().c_str());
          return 4;
        }
        where = *uri;
      }
      const double s = RunOnce(modes[m], where, jobs);
      if (s < 0) return 1;
      seconds[m].push_back(s);
    }
  }
  std::printf("%d jobs per run, %d runs, median (min-max)\n", jobs, runs);
  std::printf("%-11s %7s %6s %22s %14s\n", "store", "workers", "lease", "jobs/s", "us/job");
  for (std::size_t m = 0; m < modes.size(); ++m) {
    std::vector<double> rate;
    for (double s : seconds[m]) rate.push_back(jobs / s);
    std::sort(rate.begin(), rate.end());
    const double median = rate[rate.size() / 2];
    std::printf("%-11s %7d %6s %8.0f (%5.0f-%5.0f) %14.0f\n", modes[m].store.c_str(), modes[m].workers,
                modes[m].renew ? "renew" : "-", median, rate.front(), rate.back(), 1e6 / median);
  }
  return 0;
}
