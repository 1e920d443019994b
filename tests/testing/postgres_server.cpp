#include "tests/testing/postgres_server.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "common/postgres_db.h"
#include "tests/testing/wait_for.h"

namespace lm::testing {

namespace fs = std::filesystem;

namespace {

constexpr char kSuperuser[] = "lessonmesh";

// The user to run PostgreSQL as when we are root: its uid and gid, or nullopt if none fits.
struct RunAs {
  std::string name;
  uid_t uid;
  gid_t gid;
};

std::optional<RunAs> UnprivilegedUser() {
  for (const char* name : {"postgres", "nobody"}) {
    if (const passwd* pw = ::getpwnam(name)) return RunAs{name, pw->pw_uid, pw->pw_gid};
  }
  return std::nullopt;
}

// `argv` run as `user` (setpriv, from util-linux) when we are root; as is otherwise. If the test
// program dies without stopping it (a crash, SIGKILL), the server gets SIGQUIT, its immediate
// shutdown, which takes its backends with it.
std::vector<std::string> AsUser(const std::optional<RunAs>& user, std::vector<std::string> argv) {
  if (!user) return argv;
  std::vector<std::string> out = {"setpriv", "--reuid=" + std::to_string(user->uid),
                                  "--regid=" + std::to_string(user->gid), "--clear-groups", "--pdeathsig=QUIT", "--"};
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

Status ChownTree(const fs::path& path, const RunAs& user) {
  if (::chown(path.c_str(), user.uid, user.gid) != 0) return ErrnoStatus("chown " + path.string(), errno);
  return Status::Ok();
}

}  // namespace

std::string PostgresServer::FindBinDir() {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    if (fs::exists(entry.path() / "bin" / "initdb") && fs::exists(entry.path() / "bin" / "postgres")) {
      found.push_back(entry.path() / "bin");
    }
  }
  if (found.empty()) return "";
  // Majors as numbers: 9.6 < 15 < 16.
  std::sort(found.begin(), found.end(), [](const fs::path& a, const fs::path& b) {
    return std::stod(a.parent_path().filename().string()) < std::stod(b.parent_path().filename().string());
  });
  return found.back().string();
}

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start(const std::string& bin_dir) {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  if (server->port() == 0) return IoError("no free loopback port");
  const fs::path dir = server->dir_.path();
  const std::optional<RunAs> user = ::geteuid() == 0 ? UnprivilegedUser() : std::nullopt;
  if (::geteuid() == 0 && !user) return Internal("running as root and no postgres or nobody user to run PostgreSQL as");
  if (user) RETURN_IF_ERROR(ChownTree(dir, *user));
  // The temporary directory is reachable only by its owner: the user's own tree below it.
  const fs::path data = dir / "data";

  ChildProcess initdb;
  std::string error = initdb.Start(AsUser(user, {bin_dir + "/initdb", "-D", data.string(), "-U", kSuperuser,
                                                 "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync",
                                                 "--no-instructions"}),
                                   dir / "initdb.out", dir / "initdb.err");
  if (!error.empty()) return IoError("initdb: " + error);
  const std::optional<int> initdb_exit = initdb.Wait(60);
  if (initdb_exit != 0) return IoError("initdb failed: " + initdb.err());

  const std::string port = std::to_string(server->port());
  error = server->postgres_.Start(
      AsUser(user, {bin_dir + "/postgres", "-D", data.string(), "-p", port, "-k", dir.string(), "-c",
                    "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c",
                    "full_page_writes=off", "-c", "max_connections=300", "-c", "shared_buffers=32MB"}),
      dir / "postgres.out", dir / "postgres.err");
  if (!error.empty()) return IoError("postgres: " + error);
  const std::string conninfo = server->Uri("postgres") + "?connect_timeout=2";
  const bool ready = WaitFor(
      [&] { return PQping(conninfo.c_str()) == PQPING_OK || server->postgres_.Wait(0).has_value(); }, 60);
  if (!ready || server->postgres_.Wait(0).has_value()) return IoError("postgres did not start: " + server->postgres_.err());
  return server;
}

PostgresServer::~PostgresServer() {
  // Fast shutdown: clients disconnected, the server and its children gone within seconds.
  postgres_.Signal(SIGINT);
  if (!postgres_.Wait(30)) postgres_.Stop(0);
}

std::string PostgresServer::Uri(const std::string& database) const {
  return std::string("postgresql://") + kSuperuser + "@127.0.0.1:" + std::to_string(port()) + "/" + database;
}

Result<std::string> PostgresServer::CreateDatabase(const std::string& name) {
  ASSIGN_OR_RETURN(pg::ConnPtr conn, pg::Connect(Uri("postgres")));
  RETURN_IF_ERROR(pg::ExecScript(conn.get(), "CREATE DATABASE \"" + name + "\""));
  return Uri(name);
}

}  // namespace lm::testing
