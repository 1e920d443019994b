#pragma once
// A service's routes as data: each route's method, path pattern, who may call it and its largest
// body. A service's router dispatches by its table, and the tests that check every route's access
// walk the same table, so a route cannot be added without being checked. Also the one matcher of
// request paths against patterns. Plain values and pure functions; any thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace lm::http {

inline constexpr std::size_t kSmallBodyLimit = 64 * 1024;  // a route that takes no large body

struct RouteInfo {
  std::string method{};              // "GET", "POST", ...
  std::string pattern{};             // "/v1/packs/{pack}"; a last segment "{name*}" takes the rest of the path
  bool is_public = false;            // no token needed
  std::vector<std::string> roles{};  // the token roles allowed; empty: any valid token
  // The {param} naming whose resource this is (a school, an upload): a token of another owner is
  // refused with 403. "" when the route belongs to no one.
  std::string owner_param{};
  std::size_t body_limit = kSmallBodyLimit;
  bool json_body = false;  // takes a JSON object: malformed JSON and wrong types are 400 naming the field
};

// Whether `path` fits `pattern`; the segments filling its {..} go to `params`, in order. Empty
// segments ("//") are skipped; "{rest*}" matches one or more segments, joined again by '/'.
bool MatchesPattern(std::string_view pattern, std::string_view path, std::vector<std::string>* params);

// The {..} names of a pattern, in order, without braces or '*' ("/v1/edges/{school}/packs" -> school).
std::vector<std::string> PatternParams(std::string_view pattern);

}  // namespace lm::http
