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

// The body as a JSON object, or InvalidArgument (field "body").
Result<nlohmann::json> ParseBody(const http::Request& req);
// A required, non-empty string field of at most `max_len` bytes.
Result<std::string> RequiredString(const nlohmann::json& j, const char* field, size_t max_len = 200);
std::string OptionalString(const nlohmann::json& j, const char* field);
Result<std::vector<std::string>> StringList(const nlohmann::json& j, const char* field);
// A short identifier chosen by an admin: letters, digits, '-', '_', '.'.
bool IsId(const std::string& s);
// YYYY-MM-DD.
bool IsDate(const std::string& s);

Result<School> SchoolFrom(const nlohmann::json& j);
Result<Community> CommunityFrom(const nlohmann::json& j);
Result<PackSpec> PackSpecFrom(const nlohmann::json& j);

nlohmann::json SchoolJson(const School& s);
nlohmann::json LessonJson(const Lesson& l);
nlohmann::json PackVersionJson(const PackVersion& v);

}  // namespace lm::catalog
