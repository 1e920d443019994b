// lessonmesh-catalog: the catalog service, and `token create|list|revoke` to manage bearer tokens.
// Exit codes (lm::CliExitCode): 0 ok, 1 internal error, 2 usage or config, 4 I/O (cannot listen,
// cannot open data).

#include <cstdint>
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "catalog/catalog_config.h"
#include "catalog/catalog_service.h"
#include "catalog/token_commands.h"
#include "common/config_keys.h"
#include "common/stop_signals.h"
#include "common/unix_time.h"

namespace {

constexpr char kProgram[] = "lessonmesh-catalog";

int Fail(const lm::Status& st) {
  std::cerr << kProgram << ": " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

}  // namespace

int main(int argc, char** argv) {
  lm::catalog::CatalogConfig config;
  lm::ConfigKeys keys;
  lm::catalog::DeclareCatalogKeys(&config, &keys);
  CLI::App app{"LessonMesh catalog: schools, communities, lessons, signed resource packs, reports"};
  keys.AddFlags(app);
  auto* token_cmd = app.add_subcommand("token", "manage bearer tokens");
  auto* create = token_cmd->add_subcommand("create", "issue a new token and print it once");
  lm::catalog::TokenRequest token_request;
  create->add_option("--role", token_request.role, "admin | teacher | origin | edge | supervisor")->required();
  create->add_option("--school", token_request.school, "the school an edge or teacher belongs to");
  create->add_option("--label", token_request.label, "a note to recognise the token by");
  create->add_option("--expires", token_request.expires, "when it stops working: 90d, 12h or YYYY-MM-DD (00:00 UTC)");
  auto* list = token_cmd->add_subcommand("list", "every token: id, prefix, role, school, times, state (never a token)");
  auto* revoke = token_cmd->add_subcommand("revoke", "stop a token at once (the origin within 30 s)");
  std::string revoke_id;
  revoke->add_option("ID", revoke_id, "the token's id, as `token list` shows it")->required();
  token_cmd->require_subcommand(1);
  if (auto exit_code = lm::ParseCommandLine(app, keys, argc, argv, kProgram)) return *exit_code;
  if (auto st = lm::catalog::ValidateCatalogConfig(config); !st.ok()) return Fail(st);

  if (*create || *list || *revoke) {
    lm::Status st = *create ? lm::catalog::CreateTokenCommand(config, token_request, lm::UnixNow(), std::cout)
                    : *list ? lm::catalog::ListTokensCommand(config, lm::UnixNow(), std::cout)
                            : lm::catalog::RevokeTokenCommand(config, revoke_id, lm::UnixNow(), std::cout);
    return st.ok() ? 0 : Fail(st);
  }

  lm::StopSignals stop_signals(/*take_hangup=*/true);  // before any thread starts
  auto service = lm::catalog::CatalogService::Start(config);
  if (!service.ok()) return Fail(service.status());
  std::cout << kProgram << " listening on http://" << config.listen_address << ":" << (*service)->port()
            << " data=" << config.data_dir << " public_key=" << (*service)->public_key_base64();
  if ((*service)->tls_port() != 0) {
    std::cout << " https=" << config.serving.tls_listen << ":" << (*service)->tls_port();
  }
  std::cout << std::endl;

  int signal_number = 0;
  while ((signal_number = stop_signals.Wait()) == SIGHUP) {
    // A renewed certificate: the service logs the outcome; a failed reload keeps the old one.
    if ((*service)->tls_port() != 0) (void)(*service)->ReloadTls();
  }
  std::cerr << kProgram << ": signal " << signal_number << ", stopping\n";
  (*service)->Stop();
  std::cerr << kProgram << ": stopped\n";
  return 0;
}
