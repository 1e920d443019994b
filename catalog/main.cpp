// lessonmesh-catalog: the catalog service, and `token create` to issue bearer tokens.
// Exit codes (lm::CliExitCode): 0 ok, 1 internal error, 2 usage or config, 4 I/O (cannot listen,
// cannot open data).

#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "catalog/auth.h"
#include "catalog/catalog_config.h"
#include "catalog/catalog_service.h"
#include "common/config_keys.h"
#include "common/stop_signals.h"

namespace {

constexpr char kProgram[] = "lessonmesh-catalog";

int Fail(const lm::Status& st) {
  std::cerr << kProgram << ": " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

struct TokenRequest {
  std::string role;
  std::string school;
  std::string label;
};

// `token create`: prints the new token once.
int CreateToken(const lm::catalog::CatalogConfig& config, const TokenRequest& request) {
  auto role = lm::catalog::ParseRole(request.role);
  if (!role) return Fail(lm::InvalidArgument("unknown role " + request.role, "role"));
  if ((*role == lm::catalog::Role::kEdge || *role == lm::catalog::Role::kTeacher) && request.school.empty()) {
    return Fail(lm::InvalidArgument("--school is required for edge and teacher tokens", "school"));
  }
  auto store = lm::catalog::OpenCatalogStore(config.data_dir);
  if (!store.ok()) return Fail(store.status());
  auto token = lm::catalog::IssueToken(**store, *role, request.school, request.label);
  if (!token.ok()) return Fail(token.status());
  std::cout << *token << "\n";
  return 0;
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
  TokenRequest token_request;
  create->add_option("--role", token_request.role, "admin | teacher | origin | edge | supervisor")->required();
  create->add_option("--school", token_request.school, "the school an edge or teacher belongs to");
  create->add_option("--label", token_request.label, "a note to recognise the token by");
  token_cmd->require_subcommand(1);
  if (auto exit_code = lm::ParseCommandLine(app, keys, argc, argv, kProgram)) return *exit_code;
  if (auto st = lm::catalog::ValidateCatalogConfig(config); !st.ok()) return Fail(st);

  if (*create) return CreateToken(config, token_request);

  lm::StopSignals stop_signals;  // before any thread starts
  auto service = lm::catalog::CatalogService::Start(config);
  if (!service.ok()) return Fail(service.status());
  std::cout << kProgram << " listening on http://" << config.listen_address << ":" << (*service)->port()
            << " data=" << config.data_dir << " public_key=" << (*service)->public_key_base64() << std::endl;

  const int signal_number = stop_signals.Wait();
  std::cerr << kProgram << ": signal " << signal_number << ", stopping\n";
  (*service)->Stop();
  std::cerr << kProgram << ": stopped\n";
  return 0;
}
