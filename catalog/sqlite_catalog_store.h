#pragma once
// The embedded catalog store: one SQLite file in WAL mode, schema versioned with migrations
// (PRAGMA user_version), one connection per calling thread (common/sqlite_connections.h).

#include <memory>
#include <string>

#include "catalog/catalog_store.h"
#include "catalog/detail/sqlite_bm25.h"
#include "common/sqlite_connections.h"
#include "common/sqlite_db.h"

namespace lm::catalog {

class SqliteCatalogStore : public CatalogStore {
 public:
  // Opens (creating) the database at `path` and brings its schema up to date.
  static Result<std::unique_ptr<SqliteCatalogStore>> Open(const std::string& path);

  Status PutSchool(const School& s) override;
  Result<School> GetSchool(const std::string& id) override;
  Result<std::vector<School>> ListSchools() override;
  Status PutCommunity(const Community& c) override;
  Result<Community> GetCommunity(const std::string& id) override;
  Result<std::vector<std::string>> CommunitiesOf(const std::string& school_id) override;
  Result<std::vector<Community>> ListCommunities() override;
  Status PutLesson(const Lesson& l) override;
  Result<Lesson> GetLesson(const std::string& id) override;
  Status SupersedeLesson(const std::string& old_id, const std::string& new_id) override;
  Result<std::vector<SearchHit>> SearchLessons(const SearchQuery& q) override;
  Result<std::int64_t> CountLessons() override;
  Result<std::int64_t> CreatePack(const PackSpec& spec, const std::string& created_by) override;
  Result<PackSpec> GetPackSpec(std::int64_t pack_id) override;
  Status AddPackVersion(const PackVersion& v, const PackSpec& spec) override;
  Result<PackVersion> GetPackVersion(std::int64_t pack_id, std::int64_t version) override;
  Result<std::vector<std::int64_t>> PacksHoldingLesson(const std::string& lesson_id) override;
  Result<std::vector<PackVersion>> PacksForSchool(const std::string& school_id) override;
  Result<std::vector<PackVersion>> ListPacks() override;
  Result<std::int64_t> PutToken(const std::string& token_hash, const TokenInfo& info) override;
  Result<TokenInfo> FindToken(const std::string& token_hash) override;
  Result<std::vector<TokenInfo>> ListTokens() override;
  Result<TokenInfo> RevokeToken(std::int64_t id, std::int64_t now) override;
  Result<bool> HasAdminToken(std::int64_t now) override;
  Status TouchEdge(const std::string& school_id, std::int64_t now) override;
  Result<bool> ApplyReport(const EdgeReport& r, std::int64_t now) override;
  Result<std::vector<EdgeContact>> ListEdges() override;
  Result<std::vector<CoverageRow>> Coverage(const std::string& community_id) override;
  Result<std::vector<MonthlyRow>> MonthlyPlays(const std::string& month, const std::string& county) override;
  Result<std::int64_t> LessonsPublishedIn(const std::string& month) override;
  Result<std::int64_t> PacksDeliveredIn(const std::string& month, const std::string& county) override;
  Result<std::int64_t> SizeBytes() override;
  Status Optimize() override;

 private:
  explicit SqliteCatalogStore(const std::string& path);
  using CachedStatement = sql::ThreadConnections::Cached;

  Result<sqlite3*> Db() { return connections_.Db(); }
  Result<CachedStatement> Cached(const std::string& sql) { return connections_.Prepared(sql); }
  Status Migrate(sqlite3* db);

  Bm25IndexCounts index_counts_;  // shared by the connections' lm_bm25: declared before them
  sql::ThreadConnections connections_;
};

}  // namespace lm::catalog
