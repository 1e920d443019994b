#include "common/status.h"

#include <cstring>

namespace lm {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kUnsupportedInput: return "unsupported_input";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kAlreadyExists: return "already_exists";
    case StatusCode::kIo: return "io_error";
    case StatusCode::kCancelled: return "cancelled";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  std::string msg(context);
  msg += ": ";
  msg += message_;
  return Status(code_, std::move(msg), field_);
}

int CliExitCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 0;
    case StatusCode::kInvalidArgument: return 2;
    case StatusCode::kUnsupportedInput: return 3;
    case StatusCode::kNotFound:
    case StatusCode::kAlreadyExists:
    case StatusCode::kIo: return 4;
    case StatusCode::kCancelled: return 5;
    case StatusCode::kInternal: return 1;
  }
  return 1;
}

Status ErrnoStatus(std::string_view what, int err) {
  std::string msg(what);
  msg += ": ";
  msg += std::strerror(err);
  StatusCode code = (err == ENOENT) ? StatusCode::kNotFound : StatusCode::kIo;
  return Status(code, std::move(msg));
}

}  // namespace lm
