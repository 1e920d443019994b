#include "common/av_status.h"

extern "C" {
#include <libavutil/error.h>
}

#include <cerrno>

namespace lm::av {

std::string AvErrorString(int ret) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(ret, buf, sizeof(buf));
  return buf;
}

Status AvStatus(int ret, std::string_view call, StatusCode code) {
  if (ret >= 0) return Status::Ok();
  std::string msg(call);
  msg += ": ";
  msg += AvErrorString(ret);
  if (ret == AVERROR(EIO) || ret == AVERROR(ENOSPC)) code = StatusCode::kIo;
  if (ret == AVERROR(ENOMEM)) code = StatusCode::kInternal;
  return Status(code, std::move(msg));
}

Result<AvFlow> AvFlowOf(int ret, std::string_view call) {
  if (ret >= 0) return AvFlow::kOk;
  if (ret == AVERROR(EAGAIN)) return AvFlow::kAgain;
  if (ret == AVERROR_EOF) return AvFlow::kEof;
  return AvStatus(ret, call);
}

}  // namespace lm::av
