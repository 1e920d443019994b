// The one matcher of request paths against route patterns: literal segments, {params}, a last
// {rest*}, and nothing else.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/http/route_table.h"

namespace lm::http {
namespace {

using Params = std::vector<std::string>;

TEST(RouteTableTest, PathsFitPatternsSegmentBySegment) {
  Params p;
  EXPECT_TRUE(MatchesPattern("/v1/packs/{id}/versions/{version}", "/v1/packs/3/versions/2", &p));
  EXPECT_EQ(p, (Params{"3", "2"}));
  EXPECT_TRUE(MatchesPattern("/v1/schools", "/v1/schools/", &p));  // a trailing slash is no segment
  EXPECT_FALSE(MatchesPattern("/v1/keys", "//v1/keys", &p));  // an empty segment inside is no route's
  EXPECT_FALSE(MatchesPattern("/v1/keys", "/v1//keys", &p));
  EXPECT_FALSE(MatchesPattern("/v1/schools/{id}", "/v1/schools//", &p));
  EXPECT_EQ(p, Params{});
  EXPECT_TRUE(MatchesPattern("/", "/", &p));
  EXPECT_FALSE(MatchesPattern("/", "/x", &p));
  EXPECT_FALSE(MatchesPattern("/", "", &p)) << "the path of a target \"?x\"";
  EXPECT_FALSE(MatchesPattern("/healthz", "healthz", &p)) << "a path is absolute";
  EXPECT_FALSE(MatchesPattern("/v1/packs/{id}", "/v1/packs", &p));
  EXPECT_FALSE(MatchesPattern("/v1/packs/{id}", "/v1/packs/3/versions", &p));
  EXPECT_FALSE(MatchesPattern("/v1/packs/{id}", "/v1/pack/3", &p));
  EXPECT_EQ(p, Params{}) << "a failed match leaves no params";
  // A decoded "../" is more segments, never one parameter.
  EXPECT_FALSE(MatchesPattern("/lessons/{id}/{file}", "/lessons/abc/../../state.db", &p));
  EXPECT_TRUE(MatchesPattern("/lessons/{id}/{file}", "/lessons/../state.db", &p));
  EXPECT_EQ(p, (Params{"..", "state.db"}));
}

TEST(RouteTableTest, ARestParameterTakesOneOrMoreSegments) {
  Params p;
  EXPECT_TRUE(MatchesPattern("/web/{file*}", "/web/app.js", &p));
  EXPECT_EQ(p, Params{"app.js"});
  EXPECT_TRUE(MatchesPattern("/web/{file*}", "/web/chunks/a.js", &p));
  EXPECT_EQ(p, Params{"chunks/a.js"});
  EXPECT_FALSE(MatchesPattern("/web/{file*}", "/web/", &p));
  EXPECT_FALSE(MatchesPattern("/web/{file*}", "/webx/a.js", &p));
}

TEST(RouteTableTest, PatternParamsAreNamedInOrder) {
  EXPECT_EQ(PatternParams("/v1/edges/{school}/packs"), Params{"school"});
  EXPECT_EQ(PatternParams("/bundles/{lesson}/{file}"), (Params{"lesson", "file"}));
  EXPECT_EQ(PatternParams("/web/{file*}"), Params{"file"});
  EXPECT_EQ(PatternParams("/healthz"), Params{});
}

}  // namespace
}  // namespace lm::http
