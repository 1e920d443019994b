// lessonmesh-catalog: the catalog service, and `token create` to issue bearer tokens.
// Exit codes (lm::CliExitCode): 0 ok, 1 internal error, 2 usage or config, 4 I/O (cannot listen,
// cannot open data).

#include <pthread.h>
#include <signal.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <CLI/CLI.hpp>

#include "catalog/auth.h"
#include "catalog/catalog_config.h"
#include "catalog/catalog_service.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/atomic_file.h"
#include "common/http/http_server.h"
#include "common/signing.h"

namespace {


int Fail(const lm::Status& st) {
  std::cerr << "lessonmesh-catalog: " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

lm::Result<std::unique_ptr<lm::catalog::SqliteCatalogStore>> OpenStore(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec) return lm::IoError("create " + data_dir + ": " + ec.message());
  return lm::catalog::SqliteCatalogStore::Open((std::filesystem::path(data_dir) / "catalog.db").string());
}

// Makes a token, stores its hash, returns the token itself (shown once).
lm::Result<std::string> IssueToken(lm::catalog::CatalogStore& store, lm::catalog::Role role,
                                   const std::string& school, const std::string& label) {
  ASSIGN_OR_RETURN(std::string token, lm::catalog::NewToken());
  RETURN_IF_ERROR(store.PutToken(lm::catalog::TokenHash(token), {role, school}, label));
  return token;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"LessonMesh catalog: schools, communities, lessons, signed resource packs, reports"};
  std::string config_path;
  lm::catalog::CatalogConfig config;
  app.add_option("--config", config_path, "TOML settings file");
  auto* listen = app.add_option("--listen", config.listen_address, "listen address");
  auto* port = app.add_option("--port", config.port, "listen port (0 = any free port)");
  auto* data = app.add_option("--data-dir", config.data_dir, "data directory");
  auto* workers = app.add_option("--worker-threads", config.worker_threads, "request handler threads");
  auto* wait = app.add_option("--max-wait-seconds", config.max_wait_seconds, "longest edge long poll");

  auto* token_cmd = app.add_subcommand("token", "manage bearer tokens");
  auto* create = token_cmd->add_subcommand("create", "issue a new token and print it once");
  std::string role_name;
  std::string school;
  std::string label;
  create->add_option("--role", role_name, "admin | teacher | origin | edge | supervisor")->required();
  create->add_option("--school", school, "the school an edge or teacher belongs to");
  create->add_option("--label", label, "a note to recognise the token by");
  token_cmd->require_subcommand(1);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lessonmesh-catalog: " << e.what() << "\n";
    return 2;
  }
  if (!config_path.empty()) {
    // The file first, then the flags that were given on top.
    lm::catalog::CatalogConfig from_file;
    if (auto st = lm::catalog::LoadCatalogToml(config_path, &from_file); !st.ok()) return Fail(st);
    if (!*listen) config.listen_address = from_file.listen_address;
    if (!*port) config.port = from_file.port;
    if (!*data) config.data_dir = from_file.data_dir;
    if (!*workers) config.worker_threads = from_file.worker_threads;
    if (!*wait) config.max_wait_seconds = from_file.max_wait_seconds;
    config.read_timeout_ms = from_file.read_timeout_ms;
    config.idle_timeout_ms = from_file.idle_timeout_ms;
  }
  if (auto st = lm::catalog::ValidateCatalogConfig(config); !st.ok()) return Fail(st);

  // SIGINT/SIGTERM are taken by sigwait below; blocked here, before any thread starts, so that
  // every thread inherits the mask and none is interrupted.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto store = OpenStore(config.data_dir);
  if (!store.ok()) return Fail(store.status());

  if (*create) {
    auto role = lm::catalog::ParseRole(role_name);
    if (!role) return Fail(lm::InvalidArgument("unknown role " + role_name, "role"));
    if ((*role == lm::catalog::Role::kEdge || *role == lm::catalog::Role::kTeacher) && school.empty()) {
      return Fail(lm::InvalidArgument("--school is required for edge and teacher tokens", "school"));
    }
    auto token = IssueToken(**store, *role, school, label);
    if (!token.ok()) return Fail(token.status());
    std::cout << *token << "\n";
    return 0;
  }

  auto key = lm::SigningKey::LoadOrCreate(std::filesystem::path(config.data_dir) / "pack-signing.key");
  if (!key.ok()) return Fail(key.status());

  // First start: an admin token, written where only the operator can read it.
  auto has_admin = (*store)->HasAdminToken();
  if (!has_admin.ok()) return Fail(has_admin.status());
  if (!*has_admin) {
    auto token = IssueToken(**store, lm::catalog::Role::kAdmin, "", "bootstrap");
    if (!token.ok()) return Fail(token.status());
    const auto path = std::filesystem::path(config.data_dir) / "admin.token";
    if (auto st = lm::WriteFileAtomically(path, *token + "\n", 0600); !st.ok()) return Fail(st);
    std::cerr << "lessonmesh-catalog: first start: admin token written to " << path.string() << "\n";
  }

  lm::catalog::CatalogServiceOptions service_options;
  service_options.max_wait_seconds = config.max_wait_seconds;
  lm::catalog::CatalogService service(**store, *key, service_options);
  lm::http::ServerOptions server_options;
  server_options.address = config.listen_address;
  server_options.port = config.port;
  server_options.worker_threads = lm::catalog::WorkerThreads(config);
  server_options.read_timeout_ms = config.read_timeout_ms;
  server_options.idle_timeout_ms = config.idle_timeout_ms;
  auto server = lm::http::HttpServer::Start(
      server_options, [&](lm::http::Request r, lm::http::Responder respond) { service.Handle(std::move(r), respond); },
      &lm::catalog::CatalogService::BodyLimit);
  if (!server.ok()) return Fail(server.status());
  service.SetRunAfter([s = server->get()](std::chrono::milliseconds d, std::function<void()> fn) {
    s->RunAfter(d, std::move(fn));
  });
  std::cout << "lessonmesh-catalog listening on http://" << config.listen_address << ":" << (*server)->port()
            << " data=" << config.data_dir << " public_key=" << key->public_key_base64() << std::endl;

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  std::cerr << "lessonmesh-catalog: signal " << signal_number << ", stopping\n";

  service.ReleaseWaiters();
  (*server)->Stop();
  std::cerr << "lessonmesh-catalog: stopped\n";
  return 0;
}
