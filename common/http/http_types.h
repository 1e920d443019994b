#pragma once
// What an HTTP handler sees and returns: plain structs with no Beast or socket in them, so that
// routing is a function that can be tested without a server.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "common/rate_limit.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace lm::http {

// Each member has an initializer, so that `Request{.method = "HEAD", .path = p}` (tests build
// requests so) leaves the others empty without a -Wmissing-field-initializers warning.
struct Request {
  std::string method{};                           // "GET", "POST", ...
  std::string target{};                           // as received: "/v1/lessons?q=%E5%88%86"
  std::string path{};                             // percent-decoded, without the query
  std::map<std::string, std::string> query{};     // percent-decoded; last value wins
  std::map<std::string, std::string> headers{};   // names lower-cased
  std::string body{};
  std::string peer{};                             // "127.0.0.1:53211"

  // "" when absent.
  std::string Header(std::string_view lower_name) const;
  std::string Query(std::string_view name) const;
};

// A reply body that the server sends from an open file with sendfile(2), never read into memory:
// `length` bytes from `offset`. The descriptor is shared so that a Reply stays copyable.
struct FileBody {
  std::shared_ptr<const UniqueFd> fd;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  // When set, the bytes go no faster than this rate, shared with every reply that carries it.
  std::shared_ptr<RateLimit> pace;
};

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // When set, the body is these bytes of a file instead of `body` (file_reply.h makes them).
  std::optional<FileBody> file;
  // Extra headers (ETag, ...). A reply to HEAD may carry Content-Length: the length of its GET.
  std::vector<std::pair<std::string, std::string>> headers;
};

// Delivers the reply; call exactly once, from any thread.
using Responder = std::function<void(Reply)>;

// A request body taken in pieces as it arrives instead of whole in Request::body, for uploads that
// must keep what arrived when the connection is cut. A StreamRoute (http_server.h) hands one to
// the server. The server calls on_data for each piece in order, then on_end exactly once; both on
// worker threads, never two calls at once; reading waits while a piece is being taken.
struct BodyStream {
  // A non-ok Status stops the body there: on_end gets that Status, its reply is sent, and the
  // connection closes (the rest of the body is never read).
  std::function<Status(std::string_view piece)> on_data;
  // `outcome` is ok when the whole body arrived, the error on_data returned, or kCancelled when the
  // body did not arrive whole (connection cut or timed out, over the body limit, malformed). The
  // reply is sent for the first two; for kCancelled the server answers itself if it still can.
  std::function<Reply(const Status& outcome)> on_end;
};

// What a stream route makes of a request's header: take its body as a stream, or answer at once
// without reading the body (the connection then closes).
using StreamOrReply = std::variant<BodyStream, Reply>;

// 200..299 with a JSON body.
Reply JsonReply(int status, std::string json_body);

// The one mapping from a Status to an HTTP error: 400 invalid_argument / unsupported_input,
// 404 not_found, 409 already_exists, 401/403 via the codes below, 500 otherwise, with a JSON
// body {"error": message, "code": code, "field": field}.
Reply ErrorReply(const Status& status);
Reply ErrorReply(int http_status, std::string_view code, std::string_view message, std::string_view field = {});

// Sets `request`'s target as received ("/v1/lessons?q=%E5%88%86") and what handlers read of it: the
// percent-decoded path and the decoded query. False (the request is malformed) if the path's
// percent-encoding is; the server answers that with 400.
bool SetTarget(std::string_view target, Request* request);
// Splits "a=1&b=%E5%88%86" into decoded pairs; '+' is a space.
std::map<std::string, std::string> ParseQuery(std::string_view query);
// Decodes %XX escapes; false if an escape is malformed.
bool PercentDecode(std::string_view in, std::string* out, bool plus_is_space);

}  // namespace lm::http
