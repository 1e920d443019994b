#pragma once
// A range of a lesson as teachers type it: "05:10-12:40", "310-760.5", "1:02:03-1:10:00" ([H:]MM:SS
// or seconds, with fractions). `lessonmesh clip --at` and `lessonmesh upload --chapter` take it; the
// origin reads clips' ranges with it. Pure functions.

#include <string_view>
#include <utility>

#include "common/status.h"

namespace lm {

// (start, end) in seconds. kInvalidArgument (field "at") for anything else or an end not after
// its start.
Result<std::pair<double, double>> ParseTimeRange(std::string_view text);

}  // namespace lm
