// lessonmesh-edge: the school box. Follows its packs at the catalog, fetches their lessons
// peer-to-peer within the bandwidth schedule, keeps a verified cache and serves classrooms offline.
//   lessonmesh-edge --config edge.toml            run (every key is also a flag)
//   lessonmesh-edge enrol --catalog URL --token T --school ID [--out edge.toml] [--cache-dir DIR]
// Exit codes (lm::CliExitCode): 0 ok, 1 internal, 2 usage or config, 4 I/O (cannot listen, disk).

#include <iostream>

#include <CLI/CLI.hpp>

#include "common/config_keys.h"
#include "common/stop_signals.h"
#include "edge/edge_config.h"
#include "edge/edge_service.h"
#include "edge/enrol.h"

namespace {

constexpr char kProgram[] = "lessonmesh-edge";

int Fail(const lm::Status& st) {
  std::cerr << kProgram << ": " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

int RunEnrol(const lm::edge::EnrolRequest& request) {
  auto result = lm::edge::Enrol(request);
  if (!result.ok()) return Fail(result.status());
  std::cout << "catalog key fingerprint: " << result->fingerprint << "\n"
            << "  (compare it with the one the county admin gives you; if they differ, delete "
            << request.out_path << " and ask)\n"
            << "wrote " << request.out_path << " and " << result->token_file << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  lm::edge::EdgeConfig config;
  lm::ConfigKeys keys;
  lm::edge::DeclareEdgeKeys(&config, &keys);
  CLI::App app{"LessonMesh edge: a school's lessons, fetched peer-to-peer and served to classrooms offline"};
  keys.AddFlags(app);

  lm::edge::EnrolRequest enrol;
  auto* enrol_cmd = app.add_subcommand("enrol", "pin the catalog's key and write edge.toml and the token file");
  enrol_cmd->add_option("--catalog", enrol.catalog_url, "the catalog's URL")->required();
  enrol_cmd->add_option("--token", enrol.token, "this school's edge token (from the county admin)")->required();
  enrol_cmd->add_option("--school", enrol.school_id, "this school's id")->required();
  enrol_cmd->add_option("--out", enrol.out_path, "config file to write (default edge.toml)");
  enrol_cmd->add_option("--cache-dir", enrol.cache_dir, "where lessons will be kept");

  if (auto exit_code = lm::ParseCommandLine(app, keys, argc, argv, kProgram)) return *exit_code;
  if (enrol_cmd->parsed()) return RunEnrol(enrol);

  lm::StopSignals stop_signals;  // before any thread starts
  auto service = lm::edge::EdgeService::Start(config);
  if (!service.ok()) return Fail(service.status());
  std::cout << kProgram << " school=" << config.school_id << " listening on http://" << config.listen_address << ":"
            << (*service)->http_port() << " torrent_port=" << (*service)->torrent_port()
            << " cache=" << config.cache_dir << std::endl;
  const int signal_number = stop_signals.Wait();
  std::cerr << kProgram << ": signal " << signal_number << ", stopping\n";
  (*service)->Stop();
  std::cerr << kProgram << ": stopped\n";
  return 0;
}
