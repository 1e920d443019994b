// The catalog's HTTP API (catalog::CatalogApi::Handle, every route) over a real SQLite store, fed
// requests as they reach a route after the server read them. The input is up to 12 requests, each
//   METHOD TARGET
//   Header: value            (any number; e.g. "Authorization: Bearer admin")
//                            (an empty line)
//   body
// separated by lines "--". Each input starts from the same store: school s1 (rural) and s2 in
// community c1, and the tokens admin, supervisor, teacher (s1), origin, edge-s1 and edge-s2 (their
// schools); pages in a small web folder (and a link from it to a file outside); three failed tokens
// from one address before 429.
// Properties: every request is answered at once (no timer, so no long poll waits), exactly once,
// with a status the API uses and never a 5xx; every error is a JSON object with a string error and
// code; every JSON reply parses; a request without a valid token gets only the public routes, 401,
// 404, 405 or 429; an edge or teacher token never gets a 2xx from an admin's or the origin's route;
// no reply carries the bytes of a file outside the pages' folder.

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <string>

#include "catalog/auth.h"
#include "catalog/catalog_api.h"
#include "catalog/sqlite_catalog_store.h"
#include "common/http/bearer.h"
#include "common/http/file_reply.h"
#include "common/http/http_types.h"
#include "common/logging.h"
#include "common/signing.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_request.h"

namespace fs = std::filesystem;
using lm::catalog::Role;
using lm::http::Reply;
using lm::http::Request;

