#pragma once
// Checks every route of a service over HTTP, walking the route table its router dispatches by, so
// a new route cannot be left out: without a token, 401; with a token of each role the route does
// not allow, 403; with a token of another owner (another school's edge, another teacher), 403;
// GET and HEAD with each allowed role's token (the owner's, on a route of one owner) get past the
// check; each path parameter replaced by path
// traversal (raw, percent-encoded, double-encoded, backslashes, NUL) is 400 or 404 and never
// shows a planted file from outside the service's roots; a body one byte over the route's limit
// is 413; for a route that takes JSON, malformed JSON and a body that is not an object are 400
// naming "body", and each top-level field of a valid sample body given a value of another type is
// 400 naming that field. Failures are gtest EXPECTs naming the route. Called from a test's thread.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/http/route_table.h"

namespace lm::testing {

struct RouteAccessSpec {
  std::uint16_t port = 0;
  std::vector<http::RouteInfo> routes;
  // Every role the service knows; a route's other roles must get 403.
  std::vector<std::string> all_roles;
  // A token of `role` that owns the example values of `params` (the school, the upload).
  std::function<std::string(const std::string& role)> token_of;
  // A token of an allowed role of `route` that belongs to another owner ("" if the route has none).
  std::function<std::string(const http::RouteInfo& route)> other_owner_token;
  // A token the route allows, owning the example values: for traversal, body and JSON checks.
  std::function<std::string(const http::RouteInfo& route)> allowed_token;
  // An example value for each path parameter name (every name in the table must have one).
  std::map<std::string, std::string> params;
  // A valid body for each JSON route, by "METHOD pattern" (every JSON route must have one).
  std::map<std::string, nlohmann::json> sample_bodies;
  // Headers every request to a route carries besides Authorization (tus: Tus-Resumable).
  std::function<std::map<std::string, std::string>(const http::RouteInfo& route)> headers;
  // What no reply may contain: the contents of files planted just outside the service's roots.
  std::vector<std::string> planted_secrets;
};

// The path of `route` with each {param} filled from `values` (a missing one fails the test).
std::string FillPattern(const http::RouteInfo& route, const std::map<std::string, std::string>& values);

// Runs every check on every route of `spec.routes`.
void CheckEveryRoute(const RouteAccessSpec& spec);

}  // namespace lm::testing
