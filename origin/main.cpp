// lessonmesh-origin: takes teachers' uploads, transcodes them into lesson bundles, registers them
// with the catalog and seeds them (web seed, tracker, libtorrent).
// Exit codes (lm::CliExitCode): 0 ok, 1 internal error, 2 usage or config, 4 I/O (cannot listen,
// cannot open data).

#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <string_view>

#include <CLI/CLI.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include "origin/origin_config.h"
#include "origin/origin_service.h"

namespace {

int Fail(const lm::Status& st) {
  std::cerr << "lessonmesh-origin: " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

// The value of --config in argv, "" if none: the file is read before the flags, which override it.
std::string ConfigPathOf(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) return argv[i + 1];
    if (a.rfind("--config=", 0) == 0) return std::string(a.substr(9));
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  lm::origin::OriginConfig config;
  const std::string config_path = ConfigPathOf(argc, argv);
  if (!config_path.empty()) {
    if (auto st = lm::origin::LoadOriginToml(config_path, &config); !st.ok()) return Fail(st);
  }

  CLI::App app{"LessonMesh origin: resumable uploads, transcode queue, seeding, web seed and tracker"};
  std::string ignored_config;
  app.add_option("--config", ignored_config, "TOML settings file (read first; flags override it)");
  app.add_option("--listen", config.listen_address, "HTTP listen address");
  app.add_option("--port", config.port, "HTTP port (0 = any free port)");
  app.add_option("--data-dir", config.data_dir, "data directory: uploads, bundles, job queue, resume data");
  app.add_option("--catalog-url", config.catalog_url, "the catalog, e.g. http://127.0.0.1:8090");
  app.add_option("--catalog-token", config.catalog_token, "a catalog token with role origin");
  app.add_option("--public-url", config.public_url, "how edges reach this origin (web seed and tracker URLs)");
  app.add_option("--workers", config.workers, "transcodes at once");
  app.add_option("--max-upload-bytes", config.max_upload_bytes, "largest upload accepted");
  app.add_option("--torrent-port", config.torrent_port, "libtorrent listen port (TCP and uTP; 0 = any)");
  app.add_option("--upload-rate-kbps", config.upload_rate_kbps, "seeding rate limit, kbit/s (0 = none)");
  app.add_option("--max-connections", config.max_connections, "peer connections at most");
  app.add_option("--dht", config.dht, "use the BitTorrent DHT (true/false)");
  app.add_option("--lsd", config.lsd, "local service discovery (true/false)");
  app.add_option("--http-threads", config.http_threads, "HTTP handler threads");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lessonmesh-origin: " << e.what() << "\n";
    return 2;
  }

  av_log_set_level(AV_LOG_ERROR);  // the job log says what failed; libav's chatter is not for operators

  // SIGINT/SIGTERM are taken by sigwait below; blocked before any thread starts so that every
  // thread inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto service = lm::origin::OriginService::Start(config);
  if (!service.ok()) return Fail(service.status());
  std::cout << "lessonmesh-origin listening on http://" << config.listen_address << ":" << (*service)->http_port()
            << " torrent_port=" << (*service)->torrent_port() << " public_url=" << (*service)->public_url()
            << " data=" << config.data_dir << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "lessonmesh-origin: signal " << signal_number << ", stopping\n";
  (*service)->Stop();
  std::cerr << "lessonmesh-origin: stopped\n";
  return 0;
}
