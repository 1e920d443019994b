// Conditional and range requests as RFC 9110 says, one table for every service that serves files:
// the origin's web seed (/bundles), the edge's lesson files (/lessons) and the web pages' assets of
// the catalog, the origin and the edge (/web). Each case's status, bytes and headers are read from
// the real reply over HTTP; the catalog's pack feed takes an ETag list the same way.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "edge/edge_service.h"
#include "tests/edge/edge_lab.h"
#include "tests/testing/http_client.h"
#include "tests/testing/wait_for.h"

namespace lm::edge {
namespace {

using lm::testing::HttpClient;
using lm::testing::HttpResult;

struct Served {
  std::string service;
  std::uint16_t port;
  std::string target;
};

class HttpSemanticsTest : public lm::testing::EdgeLab {
 protected:
  void TearDown() override {
    if (edge_) edge_->Stop();
    EdgeLab::TearDown();
  }
  std::unique_ptr<EdgeService> edge_;
};

// Every case against one file of `size` bytes whose plain GET gave `whole` and `etag`.
void CheckFile(const Served& s, const std::string& whole, const std::string& etag) {
  const std::uint64_t n = whole.size();
  const std::string size = std::to_string(n);
  const std::string where = s.service + " " + s.target + ": ";
  auto get = [&](std::map<std::string, std::string> headers, const std::string& method = "GET") {
    return HttpClient(s.port).Request(method, s.target, "", headers);
  };
  ASSERT_GT(n, 40u) << where;

  for (const std::string& tag : {etag, "W/" + etag, "\"x\", " + etag, std::string("*")}) {
    auto r = get({{"If-None-Match", tag}});
    EXPECT_EQ(r.status, 304) << where << "If-None-Match: " << tag;
    EXPECT_TRUE(r.body.empty()) << where;
  }
  EXPECT_EQ(get({{"If-None-Match", "\"x\", \"y\""}}).status, 200) << where;

  struct Case {
    std::map<std::string, std::string> headers;
    int status;
    std::uint64_t first, last;
  };
  const std::vector<Case> cases = {
      {{{"Range", "bytes=0-0"}}, 206, 0, 0},
      {{{"Range", "bytes=-10"}}, 206, n - 10, n - 1},
      {{{"Range", "bytes=5-"}}, 206, 5, n - 1},
      {{{"Range", "bytes=0-9,10-19"}}, 206, 0, 19},
      {{{"Range", "bytes=0-0,30-39"}}, 200, 0, n - 1},
      {{{"Range", "bytes=oops"}}, 200, 0, n - 1},
      {{{"Range", "bytes=5-9"}, {"If-Range", etag}}, 206, 5, 9},
      {{{"Range", "bytes=5-9"}, {"If-Range", "\"changed\""}}, 200, 0, n - 1},
  };
  for (const Case& c : cases) {
    std::string label;
    for (const auto& [k, v] : c.headers) label += k + ": " + v + "; ";
    auto r = get(c.headers);
    EXPECT_EQ(r.status, c.status) << where << label;
    EXPECT_TRUE(r.body == whole.substr(c.first, c.last - c.first + 1)) << where << label << "bytes differ";
    if (c.status == 206) {
      EXPECT_EQ(r.Header("content-range"), "bytes " + std::to_string(c.first) + "-" + std::to_string(c.last) + "/" + size)
          << where << label;
    }
  }
  auto past = get({{"Range", "bytes=" + size + "-"}});
  EXPECT_EQ(past.status, 416) << where;
  EXPECT_EQ(past.Header("content-range"), "bytes */" + size) << where;
  auto head = get({}, "HEAD");
  EXPECT_EQ(head.status, 200) << where;
  EXPECT_EQ(head.Header("content-length"), size) << where;
  EXPECT_TRUE(head.body.empty()) << where;
}

TEST_F(HttpSemanticsTest, EveryServiceAnswersConditionalAndRangeRequestsTheSameWay) {
  const std::string id = UploadDocument(300 * 1024, 1, "分数的初步认识 课件");
  ASSERT_FALSE(id.empty());
  Publish({{id, DaysFromToday(7), ""}}, {{"communities", {"th-ch-1"}}});
  auto edge = EdgeService::Start(EdgeSettings());
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  edge_ = std::move(*edge);
  ASSERT_TRUE(lm::testing::WaitFor([&] { return lm::testing::PlayableIds(edge_->http_port()).size() == 1; },
                                   kDeadlineSeconds));

  const std::vector<Served> served = {
      {"origin", origin_port(), "/bundles/" + id + "/document.pdf"},
      {"edge", edge_->http_port(), "/lessons/" + id + "/document.pdf"},
      {"catalog", catalog_.port(), "/web/style.css"},
      {"origin", origin_port(), "/web/style.css"},
      {"edge", edge_->http_port(), "/web/style.css"},
  };
  for (const Served& s : served) {
    const HttpResult whole = HttpClient(s.port).Request("GET", s.target);
    ASSERT_EQ(whole.status, 200) << s.service << " " << s.target << ": " << whole.body;
    ASSERT_FALSE(whole.Header("etag").empty()) << s.service << " " << s.target;
    EXPECT_EQ(whole.Header("accept-ranges"), "bytes") << s.service << " " << s.target;
    CheckFile(s, whole.body, whole.Header("etag"));
  }

  // The catalog's pack feed: an If-None-Match list naming the current ETag is "not modified".
  const std::string feed = "/v1/edges/conghua-lx/packs";
  const std::map<std::string, std::string> auth = {{"Authorization", "Bearer " + edge_token_}};
  const HttpResult first = HttpClient(catalog_.port()).Request("GET", feed, "", auth);
  ASSERT_EQ(first.status, 200) << first.body;
  auto with = auth;
  with["If-None-Match"] = "\"older\", W/" + first.Header("etag");
  EXPECT_EQ(HttpClient(catalog_.port()).Request("GET", feed + "?wait=0", "", with).status, 304);
  with["If-None-Match"] = "\"older\"";
  EXPECT_EQ(HttpClient(catalog_.port()).Request("GET", feed + "?wait=0", "", with).status, 200);
}

}  // namespace
}  // namespace lm::edge
