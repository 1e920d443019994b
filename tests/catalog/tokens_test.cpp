// Tokens over the catalog's HTTP API: an admin lists them (id, prefix, role, school, times; never
// a token nor its hash) and revokes one, which is refused at once with 401 saying so; a token
// past its expiry is refused with 401 saying so; the origin's whois tells it whose token a
// teacher presented, or that it is unknown, revoked or expired. Failed authentication is limited
// per address: 30 failures, then 429 with Retry-After for every request with credentials from that
// address (a good token too) until one failure has refilled; whois answers about others' tokens
// do not count against the origin. Tokens kept by schema 4 still work after the upgrade.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "catalog/sqlite_catalog_store.h"
#include "common/cjk_tokenizer.h"
#include "common/sqlite_db.h"
#include "tests/catalog/catalog_api_fixture.h"
#include "tests/catalog/schema_downgrade.h"

namespace lm::catalog {
namespace {

using json = nlohmann::json;

class TokensTest : public CatalogApiFixture {};
INSTANTIATE_TEST_SUITE_P(Backends, TokensTest, testing::kBothBackends, testing::BackendName);

std::string Code(const testing::HttpResult& r) { return json::parse(r.body, nullptr, false).value("code", ""); }

TEST_P(TokensTest, AdminsListAndRevokeTokensAndExpiredOnesAreRefused) {
  MakeSchools();
  const IssuedToken teacher = Issue(Role::kTeacher, "tianhe-3", now_ + 3600);
  const IssuedToken edge = Issue(Role::kEdge, "conghua-lx");

  auto list = Call("GET", "/v1/tokens", admin_);
  ASSERT_EQ(list.status, 200) << list.body;
  for (const std::string& secret : {teacher.token, edge.token, admin_, TokenHash(teacher.token), TokenHash(admin_)}) {
    EXPECT_EQ(list.body.find(secret), std::string::npos) << "the list shows a token or its hash";
  }
  const json tokens = json::parse(list.body)["tokens"];
  ASSERT_EQ(tokens.size(), 4u);  // admin, origin, teacher, edge
  EXPECT_EQ(tokens[2], (json{{"id", teacher.info.id},
                             {"prefix", teacher.token.substr(0, 8)},
                             {"role", "teacher"},
                             {"school_id", "tianhe-3"},
                             {"label", "test"},
                             {"created_at", now_.load()},
                             {"expires_at", now_ + 3600},
                             {"revoked_at", 0}}));
  EXPECT_EQ(Call("GET", "/v1/tokens", teacher.token).status, 403);
  EXPECT_EQ(Call("POST", "/v1/tokens/" + std::to_string(edge.info.id) + "/revoke", edge.token).status, 403);

  // Revoked: refused at once, saying so; revoking again keeps the first time.
  EXPECT_EQ(Call("GET", "/v1/edges/conghua-lx/packs", edge.token).status, 200);
  const std::int64_t revoked_at = now_;
  auto revoked = Call("POST", "/v1/tokens/" + std::to_string(edge.info.id) + "/revoke", admin_);
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(json::parse(revoked.body)["revoked_at"], revoked_at);
  auto refused = Call("GET", "/v1/edges/conghua-lx/packs", edge.token);
  EXPECT_EQ(refused.status, 401);
  EXPECT_EQ(Code(refused), "token_revoked") << refused.body;
  EXPECT_NE(refused.body.find("revoked at 2026-11-18T"), std::string::npos) << refused.body;
  now_ += 60;
  revoked = Call("POST", "/v1/tokens/" + std::to_string(edge.info.id) + "/revoke", admin_);
  EXPECT_EQ(json::parse(revoked.body)["revoked_at"], revoked_at);
  EXPECT_EQ(Call("POST", "/v1/tokens/999/revoke", admin_).status, 404);
  EXPECT_EQ(Call("POST", "/v1/tokens/abc/revoke", admin_).status, 404);

  // Expired: works until its time, refused from then on, saying so.
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", teacher.token).status, 200);
  now_ = teacher.info.expires_at;
  auto expired = Call("GET", "/v1/lessons?q=x", teacher.token);
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(Code(expired), "token_expired") << expired.body;
  EXPECT_NE(expired.body.find("expired at"), std::string::npos) << expired.body;
  EXPECT_EQ(Code(Call("GET", "/v1/whoami", teacher.token)), "token_expired");
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", admin_).status, 200);  // others are not touched
}

TEST_P(TokensTest, WhoIsTellsTheOriginWhoseTokenItWasGiven) {
  const IssuedToken teacher = Issue(Role::kTeacher, "tianhe-3");
  const IssuedToken soon = Issue(Role::kTeacher, "tianhe-3", now_ + 10);
  auto who = Call("POST", "/v1/whois", origin_, {{"token", teacher.token}});
  ASSERT_EQ(who.status, 200) << who.body;
  EXPECT_EQ(json::parse(who.body), (json{{"role", "teacher"}, {"school_id", "tianhe-3"}}));
  EXPECT_EQ(Call("POST", "/v1/whois", teacher.token, {{"token", teacher.token}}).status, 403);

  auto unknown = Call("POST", "/v1/whois", origin_, {{"token", "not-a-token"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(Code(unknown), "token_unknown");
  ASSERT_EQ(Call("POST", "/v1/tokens/" + std::to_string(teacher.info.id) + "/revoke", admin_).status, 200);
  EXPECT_EQ(Code(Call("POST", "/v1/whois", origin_, {{"token", teacher.token}})), "token_revoked");
  now_ += 10;
  EXPECT_EQ(Code(Call("POST", "/v1/whois", origin_, {{"token", soon.token}})), "token_expired");
}

TEST_P(TokensTest, FailedAuthenticationIsLimitedPerAddress) {
  const IssuedToken teacher = Issue(Role::kTeacher, "tianhe-3");
  // The origin asks about many unknown tokens: those are its callers' failures, not its own.
  for (int i = 0; i < 40; ++i) {
    ASSERT_EQ(Call("POST", "/v1/whois", origin_, {{"token", "guess-" + std::to_string(i)}}).status, 404) << i;
  }
  ASSERT_EQ(Call("GET", "/v1/lessons?q=x", teacher.token).status, 200);

  for (int i = 0; i < 30; ++i) {
    auto r = Call("GET", "/v1/lessons?q=x", "guess-" + std::to_string(i));
    ASSERT_EQ(r.status, 401) << "guess " << i << " is within the burst: " << r.body;
  }
  auto blocked = Call("GET", "/v1/lessons?q=x", "guess-30");
  EXPECT_EQ(blocked.status, 429) << blocked.body;
  EXPECT_EQ(Code(blocked), "too_many_failures");
  EXPECT_EQ(blocked.Header("retry-after"), "2");  // 30 a minute: one back every 2 s
  // While blocked, a good token from the same address is refused too: a right guess must not pass.
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", teacher.token).status, 429);
  // Requests without credentials are not held.
  EXPECT_EQ(Call("GET", "/healthz", "").status, 200);
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", "").status, 401);

  AdvanceSteadyClock(std::chrono::seconds(2));
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", teacher.token).status, 200);
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", "guess-31").status, 401);  // one failure had come back
  EXPECT_EQ(Call("GET", "/v1/lessons?q=x", teacher.token).status, 429);
}

// A database of schema 4 kept tokens as hash, role, school and label only. After the upgrade they
// still work, have ids, and list with no prefix and no creation time.
TEST(TokensUpgradeTest, TokensOfSchema4KeepWorkingAndGetIds) {
  testing::TempDir tmp;
  const std::string path = (tmp / "catalog.db").string();
  { ASSERT_TRUE(SqliteCatalogStore::Open(path).ok()); }
  {
    auto db = sql::OpenDatabase(path);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    ASSERT_TRUE(RegisterCjkTokenizer(db->get()).ok());  // the search index is rewritten with the lessons table
    ASSERT_TRUE(sql::Exec(db->get(),
                          std::string(kSearchTriggersOfSchema6) + "DROP TABLE tokens; CREATE TABLE tokens (hash TEXT PRIMARY KEY, role TEXT NOT NULL, "
                          "school_id TEXT NOT NULL DEFAULT '', label TEXT NOT NULL DEFAULT ''); "
                          "INSERT INTO tokens VALUES ('" + TokenHash("old-admin") + "', 'admin', '', 'bootstrap'), ('" +
                              TokenHash("old-edge") + "', 'edge', 'conghua-lx', ''); "
                              "ALTER TABLE lessons DROP COLUMN superseded_by; PRAGMA user_version = 4;")
                    .ok());
  }
  auto store = SqliteCatalogStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto edge = (*store)->FindToken(TokenHash("old-edge"));
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  EXPECT_EQ(edge->id, 2);
  EXPECT_EQ(edge->role, Role::kEdge);
  EXPECT_EQ(edge->school_id, "conghua-lx");
  EXPECT_FALSE(RefuseToken(*edge, 1795000000));
  auto all = (*store)->ListTokens();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].label, "bootstrap");
  EXPECT_EQ((*all)[0].prefix, "");
  EXPECT_EQ((*all)[0].created_at, 0);
  auto issued = IssueToken(**store, {.role = Role::kTeacher, .school_id = "tianhe-3"}, 1795000000);
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_EQ(issued->info.id, 3);
}

TEST(TokenExpiryTest, DaysHoursAndDatesAreRead) {
  const std::int64_t now = 1795000000;  // 2026-11-18T09:46:40Z
  EXPECT_EQ(*ParseExpiry("90d", now), now + 90 * 86400);
  EXPECT_EQ(*ParseExpiry("12h", now), now + 12 * 3600);
  EXPECT_EQ(UtcTime(*ParseExpiry("2027-07-01", now)), "2027-07-01T00:00:00Z");
  for (const char* bad : {"", "d", "0d", "-1d", "90", "1w", "2027-02-30", "2027-13-01", "2026-11-18", "2020-01-01",
                          "tomorrow"}) {
    auto r = ParseExpiry(bad, now);
    EXPECT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "expires") << bad;
  }
}

}  // namespace
}  // namespace lm::catalog
