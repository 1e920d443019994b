// Every route the catalog's router has, from its own table (CatalogApi::RouteTable): no token is
// 401; each role the route does not allow is 403; another school's edge is 403 on a school's
// routes; allowed reads get through; path traversal in every path parameter is 400 or 404 and
// never shows the file planted beside the pages; a body one byte over the route's limit is 413;
// malformed JSON and each field of the wrong type are 400 naming the field.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/catalog/catalog_api_fixture.h"
#include "tests/testing/route_access.h"

namespace lm::catalog {
namespace {

using json = nlohmann::json;

class CatalogRouteAccessTest : public CatalogApiFixture {};
INSTANTIATE_TEST_SUITE_P(Backends, CatalogRouteAccessTest, testing::kBothBackends, testing::BackendName);

TEST_P(CatalogRouteAccessTest, EveryRouteChecksWhoCallsAndWhatComesIn) {
  MakeSchools();
  const std::string lesson = RegisterDocument("分数的初步认识");
  const json pack = {{"title", "三年级数学"},
                     {"description", "第三单元"},
                     {"rendition_policy", "low"},
                     {"items", {{{"lesson_id", lesson}, {"needed_by", "2026-12-01"}}}},
                     {"targets", {{"schools", {"tianhe-3"}}}}};
  ASSERT_EQ(Call("POST", "/v1/packs", admin_, pack).status, 201);
  const IssuedToken spare = Issue(Role::kTeacher, "tianhe-3");  // what the revoke route is walked with

  // One token of each role; edges and teachers of tianhe-3, the school the example paths name.
  std::map<std::string, std::string> tokens = {{"admin", admin_}, {"origin", origin_}};
  for (Role role : {Role::kTeacher, Role::kEdge, Role::kSupervisor}) {
    tokens[RoleName(role)] = Issue(role, role == Role::kSupervisor ? "" : "tianhe-3").token;
  }
  const std::string other_school_edge = Issue(Role::kEdge, "conghua-lx").token;

  testing::RouteAccessSpec spec;
  spec.port = server_->port();
  spec.routes = CatalogApi::RouteTable();
  spec.all_roles = {"admin", "teacher", "origin", "edge", "supervisor"};
  spec.token_of = [&](const std::string& role) { return tokens.at(role); };
  spec.other_owner_token = [&](const http::RouteInfo&) { return other_school_edge; };
  spec.allowed_token = [&](const http::RouteInfo& r) {
    if (r.roles.empty() || std::find(r.roles.begin(), r.roles.end(), "admin") != r.roles.end()) return admin_;
    return tokens.at(r.roles.front());
  };
  spec.params = {{"school", "tianhe-3"},     {"community", "th-ch-1"}, {"lesson", lesson}, {"pack", "1"},
                 {"version", "1"},           {"token", std::to_string(spare.info.id)}, {"file", "app.js"}};
  spec.sample_bodies = {
      {"POST /v1/whois", {{"token", spare.token}}},
      {"POST /v1/schools",
       {{"id", "zengcheng-1"}, {"name", "增城区第一小学"}, {"province", "广东省"}, {"city", "广州市"},
        {"county", "增城区"}, {"kind", "rural"}, {"pupils", 300}}},
      {"POST /v1/communities",
       {{"id", "zc-1"}, {"name", "增城教联体"}, {"model", "collaboration"}, {"level", "county"},
        {"core_school", "tianhe-3"}, {"members", {"conghua-lx"}}}},
      {"POST /v1/lessons", LessonBody("10以内的加法")},
      {"POST /v1/packs", pack},
      {"PUT /v1/packs/{pack}", pack},
      {"POST /v1/edges/{school}/report",
       {{"report_id", "r-1"},
        {"free_bytes", 1000000},
        {"inventory", {{{"lesson_id", lesson}, {"state", "complete"}, {"bytes", 100}}}},
        {"plays", {{{"lesson_id", lesson}, {"started_at", now_.load()}, {"seconds", 60}, {"kind", "start"}}}}}},
  };
  spec.planted_secrets = {kPlantedSecret};
  testing::CheckEveryRoute(spec);
}

}  // namespace
}  // namespace lm::catalog
