#pragma once
// The catalog's records: schools, communities (教共体/教联体/教育集团), lessons, resource packs
// and their published versions, edges, tokens. Plain values.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lm::catalog {

enum class Role { kAdmin, kTeacher, kOrigin, kEdge, kSupervisor };
const char* RoleName(Role r);
std::optional<Role> ParseRole(const std::string& s);

struct School {
  std::string id;  // short stable code chosen by the admin, e.g. "gz-tianhe-no3"
  std::string name;
  std::string province, city, county;
  std::string kind;  // urban | town | rural | teaching_point
  std::int64_t pupils = 0;
};

struct Community {
  std::string id;
  std::string name;
  std::string model;  // fusion 融合 | co_build 共建 | collaboration 协作
  std::string level;  // county | cross_county | cross_city
  std::string core_school;
  std::vector<std::string> members;  // school ids, the core school included
};

struct Lesson {
  std::string id;     // the bundle's lesson id
  std::string kind;   // lesson | document
  std::string title, teacher, school_id, subject, grade, description;
  std::vector<std::string> tags;
  double duration_s = 0;
  std::string info_hash_v1, info_hash_v2;
  std::int64_t total_bytes = 0;
  std::string manifest_json;  // lesson.json as registered
  std::string torrent;        // lesson.torrent bytes
  std::int64_t created_at = 0;
  std::string revises;        // lesson.json's "revises": the lesson this is a new version of, or ""
  std::string superseded_by;  // the newer version that took this lesson's place in packs, or ""
};

struct PackItem {
  std::string lesson_id;
  std::string needed_by;     // YYYY-MM-DD
  std::string pinned_until;  // YYYY-MM-DD or ""
};

struct PackSpec {
  std::string title;
  std::string description;
  std::string rendition_policy = "all";  // all | low (240p + audio) | audio
  std::vector<PackItem> items;
  std::vector<std::string> target_communities;
  std::vector<std::string> target_schools;
};

struct PackVersion {
  std::int64_t pack_id = 0;
  std::int64_t version = 0;
  std::string manifest;   // canonical JSON, exactly the bytes that were signed
  std::string signature;  // base64 Ed25519
  std::int64_t published_at = 0;
};

// A bearer token as the catalog keeps it: never the token itself, only its SHA-256 (the key it is
// found by, outside this record) and its first characters to recognise it by.
struct TokenInfo {
  Role role = Role::kEdge;
  std::string school_id{};      // edges and teachers belong to a school
  std::int64_t id = 0;          // chosen by the store; what `token revoke` takes
  std::string prefix{};         // the token's first 8 characters; "" for tokens issued before they were kept
  std::string label{};          // a note to recognise the token by
  std::int64_t created_at = 0;  // unix seconds; 0 = issued before this was kept
  std::int64_t expires_at = 0;  // unix seconds; 0 = never
  std::int64_t revoked_at = 0;  // unix seconds; 0 = not revoked
};

// One lesson's state at a school, as an edge reported it.
struct InventoryEntry {
  std::string lesson_id;
  std::string state;  // complete | partial | missing
  std::int64_t bytes = 0;
};

struct PlayEvent {
  std::string lesson_id;
  std::int64_t started_at = 0;  // unix seconds
  double seconds = 0;
  bool starts_a_play = true;  // false for the progress and end events of a viewing
};

struct EdgeReport {
  std::string report_id;  // chosen by the edge; a retry carries the same id
  std::string school_id;
  std::int64_t free_bytes = 0;
  std::vector<InventoryEntry> inventory;
  std::vector<PlayEvent> plays;
};

struct SearchQuery {
  std::string text, subject, grade, teacher;
  int page = 1;
  int page_size = 20;
};

}  // namespace lm::catalog
