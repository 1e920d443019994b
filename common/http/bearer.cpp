#include "common/http/bearer.h"

namespace lm::http {

namespace {
constexpr std::string_view kPrefix = "Bearer ";
constexpr std::size_t kMaxTokenBytes = 512;
constexpr char kRetryAfterSeconds[] = "30";
}  // namespace

std::string BearerToken(const Request& request) {
  const std::string header = request.Header("authorization");
  std::string_view h = header;
  if (h.size() <= kPrefix.size() || h.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view t = h.substr(kPrefix.size());
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty() || t.size() > kMaxTokenBytes) return "";
  return std::string(t);
}

Reply Unauthenticated(std::string_view message) { return ErrorReply(401, "unauthenticated", message); }

Reply Forbidden(std::string_view message) { return ErrorReply(403, "forbidden", message); }

Reply AuthFailureReply(const Status& status, std::string_view unauthenticated_message) {
  switch (status.code()) {
    case StatusCode::kNotFound:
      return Unauthenticated(unauthenticated_message);
    case StatusCode::kIo: {  // the token could not be checked: try again later
      Reply r = ErrorReply(503, "unavailable", "cannot check the token now: " + status.message());
      r.headers.push_back({"Retry-After", kRetryAfterSeconds});
      return r;
    }
    default:
      return Forbidden(status.message());
  }
}

}  // namespace lm::http
