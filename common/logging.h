#pragma once
// One named spdlog logger per area ("transcoder", "catalog", ...), created on first use.
// Messages are an event name followed by key=value fields.

#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace lm {

std::shared_ptr<spdlog::logger> AreaLogger(const std::string& area);

}  // namespace lm
