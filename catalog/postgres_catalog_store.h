#pragma once
// The catalog store for large deployments: one PostgreSQL database, its schema versioned with
// migrations (table schema_version, applied under an advisory lock so catalogs starting together
// take turns), connections pooled across the handler threads. Search indexes the same CJK tokens
// as the SQLite store (common/cjk_tokenizer.h) in a weighted tsvector with a GIN index and ranks
// them with ts_rank, so both backends find and order the same lessons. A pack version NOTIFYs
// kPackChangesChannel as it commits, so every catalog on the database hears of it
// (PackChangeListener). Thread-safe.

#include <memory>
#include <string>

#include "catalog/catalog_store.h"

namespace lm::pg {
class ConnectionPool;
}

namespace lm::catalog {

class PostgresCatalogStore : public CatalogStore {
 public:
  // Connects to `uri` (postgresql://user@host:port/database), up to `max_connections` at once,
  // and brings the schema up to date.
  static Result<std::unique_ptr<PostgresCatalogStore>> Open(const std::string& uri, int max_connections = 16);
  ~PostgresCatalogStore() override;

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
  explicit PostgresCatalogStore(std::unique_ptr<pg::ConnectionPool> pool);
  Status Migrate();
  pg::ConnectionPool& pool() { return *pool_; }

  std::unique_ptr<pg::ConnectionPool> pool_;
};

}  // namespace lm::catalog
