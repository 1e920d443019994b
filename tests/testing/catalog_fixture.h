#pragma once
// A real catalog (SQLite store, signing key, HTTP server) on loopback for tests of the services
// that talk to it. It can be stopped and started again on the same port and data, to play a
// catalog that is down for a while: the port is held (PortHold) from the first Start to the end,
// so while it is down connections are refused and no other test can take the port. Owned and
// called by one test thread.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "catalog/model.h"
#include "tests/testing/port_hold.h"

namespace lm::testing {

class CatalogFixture {
 public:
  explicit CatalogFixture(std::filesystem::path data_dir);
  ~CatalogFixture();

  // Starts serving (again, on the same held port after a Stop); false on failure.
  bool Start();
  void Stop();
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Issues a token with `role` for `school` and returns it.
  std::string Token(catalog::Role role, const std::string& school = "");

 private:
  struct Running;
  std::filesystem::path data_dir_;
  PortHold hold_;
  std::uint16_t port_ = 0;
  std::unique_ptr<Running> running_;
};

}  // namespace lm::testing
