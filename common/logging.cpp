#include "common/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace lm {

std::shared_ptr<spdlog::logger> AreaLogger(const std::string& area) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  if (auto existing = spdlog::get(area)) return existing;
  auto logger = spdlog::stderr_color_mt(area);
  return logger;
}

}  // namespace lm
