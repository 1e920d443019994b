#pragma once
// lm::Status and lm::Result<T>: the one error type inside LessonMesh libraries.
// A Status is a code plus a message (and, for bad input, the field it concerns).
// Result<T> holds a value or a non-ok Status, shaped like std::expected.
// Values; safe to copy between threads.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lm {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller's request or options are wrong
  kUnsupportedInput,  // the input cannot be read or is not something we handle
  kNotFound,
  kAlreadyExists,
  kIo,                // the disk or a stream failed
  kCancelled,
  kInternal,          // a library failed in a way the input does not explain
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::string& field() const { return field_; }

  // "unsupported_input: no audio or video stream"
  std::string ToString() const;

  // Returns a copy whose message is "context: message".
  Status WithContext(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string msg, std::string field = {}) {
  return {StatusCode::kInvalidArgument, std::move(msg), std::move(field)};
}
inline Status UnsupportedInput(std::string msg) { return {StatusCode::kUnsupportedInput, std::move(msg)}; }
inline Status IoError(std::string msg) { return {StatusCode::kIo, std::move(msg)}; }
inline Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }
inline Status Cancelled(std::string msg = "cancelled") { return {StatusCode::kCancelled, std::move(msg)}; }

// The exit code of every LessonMesh command for a final Status: 0 ok, 1 internal, 2 usage or
// config (bad argument), 3 bad input, 4 I/O (missing file, disk, cannot listen), 5 interrupted.
int CliExitCode(StatusCode code);

// Status from errno after a failed system call: "open /x/y: No such file or directory".
Status ErrnoStatus(std::string_view what, int err);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace lm

#define LM_CONCAT_INNER(a, b) a##b
#define LM_CONCAT(a, b) LM_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                 \
  do {                                        \
    ::lm::Status lm_status_ = (expr);         \
    if (!lm_status_.ok()) return lm_status_;  \
  } while (0)

#define LM_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define ASSIGN_OR_RETURN(lhs, expr) LM_ASSIGN_OR_RETURN_IMPL(LM_CONCAT(lm_result_, __LINE__), lhs, expr)
