// lessonmesh-origin: takes teachers' uploads, transcodes them into lesson bundles, registers them
// with the catalog and seeds them (web seed, tracker, libtorrent). With --role worker it only
// transcodes, from a PostgreSQL queue shared with the serving origin (worker_service.h).
// Exit codes (lm::CliExitCode): 0 ok, 1 internal error, 2 usage or config, 4 I/O (cannot listen,
// cannot open data).

#include <iostream>

#include <CLI/CLI.hpp>

extern "C" {
#include <libavutil/log.h>
}

#include "common/config_keys.h"
#include "common/stop_signals.h"
#include "origin/origin_config.h"
#include "origin/origin_service.h"
#include "origin/worker_service.h"

namespace {

constexpr char kProgram[] = "lessonmesh-origin";

int Fail(const lm::Status& st) {
  std::cerr << kProgram << ": " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

// --role worker: transcodes from the shared queue until SIGINT or SIGTERM.
int RunWorker(const lm::origin::OriginConfig& config, lm::StopSignals& stop_signals) {
  auto worker = lm::origin::WorkerService::Start(config);
  if (!worker.ok()) return Fail(worker.status());
  std::cout << kProgram << " worker " << (*worker)->name() << " transcoding threads=" << config.workers
            << " lease_s=" << config.lease_seconds << " data=" << config.data_dir << std::endl;
  int signal_number = 0;
  while ((signal_number = stop_signals.Wait()) == SIGHUP) {
  }
  std::cerr << kProgram << ": signal " << signal_number << ", stopping\n";
  (*worker)->Stop();
  std::cerr << kProgram << ": stopped\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  lm::origin::OriginConfig config;
  lm::ConfigKeys keys;
  lm::origin::DeclareOriginKeys(&config, &keys);
  CLI::App app{"LessonMesh origin: resumable uploads, transcode queue, seeding, web seed and tracker"};
  keys.AddFlags(app);
  if (auto exit_code = lm::ParseCommandLine(app, keys, argc, argv, kProgram)) return *exit_code;

  av_log_set_level(AV_LOG_ERROR);  // the job log says what failed; libav's chatter is not for operators

  lm::StopSignals stop_signals(/*take_hangup=*/true);  // before any thread starts
  if (lm::origin::IsWorkerRole(config)) return RunWorker(config, stop_signals);
  auto service = lm::origin::OriginService::Start(config);
  if (!service.ok()) return Fail(service.status());
  std::cout << kProgram << " listening on http://" << config.listen_address << ":" << (*service)->http_port()
            << " torrent_port=" << (*service)->torrent_port() << " public_url=" << (*service)->public_url()
            << " data=" << config.data_dir;
  if ((*service)->https_port() != 0) {
    std::cout << " https=" << config.serving.tls_listen << ":" << (*service)->https_port();
  }
  std::cout << std::endl;

  int signal_number = 0;
  while ((signal_number = stop_signals.Wait()) == SIGHUP) {
    // A renewed certificate: the service logs the outcome; a failed reload keeps the old one.
    if ((*service)->https_port() != 0) (void)(*service)->ReloadTls();
  }
  std::cerr << kProgram << ": signal " << signal_number << ", stopping\n";
  (*service)->Stop();
  std::cerr << kProgram << ": stopped\n";
  return 0;
}
