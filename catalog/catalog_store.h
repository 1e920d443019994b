#pragma once
// Everything the catalog keeps, behind one interface: routes talk to this, never to SQL, so a
// PostgreSQL backend for large deployments is another implementation of the same class.
// Implementations are thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/model.h"
#include "common/status.h"

namespace lm::catalog {

struct SearchHit {
  Lesson lesson;  // without manifest and torrent bytes
  double rank = 0;
};

// Per school, per pack version: how much of it the school holds.
struct CoverageRow {
  std::string school_id, school_name, county;
  std::int64_t pack_id = 0, version = 0;
  int items = 0, items_complete = 0;
  std::int64_t bytes_missing = 0;
  std::int64_t last_contact = 0;  // 0 = never
};

// A school's edge as last heard from.
struct EdgeContact {
  std::string school_id;
  std::int64_t last_contact = 0;  // unix seconds
  std::int64_t free_bytes = 0;    // as the last report said
};

struct MonthlyRow {
  std::string community_id, county, subject, grade;
  std::int64_t plays = 0;
  double minutes = 0;
};

class CatalogStore {
 public:
  virtual ~CatalogStore() = default;

  virtual Status PutSchool(const School& s) = 0;
  virtual Result<School> GetSchool(const std::string& id) = 0;
  virtual Result<std::vector<School>> ListSchools() = 0;

  virtual Status PutCommunity(const Community& c) = 0;
  virtual Result<Community> GetCommunity(const std::string& id) = 0;
  virtual Result<std::vector<Community>> ListCommunities() = 0;
  // Communities a school belongs to.
  virtual Result<std::vector<std::string>> CommunitiesOf(const std::string& school_id) = 0;

  // Registers a lesson; kAlreadyExists if the id is known (same bytes registered before).
  virtual Status PutLesson(const Lesson& l) = 0;
  virtual Result<Lesson> GetLesson(const std::string& id) = 0;
  // Records that `new_id`, a new version of lesson `old_id`, took its place (Lesson::superseded_by).
  virtual Status SupersedeLesson(const std::string& old_id, const std::string& new_id) = 0;
  virtual Result<std::vector<SearchHit>> SearchLessons(const SearchQuery& q) = 0;
  virtual Result<std::int64_t> CountLessons() = 0;

  // Creates a pack; returns its id.
  virtual Result<std::int64_t> CreatePack(const PackSpec& spec, const std::string& created_by) = 0;
  virtual Result<PackSpec> GetPackSpec(std::int64_t pack_id) = 0;
  // Stores a published version (immutable) and its targets; `version` must be the next number.
  virtual Status AddPackVersion(const PackVersion& v, const PackSpec& spec) = 0;
  virtual Result<PackVersion> GetPackVersion(std::int64_t pack_id, std::int64_t version) = 0;  // 0 = latest
  // The latest version of every pack, by pack id.
  virtual Result<std::vector<PackVersion>> ListPacks() = 0;
  // The packs whose latest version holds the lesson, by pack id.
  virtual Result<std::vector<std::int64_t>> PacksHoldingLesson(const std::string& lesson_id) = 0;
  // The latest version of every pack that targets the school or one of its communities.
  virtual Result<std::vector<PackVersion>> PacksForSchool(const std::string& school_id) = 0;

  // Keeps a new token's hash with `info` (its id is chosen here and returned).
  virtual Result<std::int64_t> PutToken(const std::string& token_hash, const TokenInfo& info) = 0;
  // The token with this hash, expired and revoked ones too; kNotFound if unknown.
  virtual Result<TokenInfo> FindToken(const std::string& token_hash) = 0;
  // Every token, by id.
  virtual Result<std::vector<TokenInfo>> ListTokens() = 0;
  // Marks token `id` revoked at `now` (one revoked before keeps its time) and returns it;
  // kNotFound if there is no such token.
  virtual Result<TokenInfo> RevokeToken(std::int64_t id, std::int64_t now) = 0;
  // Whether some admin token is neither revoked nor expired at `now`.
  virtual Result<bool> HasAdminToken(std::int64_t now) = 0;

  virtual Status TouchEdge(const std::string& school_id, std::int64_t now) = 0;
  // Every edge that has been in contact, by school id.
  virtual Result<std::vector<EdgeContact>> ListEdges() = 0;
  // Applies a report once: false if this report id was already applied. The first report that
  // shows every lesson of a pack's latest version complete marks that version delivered at `now`.
  virtual Result<bool> ApplyReport(const EdgeReport& r, std::int64_t now) = 0;

  // community_id "" = every school.
  virtual Result<std::vector<CoverageRow>> Coverage(const std::string& community_id) = 0;
  // month "YYYY-MM"; county "" = all.
  virtual Result<std::vector<MonthlyRow>> MonthlyPlays(const std::string& month, const std::string& county) = 0;
  virtual Result<std::int64_t> LessonsPublishedIn(const std::string& month) = 0;
  // Packs delivered in the month: one per school and pack whose edge first reported a version of
  // it whole that month. county "" = all.
  virtual Result<std::int64_t> PacksDeliveredIn(const std::string& month, const std::string& county) = 0;

  virtual Result<std::int64_t> SizeBytes() = 0;
  // Housekeeping after bulk changes: merges the search index, refreshes the planner's statistics.
  virtual Status Optimize() = 0;
};

}  // namespace lm::catalog
