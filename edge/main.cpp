// lessonmesh-edge: the school box. Follows its packs at the catalog, fetches their lessons
// peer-to-peer within the bandwidth schedule, keeps a verified cache and serves classrooms offline.
//   lessonmesh-edge --config edge.toml            run (every key is also a flag)
//   lessonmesh-edge enrol --catalog URL --token T --school ID [--out edge.toml] [--cache-dir DIR]
//                         [--ca-file CA.pem]
//   lessonmesh-edge export --config edge.toml --pack P --to DIR   a pack onto a USB drive
//   lessonmesh-edge import --config edge.toml --from DIR          packs from a USB drive
// Exit codes (lm::CliExitCode): 0 ok, 1 internal, 2 usage or config, 3 refused input (an export
// that does not verify), 4 I/O (cannot listen, disk full, a drive pulled out).

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "common/config_keys.h"
#include "common/stop_signals.h"
#include "edge/edge_config.h"
#include "edge/edge_service.h"
#include "edge/enrol.h"
#include "edge/usb_export.h"
#include "edge/usb_import.h"

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

int RunExport(const lm::edge::EdgeConfig& config, const std::string& pack, const std::string& to_dir) {
  if (lm::Status st = lm::edge::ValidateEdgeConfig(config); !st.ok()) return Fail(st);
  lm::edge::ExportOptions options;
  options.cache_dir = config.cache_dir;
  options.renditions = config.renditions;
  options.pack = pack;
  options.to_dir = to_dir;
  auto report = lm::edge::ExportPack(options);
  if (!report.ok()) return Fail(report.status());
  std::cout << "exported to " << report->pack_dir.string() << ": " << report->lessons_exported << " lessons ("
            << report->files_written << " files written, " << report->files_already_there << " already there), "
            << report->lessons_not_ready << " not ready here (torrent only)\n";
  return 0;
}

int RunImport(const lm::edge::EdgeConfig& config, const std::string& from_dir) {
  if (lm::Status st = lm::edge::ValidateEdgeConfig(config); !st.ok()) return Fail(st);
  lm::edge::ImportOptions options;
  options.cache_dir = config.cache_dir;
  options.school_id = config.school_id;
  options.catalog_key = config.catalog_key;
  options.renditions = config.renditions;
  auto quota = lm::edge::ParseByteSize(config.quota);
  auto min_free = lm::edge::ParseByteSize(config.min_free);
  if (!quota.ok()) return Fail(quota.status());
  if (!min_free.ok()) return Fail(min_free.status());
  options.quota_bytes = *quota;
  options.min_free_bytes = *min_free;
  options.from_dir = from_dir;
  auto report = lm::edge::ImportFromUsb(options);
  if (!report.ok()) return Fail(report.status());
  std::cout << "imported " << report->lessons_imported << " lessons from " << report->packs << " pack(s) ("
            << report->files_copied << " files copied, " << report->files_resumed << " from an earlier run), "
            << report->lessons_held << " already held, " << report->lessons_not_on_drive
            << " not on the drive; a running edge offers and seeds them within a minute\n";
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
  enrol_cmd->fallthrough();  // --ca-file (the key) may follow the subcommand

  std::string export_pack, export_to, import_from;
  auto* export_cmd = app.add_subcommand("export", "write a pack's signed manifest, torrents and lessons to a drive");
  export_cmd->fallthrough();  // --config and the other keys may follow the subcommand
  export_cmd->add_option("--pack", export_pack, "the pack's id (or exact title)")->required();
  export_cmd->add_option("--to", export_to, "the folder on the drive")->required();
  auto* import_cmd = app.add_subcommand("import", "take verified packs and lessons from a drive into the cache");
  import_cmd->fallthrough();
  import_cmd->add_option("--from", import_from, "the drive's folder (an export, or a folder of them)")->required();

  if (auto exit_code = lm::ParseCommandLine(app, keys, argc, argv, kProgram)) return *exit_code;
  if (enrol_cmd->parsed()) {
    enrol.ca_file = config.ca_file;  // the CAs to trust for an https catalog, written into edge.toml
    return RunEnrol(enrol);
  }
  if (export_cmd->parsed()) return RunExport(config, export_pack, export_to);
  if (import_cmd->parsed()) return RunImport(config, import_from);

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
