#pragma once
// Bearer tokens on HTTP requests: reading "Authorization: Bearer <token>", and the one mapping
// from a failed token check to 401, 403 or 503. Every service that checks tokens uses these.
// Pure functions; any thread.

#include <string>
#include <string_view>

#include "common/http/http_types.h"
#include "common/status.h"

namespace lm::http {

// The token in "Authorization: Bearer <token>", or "" when absent or malformed. Trailing spaces
// are dropped; a token longer than 512 bytes is malformed.
std::string BearerToken(const Request& request);

// 401 unauthenticated: no token, or one nobody issued.
Reply Unauthenticated(std::string_view message);
// 403 forbidden: a known token whose role or school may not do this.
Reply Forbidden(std::string_view message);

// A failed token check: kNotFound (nobody issued the token) is 401 with `unauthenticated_message`;
// kIo (the check cannot be made now) is 503 with Retry-After; anything else is 403 with the
// status's message.
Reply AuthFailureReply(const Status& status, std::string_view unauthenticated_message);

}  // namespace lm::http
