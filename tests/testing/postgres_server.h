#pragma once
// A throwaway PostgreSQL server for tests: initdb into a temporary directory, the server on a held
// loopback port (its Unix socket in the same directory), trust authentication for one superuser,
// durability off. Stopped (fast shutdown, then SIGKILL to its process group) and removed when the
// object goes, a failed test included. PostgreSQL refuses to run as root: as root (here and in
// CI) it runs as the `postgres` user the Debian package creates (or `nobody`), owning the directory.
// Owned by one thread; databases it creates are the callers' to use from any thread.

#include <cstdint>
#include <memory>
#include <string>

#include "common/status.h"
#include "tests/testing/child_process.h"
#include "tests/testing/port_hold.h"
#include "tests/testing/temp_dir.h"

namespace lm::testing {

class PostgresServer {
 public:
  // The directory holding initdb and postgres (Debian: /usr/lib/postgresql/<major>/bin, the
  // newest), or "" if PostgreSQL's server is not installed.
  static std::string FindBinDir();

  // Initialises a cluster and starts the server, waiting until it accepts connections.
  static Result<std::unique_ptr<PostgresServer>> Start(const std::string& bin_dir);
  ~PostgresServer();

  // Creates an empty database and returns its URI: postgresql://lessonmesh@127.0.0.1:PORT/NAME.
  Result<std::string> CreateDatabase(const std::string& name);
  std::uint16_t port() const { return hold_.port(); }

 private:
  PostgresServer() = default;
  std::string Uri(const std::string& database) const;

  TempDir dir_;
  PortHold hold_;
  ChildProcess postgres_;
};

}  // namespace lm::testing
