#include "catalog/catalog_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <thread>

namespace lm::catalog {

Status LoadCatalogToml(const std::string& path, CatalogConfig* c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return InvalidArgument(path + ": " + std::string(e.description()), "config");
  }
  for (const auto& [key, value] : t) {
    const std::string k(key.str());
    auto int_of = [&](int lo, int hi, int* out) -> Status {
      auto v = value.value<int64_t>();
      if (!v || *v < lo || *v > hi) {
        return InvalidArgument(path + ": " + k + " must be a number from " + std::to_string(lo) + " to " +
                                   std::to_string(hi), k);
      }
      *out = static_cast<int>(*v);
      return Status::Ok();
    };
    if (k == "listen") {
      auto v = value.value<std::string>();
      if (!v) return InvalidArgument(path + ": listen must be a string", k);
      c->listen_address = *v;
    } else if (k == "port") {
      int port = 0;
      RETURN_IF_ERROR(int_of(0, 65535, &port));
      c->port = static_cast<std::uint16_t>(port);
    } else if (k == "data_dir") {
      auto v = value.value<std::string>();
      if (!v) return InvalidArgument(path + ": data_dir must be a string", k);
      c->data_dir = *v;
    } else if (k == "worker_threads") {
      RETURN_IF_ERROR(int_of(0, 256, &c->worker_threads));
    } else if (k == "read_timeout_ms") {
      RETURN_IF_ERROR(int_of(100, 3600000, &c->read_timeout_ms));
    } else if (k == "idle_timeout_ms") {
      RETURN_IF_ERROR(int_of(100, 3600000, &c->idle_timeout_ms));
    } else if (k == "max_wait_seconds") {
      RETURN_IF_ERROR(int_of(0, 3600, &c->max_wait_seconds));
    } else {
      return InvalidArgument(path + ": unknown key " + k, k);
    }
  }
  return Status::Ok();
}

int WorkerThreads(const CatalogConfig& c) {
  if (c.worker_threads > 0) return c.worker_threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Status ValidateCatalogConfig(const CatalogConfig& c) {
  if (c.data_dir.empty()) return InvalidArgument("data_dir must not be empty", "data_dir");
  if (c.worker_threads < 0) return InvalidArgument("worker_threads must be 0 (one per core) or more", "worker_threads");
  return Status::Ok();
}

}  // namespace lm::catalog
