// lessonmesh-transcode: turns one upload into a lesson bundle.
// Exit codes: 0 ok, 1 internal error, 2 usage, 3 bad input (unreadable, unsupported), 4 I/O,
// 5 interrupted.

#include <csignal>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include "transcoder/bundle.h"
#include "common/progress_bar.h"

namespace {

std::atomic<bool> g_cancel{false};
extern "C" void OnSignal(int) { g_cancel.store(true); }


nlohmann::ordered_json SummaryJson(const lm::transcoder::BundleSummary& s) {
  nlohmann::ordered_json j;
  j["id"] = s.id;
  j["kind"] = s.kind == lm::transcoder::BundleKind::kLesson ? "lesson" : "document";
  j["dir"] = s.dir.string();
  j["reused"] = s.reused;
  j["duration_s"] = s.duration_seconds;
  j["wall_s"] = s.wall_seconds;
  j["speed"] = s.wall_seconds > 0 ? s.duration_seconds / s.wall_seconds : 0.0;
  j["hash_s"] = s.hash_seconds;
  j["total_bytes"] = s.total_bytes;
  j["info_hash_v1"] = s.info_hash_v1;
  j["info_hash_v2"] = s.info_hash_v2;
  auto renditions = nlohmann::ordered_json::array();
  for (const auto& r : s.renditions) {
    renditions.push_back({{"name", r.name},
                          {"width", r.width},
                          {"height", r.height},
                          {"fps", r.fps},
                          {"bandwidth", r.bandwidth},
                          {"size", r.size_bytes},
                          {"codecs", r.codecs}});
  }
  j["renditions"] = renditions;
  return j;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"LessonMesh transcoder: turns a recorded lesson or a courseware document into a lesson bundle"};
  std::string input;
  std::string out_dir;
  bool json_summary = false;
  lm::transcoder::BundleOptions options;
  app.add_option("INPUT", input, "video, audio or document file")->required();
  app.add_option("-o,--output", out_dir, "bundle directory to create")->required();
  app.add_option("--title", options.metadata.title, "lesson title");
  app.add_option("--teacher", options.metadata.teacher, "teacher's name");
  app.add_option("--subject", options.metadata.subject, "subject, e.g. 数学");
  app.add_option("--grade", options.metadata.grade, "grade, e.g. 三年级");
  app.add_option("--web-seed", options.web_seeds, "HTTP base URL serving bundles (BEP 19); repeatable");
  app.add_option("--tracker", options.trackers, "BitTorrent tracker announce URL; repeatable");
  app.add_option("--ladder", options.ladder, "rendition ladder")->capture_default_str();
  app.add_option("--preset", options.x264_preset, "x264 preset (default: the ladder's)");
  app.add_option("--piece-size", options.piece_size_bytes, "torrent piece size in bytes")->capture_default_str();
  app.add_option("--threads", options.threads,
                 "decoder and filter threads (0 = one per core); the bundle's bytes do not depend on it")
      ->check(CLI::Range(0, 64));
  app.add_option("--chunk-seconds", options.chunk_seconds,
                 "encode a lesson at least twice this long in chunks of it, a whole number of segments "
                 "(0 = the ladder's, 60); part of the lesson id")
      ->check(CLI::Range(0, 86400));
  app.add_option("--jobs", options.jobs,
                 "chunks of a long lesson encoded at once (0 = half the cores); each holds its own decoder and "
                 "encoders (about 280 MiB at 1080p); the bundle's bytes do "
                 "not depend on it")
      ->check(CLI::Range(0, 256));
  app.add_flag("--json", json_summary, "print a JSON summary on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lessonmesh-transcode: " << e.what() << "\n";
    return 2;
  }

  // An error is one line on stderr, ours: libav's own messages (a demuxer's "moov atom not found")
  // would add lines before it, and what they say reaches that line through the Status.
  av_log_set_level(AV_LOG_QUIET);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);

  lm::ProgressBar bar(stderr);
  auto show = [&](const lm::transcoder::Progress& p) {
    const double speed = p.wall_seconds > 0 ? p.done_seconds / p.wall_seconds : 0.0;
    char rate[32];
    std::snprintf(rate, sizeof(rate), "%.2fx", speed);
    bar.Update({p.total_seconds > 0 ? p.done_seconds / p.total_seconds : 0.0, lm::ClockText(p.done_seconds),
                lm::ClockText(p.total_seconds), rate,
                speed > 0 && p.total_seconds > 0 ? (p.total_seconds - p.done_seconds) / speed : -1, p.wall_seconds});
  };
  auto result = lm::transcoder::MakeBundle(input, out_dir, options, show, &g_cancel);
  bar.Finish();
  if (!result.ok()) {
    std::cerr << "lessonmesh-transcode: " << input << ": " << result.status().message() << "\n";
    return lm::CliExitCode(result.status().code());
  }
  const auto& s = *result;
  if (json_summary) {
    std::cout << SummaryJson(s).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (s.reused) {
    std::cout << "bundle " << s.id << " already at " << s.dir.string() << " (same input, same settings)\n";
  } else {
    std::cout << "bundle " << s.id << " written to " << s.dir.string() << "\n";
    std::printf("  %.1f s of media in %.1f s (%.2fx realtime), %lld bytes\n", s.duration_seconds, s.wall_seconds,
                s.wall_seconds > 0 ? s.duration_seconds / s.wall_seconds : 0.0, static_cast<long long>(s.total_bytes));
    for (const auto& r : s.renditions) {
      if (r.width > 0) {
        std::printf("  %-6s %4dx%-4d %5.2f fps %6lld kbit/s  %s\n", r.name.c_str(), r.width, r.height, r.fps,
                    static_cast<long long>(r.average_bandwidth / 1000), r.codecs.c_str());
      } else {
        std::printf("  %-6s audio only       %6lld kbit/s  %s\n", r.name.c_str(),
                    static_cast<long long>(r.average_bandwidth / 1000), r.codecs.c_str());
      }
    }
    std::cout << "  torrent v1 " << s.info_hash_v1 << "\n";
  }
  return 0;
}
