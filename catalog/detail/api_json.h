#pragma once
// The catalog API's JSON: reading request bodies into records (with errors that name the field)
// and writing records out. Used only by CatalogService.

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "catalog/model.h"
#include "common/http/http_types.h"
#include "common/status.h"

namespace lm::catalog {

// Compact UTF-8 text; invalid UTF-8 in strings is replaced rather than thrown on.
std::string DumpJson(const nlohmann::json& j);

// The body as a JSON object, or InvalidArgument (field "body").
Result<nlohmann::json> ParseBody(const http::Request& req);
// A required, non-empty string field of at most `max_len` bytes.
Result<std::string> RequiredString(const nlohmann::json& j, const char* field, size_t max_len = 200);
// A string field that may be absent or null ("" then); any other type is InvalidArgument naming it.
Result<std::string> OptionalString(const nlohmann::json& j, const char* field, size_t max_len = 10000);
// A whole number that may be absent or null (`absent` then); any other type is InvalidArgument.
Result<std::int64_t> OptionalInt(const nlohmann::json& j, const char* field, std::int64_t absent = 0);
Result<std::vector<std::string>> StringList(const nlohmann::json& j, const char* field);
// A short identifier chosen by an admin: letters, digits, '-', '_', '.'.
bool IsId(const std::string& s);
// YYYY-MM-DD.
bool IsDate(const std::string& s);

Result<School> SchoolFrom(const nlohmann::json& j);
Result<Community> CommunityFrom(const nlohmann::json& j);
Result<PackSpec> PackSpecFrom(const nlohmann::json& j);
// POST /v1/lessons: the bundle's lesson.json ("manifest"), its torrent and info hashes, and the
// catalog's own fields (school_id, description, tags). created_at is left for the caller.
Result<Lesson> LessonFrom(const nlohmann::json& j);
// What the catalog keeps of a bundle's lesson.json: id, kind, title and the other metadata, the
// total size of its files, the manifest itself. The one place lesson.json is read here.
Status ReadLessonManifest(const nlohmann::json& manifest, Lesson* lesson);
// POST /v1/edges/{school}/report.
Result<EdgeReport> EdgeReportFrom(const nlohmann::json& j, const std::string& school_id);
// GET /v1/lessons?q=&subject=&grade=&teacher=&page=.
Result<SearchQuery> SearchQueryFrom(const http::Request& req);

nlohmann::json SchoolJson(const School& s);
nlohmann::json LessonJson(const Lesson& l);
nlohmann::json PackVersionJson(const PackVersion& v);
// A token's record as GET /v1/tokens lists it: id, prefix, role, school, label, times (0 = none).
nlohmann::json TokenJson(const TokenInfo& t);

}  // namespace lm::catalog