namespace {

constexpr std::int64_t kNow = 1760000000;  // 2025-10-09
constexpr char kSecret[] = "SECRET-outside-the-pages";

struct Fixture {
  fs::path dir;
  fs::path template_db;
  fs::path db;
  fs::path web_dir;
  std::unique_ptr<lm::SigningKey> key;
};

// The store every input starts from, made once and copied for each input.
const Fixture& TheFixture() {
  static const Fixture fixture = [] {
    Fixture f;
    f.dir = lm::fuzz::TempDir("catalog");
    f.template_db = f.dir / "template.db";
    f.db = f.dir / "catalog.db";
    auto key = lm::SigningKey::Generate();
    FUZZ_CHECK(key.ok(), "a signing key");
    f.key = std::make_unique<lm::SigningKey>(std::move(*key));
    auto store = lm::catalog::SqliteCatalogStore::Open(f.template_db.string());
    FUZZ_CHECK(store.ok(), "the store opens");
    auto& s = **store;
    FUZZ_CHECK(s.PutSchool({"s1", "山里小学", "广东", "广州", "从化", "rural", 120}).ok(), "school s1");
    FUZZ_CHECK(s.PutSchool({"s2", "城里小学", "广东", "广州", "天河", "urban", 1500}).ok(), "school s2");
    FUZZ_CHECK(s.PutCommunity({"c1", "从化教共体", "fusion", "county", "s2", {"s1", "s2"}}).ok(), "community c1");
    const std::pair<const char*, lm::catalog::TokenInfo> tokens[] = {
        {"admin", {Role::kAdmin, ""}},         {"supervisor", {Role::kSupervisor, ""}},
        {"teacher", {Role::kTeacher, "s1"}},   {"origin", {Role::kOrigin, ""}},
        {"edge-s1", {Role::kEdge, "s1"}},      {"edge-s2", {Role::kEdge, "s2"}}};
    for (auto [token, info] : tokens) {
      info.label = token;
      info.created_at = kNow - 86400;
      FUZZ_CHECK(s.PutToken(lm::catalog::TokenHash(token), info).ok(), "a token");
    }
    // The pages the catalog serves (/admin, /dashboard, /web/...), small, and beside them a file
    // no reply may show, even through a link from the pages' folder.
    f.web_dir = f.dir / "web";
    fs::create_directories(f.web_dir);
    for (const auto& [path, text] : {std::pair{f.web_dir / "admin.html", "<!doctype html><title>页</title>\n"},
                                     std::pair{f.web_dir / "dashboard.html", "<!doctype html>\n"},
                                     std::pair{f.web_dir / "admin.js", "export {};\n"},
                                     std::pair{f.dir / "secret.txt", kSecret}}) {
      FILE* file = std::fopen(path.c_str(), "w");
      FUZZ_CHECK(file != nullptr && std::fputs(text, file) >= 0 && std::fclose(file) == 0, "a file is written");
    }
    fs::create_symlink(f.dir / "secret.txt", f.web_dir / "link.js");
    return f;  // the store closes here: its WAL is folded into template.db
  }();
  return fixture;
}

struct Parsed {
  Request request;
  std::string token;
};

bool IsPublic(const Request& r) {
  std::string_view path = r.path;  // a trailing "/" names the same route
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path == "/healthz" || path == "/metrics" || path == "/v1/keys" || path == "/admin" || path == "/dashboard" ||
         path.rfind("/web/", 0) == 0;
}

// Routes only an admin (or, reading, a supervisor) may use.
bool IsAdminsRoute(const Request& r) {
  if (r.method == "POST" && (r.path == "/v1/schools" || r.path == "/v1/communities" || r.path == "/v1/packs")) {
    return true;
  }
  if (r.method == "PUT" && r.path.rfind("/v1/packs/", 0) == 0) return true;
  if (r.method == "POST" && (r.path == "/v1/whois" || r.path.rfind("/v1/tokens/", 0) == 0)) return true;
  return r.method == "GET" && (r.path == "/v1/schools" || r.path == "/v1/communities" || r.path == "/v1/packs" ||
                               r.path == "/v1/tokens" ||
                               r.path == "/v1/edges" || r.path.rfind("/v1/reports/", 0) == 0);
}

void CheckReply(const Parsed& p, const Reply& reply) {
  static const std::set<int> kStatuses = {200, 201, 204, 206, 304, 400, 401, 403, 404, 405, 409, 413, 416, 429};
  FUZZ_CHECK(kStatuses.count(reply.status) > 0, "a status the API uses, never a server error");
  const bool json_body = reply.content_type == "application/json";
  if (reply.status >= 400) {
    FUZZ_CHECK(json_body, "errors are JSON");
    const auto j = nlohmann::json::parse(reply.body, nullptr, false);
    FUZZ_CHECK(j.is_object() && j.contains("error") && j["error"].is_string() && j.contains("code") &&
                   j["code"].is_string(),
               "an error is {\"error\", \"code\"}");
  } else if (json_body && reply.status != 304 && reply.status != 204) {
    FUZZ_CHECK(!nlohmann::json::parse(reply.body, nullptr, false).is_discarded(), "a JSON reply parses");
  }
  auto bytes = lm::http::ReplyBytes(reply);
  FUZZ_CHECK(bytes.ok() && bytes->find(kSecret) == std::string::npos, "no reply shows a file outside the pages");
  static const std::set<std::string> kTokens = {"admin", "supervisor", "teacher", "origin", "edge-s1", "edge-s2"};
  const bool valid_token = kTokens.count(p.token) > 0;
  if (!valid_token && !IsPublic(p.request)) {
    FUZZ_CHECK(reply.status == 401 || reply.status == 404 || reply.status == 405 || reply.status == 429,
               "without a valid token only public routes answer");
  }
  if ((p.token == "teacher" || p.token.rfind("edge-", 0) == 0) && IsAdminsRoute(p.request)) {
    FUZZ_CHECK(reply.status >= 400, "edges and teachers never use an admin's route");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  lm::AreaLogger("catalog")->set_level(spdlog::level::off);
  (void)TheFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Fixture& f = TheFixture();
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(f.db.string() + suffix);
  fs::copy_file(f.template_db, f.db);
  auto store = lm::catalog::SqliteCatalogStore::Open(f.db.string());
  FUZZ_CHECK(store.ok(), "the store opens");
  lm::catalog::CatalogApiOptions options;
  options.max_wait_seconds = 60;
  options.now = [] { return kNow; };
  options.web_dir = f.web_dir.string();
  // A few failed tokens from one address are enough to reach 429 within one input.
  options.failed_auth.failures_per_minute = 3;
  options.failed_auth.clock = [] { return std::chrono::steady_clock::time_point(std::chrono::hours(1)); };
  lm::catalog::CatalogApi api(**store, *f.key, options);

  for (const std::string_view text : lm::fuzz::SplitParts(lm::fuzz::Text(data, size), "--", 12)) {
    Parsed p;
    if (!lm::fuzz::ParseRequest(text, {}, "10.1.2.3:40000", &p.request)) continue;
    p.token = lm::http::BearerToken(p.request);  // as the API reads it ("Bearer admin  " is admin)
    if (p.request.body.size() > lm::catalog::CatalogApi::BodyLimit(p.request.method, p.request.target)) continue;
    int replies = 0;
    Reply reply;
    api.Handle(p.request, [&](Reply r) {
      ++replies;
      reply = std::move(r);
    });
    FUZZ_CHECK(replies == 1, "every request is answered once, at once");
    if (lm::fuzz::Tracing()) std::fprintf(stderr, "%s %s -> %d %s\n", p.request.method.c_str(), p.request.target.c_str(), reply.status, reply.body.substr(0, 160).c_str());
    CheckReply(p, reply);
  }
  return 0;
}
