#include "tests/testing/route_access.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/testing/http_client.h"

namespace lm::testing {

namespace {

using nlohmann::json;

// Path traversal as one path segment: what a {param} could be given instead of an id or a name.
const std::vector<std::string>& TraversalValues() {
  static const std::vector<std::string> kValues = {
      "..",
      "%2e%2e",
      "..%2f..%2f..%2fsecret.txt",
      "%2e%2e%2f%2e%2e%2fsecret.txt",
      "..%5c..%5csecret.txt",
      "%252e%252e%252fsecret.txt",
      "....%2f%2fsecret.txt",
      "secret.txt%00.json",
      "%2fetc%2fpasswd",
  };
  return kValues;
}

// The first segment a rest parameter can take: the traversal then goes on as more segments.
const std::vector<std::string>& RestTraversalValues() {
  static const std::vector<std::string> kValues = {"../secret.txt", "../../secret.txt", "%2e%2e/secret.txt",
                                                   "..%2fsecret.txt", "a/../../secret.txt"};
  return kValues;
}

// A value of another JSON type than `v`'s.
json OtherType(const json& v) {
  if (v.is_string()) return 12345;
  if (v.is_number()) return "12345";
  if (v.is_boolean()) return "yes";
  if (v.is_array()) return "not a list";
  if (v.is_object()) return "not an object";
  return json::array();
}

bool Has(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

class Walker {
 public:
  explicit Walker(const RouteAccessSpec& spec) : spec_(spec) {}

  void Route(const http::RouteInfo& r) {
    SCOPED_TRACE(r.method + " " + r.pattern);
    for (const std::string& name : http::PatternParams(r.pattern)) {
      ASSERT_TRUE(spec_.params.count(name)) << "no example value for {" << name << "}: add one to the test";
    }
    const std::string path = FillPattern(r, spec_.params);
    if (!r.is_public) {
      NoToken(r, path);
      WrongRoles(r, path);
      OtherOwner(r, path);
      Allowed(r, path);
    }
    Traversal(r);
    TooLarge(r, path);
    if (r.json_body) Json(r, path);
  }

 private:
  HttpResult Send(const http::RouteInfo& r, const std::string& target, const std::string& token,
                  const std::string& body = {}) {
    std::map<std::string, std::string> headers = spec_.headers ? spec_.headers(r) : std::map<std::string, std::string>{};
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    if (!body.empty() && !headers.count("Content-Type")) headers["Content-Type"] = "application/json";
    HttpResult res = HttpClient(spec_.port).Request(r.method, target, body, headers);
    for (const std::string& secret : spec_.planted_secrets) {
      EXPECT_EQ(res.body.find(secret), std::string::npos) << r.method << " " << target << " showed a planted file";
    }
    return res;
  }

  static std::string Code(const HttpResult& res) {
    const json j = json::parse(res.body, nullptr, false);
    return j.is_object() && j.contains("code") && j["code"].is_string() ? j["code"].get<std::string>() : "";
  }
  static std::string Field(const HttpResult& res) {
    const json j = json::parse(res.body, nullptr, false);
    return j.is_object() && j.contains("field") && j["field"].is_string() ? j["field"].get<std::string>() : "";
  }

  void NoToken(const http::RouteInfo& r, const std::string& path) {
    const HttpResult res = Send(r, path, "");
    EXPECT_EQ(res.status, 401) << "without a token: " << res.body;
    if (r.method != "HEAD") {
      EXPECT_FALSE(Code(res).empty()) << "a 401 says why in JSON: " << res.body;
    }
  }

  void WrongRoles(const http::RouteInfo& r, const std::string& path) {
    if (r.roles.empty()) return;
    for (const std::string& role : spec_.all_roles) {
      if (Has(r.roles, role)) continue;
      const HttpResult res = Send(r, path, spec_.token_of(role));
      EXPECT_EQ(res.status, 403) << "role " << role << ": " << res.body;
    }
  }

  void OtherOwner(const http::RouteInfo& r, const std::string& path) {
    if (r.owner_param.empty()) return;
    const std::string token = spec_.other_owner_token(r);
    ASSERT_FALSE(token.empty()) << "no token of another owner for {" << r.owner_param << "}";
    const HttpResult res = Send(r, path, token);
    EXPECT_EQ(res.status, 403) << "another owner's token: " << res.body;
  }

  // Reads with an allowed token are not refused (the check is not broader than the table): every
  // allowed role, or on a route of one owner, the owner's token.
  void Allowed(const http::RouteInfo& r, const std::string& path) {
    if (r.method != "GET" && r.method != "HEAD") return;
    std::vector<std::string> tokens;
    if (!r.owner_param.empty()) {
      tokens.push_back(spec_.allowed_token(r));
    } else {
      for (const std::string& role : r.roles.empty() ? spec_.all_roles : r.roles) tokens.push_back(spec_.token_of(role));
    }
    for (const std::string& token : tokens) {
      const HttpResult res = Send(r, path, token);
      EXPECT_TRUE(res.status != 401 && res.status != 403 && res.status != 0)
          << "an allowed caller got " << res.status << ": " << res.body;
    }
  }

  void Traversal(const http::RouteInfo& r) {
    for (const std::string& name : http::PatternParams(r.pattern)) {
      const bool rest = r.pattern.find("{" + name + "*}") != std::string::npos;
      for (const std::string& bad : rest ? RestTraversalValues() : TraversalValues()) {
        std::map<std::string, std::string> values = spec_.params;
        values[name] = bad;
        const std::string target = FillPattern(r, values);
        const HttpResult res = Send(r, target, r.is_public ? "" : spec_.allowed_token(r));
        // A route of one owner may refuse a value no caller owns before looking at it.
        const bool ok = res.status == 400 || res.status == 404 || (!r.owner_param.empty() && res.status == 403);
        EXPECT_TRUE(ok) << "{" << name << "} = " << bad << ": " << res.status << " " << res.body.substr(0, 200);
      }
    }
  }

  void TooLarge(const http::RouteInfo& r, const std::string& path) {
    const HttpResult res = Send(r, path, r.is_public ? "" : spec_.allowed_token(r), std::string(r.body_limit + 1, 'x'));
    EXPECT_EQ(res.status, 413) << "a body of " << r.body_limit + 1 << " bytes: " << res.body.substr(0, 200);
  }

  void Json(const http::RouteInfo& r, const std::string& path) {
    const std::string token = r.is_public ? "" : spec_.allowed_token(r);
    for (const std::string& bad : {std::string("{not json"), std::string("[1, 2]"), std::string("\"text\""),
                                   std::string("12")}) {
      const HttpResult res = Send(r, path, token, bad);
      EXPECT_EQ(res.status, 400) << "body " << bad << ": " << res.body;
      EXPECT_EQ(Field(res), "body") << "body " << bad << ": " << res.body;
    }
    auto sample = spec_.sample_bodies.find(r.method + " " + r.pattern);
    ASSERT_NE(sample, spec_.sample_bodies.end()) << "no sample body: add one to the test";
    for (const auto& [key, value] : sample->second.items()) {
      json body = sample->second;
      body[key] = OtherType(value);
      const HttpResult res = Send(r, path, token, body.dump());
      EXPECT_EQ(res.status, 400) << key << " = " << body[key].dump() << ": " << res.body;
      const std::string field = Field(res);
      EXPECT_TRUE(field == key || field.rfind(key + ".", 0) == 0)
          << key << " = " << body[key].dump() << " named field '" << field << "': " << res.body;
    }
  }

  const RouteAccessSpec& spec_;
};

}  // namespace

std::string FillPattern(const http::RouteInfo& route, const std::map<std::string, std::string>& values) {
  std::string out;
  std::size_t i = 0;
  const std::string& p = route.pattern;
  while (i < p.size()) {
    if (p[i] != '{') {
      out += p[i++];
      continue;
    }
    const std::size_t end = p.find('}', i);
    std::string name = p.substr(i + 1, end - i - 1);
    if (!name.empty() && name.back() == '*') name.pop_back();
    auto it = values.find(name);
    EXPECT_NE(it, values.end()) << "no value for {" << name << "} in " << p;
    if (it != values.end()) out += it->second;
    i = end + 1;
  }
  return out;
}

void CheckEveryRoute(const RouteAccessSpec& spec) {
  ASSERT_FALSE(spec.routes.empty());
  Walker walker(spec);
  for (const http::RouteInfo& r : spec.routes) walker.Route(r);
}

}  // namespace lm::testing
