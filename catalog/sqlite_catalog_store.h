#pragma once
// The embedded catalog store: one SQLite file in WAL mode, schema versioned with migrations
// (PRAGMA user_version), one connection per calling thread.

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "catalog/catalog_store.h"
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
  Status PutLesson(const Lesson& l) override;
  Result<Lesson> GetLesson(const std::string& id) override;
  Result<std::vector<SearchHit>> SearchLessons(const SearchQuery& q) override;
  Result<std::int64_t> CountLessons() override;
  Result<std::int64_t> CreatePack(const PackSpec& spec, const std::string& created_by) override;
  Result<PackSpec> GetPackSpec(std::int64_t pack_id) override;
  Status AddPackVersion(const PackVersion& v, const PackSpec& spec) override;
  Result<PackVersion> GetPackVersion(std::int64_t pack_id, std::int64_t version) override;
  Result<std::vector<PackVersion>> PacksForSchool(const std::string& school_id) override;
  Status PutToken(const std::string& token_hash, const TokenInfo& info, const std::string& label) override;
  Result<TokenInfo> FindToken(const std::string& token_hash) override;
  Result<bool> HasAdminToken() override;
  Status TouchEdge(const std::string& school_id, std::int64_t now) override;
  Result<bool> ApplyReport(const EdgeReport& r, std::int64_t now) override;
  Result<std::vector<CoverageRow>> Coverage(const std::string& community_id) override;
  Result<std::vector<MonthlyRow>> MonthlyPlays(const std::string& month, const std::string& county) override;
  Result<std::int64_t> LessonsPublishedIn(const std::string& month) override;
  Result<std::int64_t> SizeBytes() override;
  Status Optimize() override;

 private:
  explicit SqliteCatalogStore(std::string path) : path_(std::move(path)) {}
  // One thread's connection and the statements prepared on it (for the hot paths).
  struct Connection {
    sql::DbPtr db;
    std::unordered_map<std::string, std::unique_ptr<sql::Statement>> statements;
  };
  // A cached statement, reset when the caller is done so it holds no read transaction open.
  class CachedStatement {
   public:
    explicit CachedStatement(sql::Statement* s) : s_(s) {}
    ~CachedStatement() { s_->Reset(); }
    sql::Statement* operator->() { return s_; }
    sql::Statement& operator*() { return *s_; }

   private:
    sql::Statement* s_;
  };

  // This thread's connection, opened on first use.
  Result<Connection*> ThisThread();
  Result<sqlite3*> Db();
  Result<CachedStatement> Cached(const std::string& sql);
  Status Migrate(sqlite3* db);

  const std::string path_;
  std::mutex mu_;
  std::unordered_map<std::thread::id, std::unique_ptr<Connection>> connections_;
};

}  // namespace lm::catalog
