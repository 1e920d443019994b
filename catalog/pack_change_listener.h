#pragma once
// Hears that a pack was published through any catalog process sharing one PostgreSQL database, and
// tells its owner, so that an edge's long poll wakes wherever it is parked. The PostgreSQL store
// NOTIFYs when a pack version commits; this LISTENs on a connection of its own and waits on its
// socket on a thread of its own. If that connection drops, it connects again (at once, then every
// `retry_ms`) and then tells its owner once, since publishes may have gone unheard meanwhile.
// Owned by CatalogService: `on_change` runs on the listener's thread, one call at a time; the
// destructor stops and joins that thread promptly, an `on_change` under way finishing first.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/status.h"

namespace lm::catalog {

class PackChangeListener {
 public:
  using OnChange = std::function<void()>;
  struct Options {
    std::chrono::milliseconds retry{1000};  // between tries to connect again
  };

  // Connects to `uri` (postgresql://...) and listens before returning: a publish that commits
  // after Start returns is heard.
  static Result<std::unique_ptr<PackChangeListener>> Start(const std::string& uri, OnChange on_change,
                                                           Options options);
  static Result<std::unique_ptr<PackChangeListener>> Start(const std::string& uri, OnChange on_change) {
    return Start(uri, std::move(on_change), Options{});
  }
  ~PackChangeListener();
  PackChangeListener(const PackChangeListener&) = delete;
  PackChangeListener& operator=(const PackChangeListener&) = delete;

  // How often the connection has been made again after it dropped.
  std::int64_t reconnects() const;

 private:
  struct Impl;
  explicit PackChangeListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::catalog
