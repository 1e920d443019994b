#pragma once
// Maps libav* return codes to lm::Status, once, for every caller.
// AVERROR(EAGAIN) and AVERROR_EOF are flow, not errors: see AvFlow.

#include <string>
#include <string_view>

#include "common/status.h"

namespace lm::av {

// "avcodec_send_packet: Invalid data found when processing input"
std::string AvErrorString(int ret);

// Ok for ret >= 0, otherwise a Status naming the call. `code` is used for the failure.
Status AvStatus(int ret, std::string_view call, StatusCode code = StatusCode::kInternal);

enum class AvFlow { kOk, kAgain, kEof };

// For send/receive calls: kOk, kAgain (EAGAIN), kEof (AVERROR_EOF), or an error Status.
Result<AvFlow> AvFlowOf(int ret, std::string_view call);

}  // namespace lm::av
