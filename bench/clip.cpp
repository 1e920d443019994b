// bench/clip: what cutting micro-courses out of a lesson bundle costs, against transcoding the
// same ranges from the source with our transcoder (what a teacher would otherwise do: cut the
// recording and upload each part). Makes a lesson-like source (bench/make_lesson_clip.sh) and its
// bundle once, cuts the source's ranges with `ffmpeg -c copy` once (outside the timing), then
// alternates, pair by pair: MakeClip of the N ranges from the bundle, and MakeBundle of the N
// range files. Ranges start and end off the segment grid, so every clip re-encodes a partial
// first and last segment (the expensive case). Prints wall and CPU time per pair, and the median
// of the per-pair ratios with their range, as Markdown.
//
//   build/bin/clip_bench [--seconds 2700] [--size 640x360] [--clips 5] [--clip-seconds 120]
//                        [--pairs 5] [--dir bench/out/clip]

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "transcoder/bundle.h"
#include "transcoder/clip.h"

extern "C" {
#include <libavutil/log.h>
}

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Cost {
  double wall_s = 0;
  double cpu_s = 0;
};

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

template <typename Fn>
Cost Measure(Fn&& fn) {
  const auto t0 = Clock::now();
  const double c0 = CpuSeconds();
  fn();
  return {std::chrono::duration<double>(Clock::now() - t0).count(), CpuSeconds() - c0};
}

void Die(const std::string& what) {
  std::fprintf(stderr, "clip_bench: %s\n", what.c_str());
  std::exit(1);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bench/clip: clipping a lesson bundle vs transcoding the ranges from the source"};
  double seconds = 2700, clip_seconds = 120;
  std::string size = "640x360";
  int clips = 5, pairs = 5;
  fs::path dir = "bench/out/clip";
  app.add_option("--seconds", seconds, "length of the lesson");
  app.add_option("--size", size, "source size, WxH");
  app.add_option("--clips", clips, "ranges cut per run");
  app.add_option("--clip-seconds", clip_seconds, "length of each range");
  app.add_option("--pairs", pairs, "alternating pairs (clip, transcode)");
  app.add_option("--dir", dir, "work directory (the source and its bundle are kept for the next run)");
  CLI11_PARSE(app, argc, argv);
  av_log_set_level(AV_LOG_ERROR);
  fs::create_directories(dir);
  const fs::path here = LM_BENCH_DIR;

  // The lesson and its bundle, made once.
  const fs::path source = dir / ("lesson_" + std::to_string(static_cast<int>(seconds)) + "s_" + size + ".mp4");
  if (!fs::exists(source)) {
    const std::string cmd = (here / "make_lesson_clip.sh").string() + " " + (dir / "making.mp4").string() + " " +
                            std::to_string(static_cast<int>(seconds)) + " " + size + " 30";
    std::fprintf(stderr, "making the source: %s\n", cmd.c_str());
    if (std::system(cmd.c_str()) != 0) Die("could not make the source");
    fs::rename(dir / "making.mp4", source);
  }
  const fs::path parent = dir / ("bundle_" + source.stem().string());
  lm::transcoder::BundleOptions options;
  const Cost whole = Measure([&] {
    auto made = lm::transcoder::MakeBundle(source, parent, options);
    if (!made.ok()) Die("bundle: " + made.status().ToString());
    if (made->reused) std::fprintf(stderr, "bundle reused from an earlier run\n");
  });

  // Ranges spread over the lesson, starting and ending off the 6 s segment grid.
  std::vector<std::pair<double, double>> ranges;
  for (int i = 0; i < clips; ++i) {
    const double start = std::floor(seconds * (i + 0.1) / clips) + 1.5 + 0.4 * i;
    ranges.push_back({start, std::min(seconds, start + clip_seconds)});
  }
  std::vector<fs::path> range_files;
  for (int i = 0; i < clips; ++i) {
    const fs::path f = dir / ("range_" + std::to_string(i) + ".mp4");
    char cmd[1024];
    std::snprintf(cmd, sizeof(cmd), "ffmpeg -hide_banner -loglevel error -nostdin -y -ss %.3f -i %s -t %.3f -c copy %s",
                  ranges[i].first, source.c_str(), ranges[i].second - ranges[i].first, f.c_str());
    if (std::system(cmd) != 0) Die("could not cut the source range");
    range_files.push_back(f);
  }

  auto clip_all = [&](int pair) {
    const fs::path out = dir / ("clips_" + std::to_string(pair));
    fs::remove_all(out);
    int copied = 0, reencoded = 0;
    const Cost cost = Measure([&] {
      for (const auto& [start, end] : ranges) {
        auto c = lm::transcoder::MakeClipUnder(parent, {start, end, ""}, out, {});
        if (!c.ok()) Die("clip: " + c.status().ToString());
        copied += c->segments_copied;
        reencoded += c->segments_reencoded;
      }
    });
    std::fprintf(stderr, "pair %d clip: %.2f s wall, %.2f s CPU (%d segments copied, %d re-encoded)\n", pair,
                 cost.wall_s, cost.cpu_s, copied, reencoded);
    fs::remove_all(out);
    return cost;
  };
  auto transcode_all = [&](int pair) {
    const fs::path out = dir / ("transcoded_" + std::to_string(pair));
    fs::remove_all(out);
    const Cost cost = Measure([&] {
      for (size_t i = 0; i < range_files.size(); ++i) {
        auto b = lm::transcoder::MakeBundle(range_files[i], out / std::to_string(i), options);
        if (!b.ok()) Die("transcode: " + b.status().ToString());
      }
    });
    std::fprintf(stderr, "pair %d transcode: %.2f s wall, %.2f s CPU\n", pair, cost.wall_s, cost.cpu_s);
    fs::remove_all(out);
    return cost;
  };

  std::vector<Cost> clip_costs, transcode_costs;
  std::vector<double> wall_ratios, cpu_ratios;
  for (int p = 0; p < pairs; ++p) {
    Cost c, t;
    if (p % 2 == 0) {
      c = clip_all(p);
      t = transcode_all(p);
    } else {
      t = transcode_all(p);
      c = clip_all(p);
    }
    clip_costs.push_back(c);
    transcode_costs.push_back(t);
    wall_ratios.push_back(c.wall_s / t.wall_s);
    cpu_ratios.push_back(c.cpu_s / t.cpu_s);
  }

  std::printf("| pair | clip wall s | clip CPU s | transcode wall s | transcode CPU s | wall ratio | CPU ratio |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (int p = 0; p < pairs; ++p) {
    std::printf("| %d | %.2f | %.2f | %.2f | %.2f | %.4f | %.4f |\n", p, clip_costs[p].wall_s, clip_costs[p].cpu_s,
                transcode_costs[p].wall_s, transcode_costs[p].cpu_s, wall_ratios[p], cpu_ratios[p]);
  }
  const auto [wmin, wmax] = std::minmax_element(wall_ratios.begin(), wall_ratios.end());
  const auto [cmin, cmax] = std::minmax_element(cpu_ratios.begin(), cpu_ratios.end());
  std::printf("\nlesson %.0f s %s; %d clips of %.0f s; whole lesson transcoded in %.1f s wall%s\n", seconds,
              size.c_str(), clips, clip_seconds, whole.wall_s, whole.wall_s < 1 ? " (reused)" : "");
  std::printf("clip/transcode wall: median %.4f (range %.4f-%.4f); CPU: median %.4f (range %.4f-%.4f)\n",
              Median(wall_ratios), *wmin, *wmax, Median(cpu_ratios), *cmin, *cmax);
  return 0;
}
