#include "catalog/detail/api_json.h"

#include <algorithm>
#include <regex>

#include "bundle/lesson_manifest.h"
#include "common/base64.h"
#include "common/text_checks.h"

namespace lm::catalog {

using nlohmann::json;
using http::Request;

std::string DumpJson(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Result<json> ParseBody(const Request& req) {
  json j = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("body must be a JSON object", "body");
  return j;
}

// A required, non-empty string field of at most `max_len` bytes.
Result<std::string> RequiredString(const json& j, const char* field, size_t max_len) {
  if (!j.is_object() || !j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty()) {
    return InvalidArgument(std::string(field) + " is required", field);
  }
  std::string s = j[field].get<std::string>();
  if (s.size() > max_len) return InvalidArgument(std::string(field) + " is too long", field);
  return s;
}

Result<std::string> OptionalString(const json& j, const char* field, size_t max_len) {
  if (!j.is_object() || !j.contains(field) || j[field].is_null()) return std::string();
  if (!j[field].is_string()) return InvalidArgument(std::string(field) + " must be a string", field);
  std::string s = j[field].get<std::string>();
  if (s.size() > max_len) return InvalidArgument(std::string(field) + " is too long", field);
  return s;
}

Result<std::int64_t> OptionalInt(const json& j, const char* field, std::int64_t absent) {
  if (!j.is_object() || !j.contains(field) || j[field].is_null()) return absent;
  if (!j[field].is_number_integer()) return InvalidArgument(std::string(field) + " must be a whole number", field);
  return j[field].get<std::int64_t>();
}

Result<std::vector<std::string>> StringList(const json& j, const char* field) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(field) || j[field].is_null()) return out;
  if (!j[field].is_array()) return InvalidArgument(std::string(field) + " must be a list of strings", field);
  for (const auto& v : j[field]) {
    if (!v.is_string()) return InvalidArgument(std::string(field) + " must be a list of strings", field);
    out.push_back(v.get<std::string>());
  }
  return out;
}

bool IsId(const std::string& s) {
  static const std::regex kId(R"([A-Za-z0-9][A-Za-z0-9_.-]{0,63})");
  return std::regex_match(s, kId);
}
bool IsDate(const std::string& s) {
  static const std::regex kDate(R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))");
  return std::regex_match(s, kDate);
}


json SchoolJson(const School& s) {
  return {{"id", s.id}, {"name", s.name}, {"province", s.province}, {"city", s.city},
          {"county", s.county}, {"kind", s.kind}, {"pupils", s.pupils}};
}

json LessonJson(const Lesson& l) {
  return {{"id", l.id},           {"kind", l.kind},       {"title", l.title},
          {"teacher", l.teacher}, {"school_id", l.school_id}, {"subject", l.subject},
          {"grade", l.grade},     {"description", l.description}, {"tags", l.tags},
          {"duration_s", l.duration_s}, {"info_hash_v1", l.info_hash_v1}, {"info_hash_v2", l.info_hash_v2},
          {"total_bytes", l.total_bytes}, {"created_at", l.created_at}};
}

json PackVersionJson(const PackVersion& v) {
  return {{"pack_id", v.pack_id}, {"version", v.version}, {"manifest", v.manifest}, {"signature", v.signature},
          {"published_at", v.published_at}};
}

json TokenJson(const TokenInfo& t) {
  return {{"id", t.id},          {"prefix", t.prefix},         {"role", RoleName(t.role)},
          {"school_id", t.school_id}, {"label", t.label},      {"created_at", t.created_at},
          {"expires_at", t.expires_at}, {"revoked_at", t.revoked_at}};
}

Result<School> SchoolFrom(const json& j) {
  School s;
  ASSIGN_OR_RETURN(s.id, RequiredString(j, "id", 64));
  if (!IsId(s.id)) return InvalidArgument("id may hold letters, digits, '-', '_' and '.'", "id");
  ASSIGN_OR_RETURN(s.name, RequiredString(j, "name"));
  ASSIGN_OR_RETURN(s.province, OptionalString(j, "province", 200));
  ASSIGN_OR_RETURN(s.city, OptionalString(j, "city", 200));
  ASSIGN_OR_RETURN(s.county, OptionalString(j, "county", 200));
  ASSIGN_OR_RETURN(s.kind, RequiredString(j, "kind", 32));
  if (s.kind != "urban" && s.kind != "town" && s.kind != "rural" && s.kind != "teaching_point") {
    return InvalidArgument("kind must be urban, town, rural or teaching_point", "kind");
  }
  ASSIGN_OR_RETURN(s.pupils, OptionalInt(j, "pupils"));
  if (s.pupils < 0) return InvalidArgument("pupils must be a whole number", "pupils");
  return s;
}

Result<Community> CommunityFrom(const json& j) {
  Community c;
  ASSIGN_OR_RETURN(c.id, RequiredString(j, "id", 64));
  if (!IsId(c.id)) return InvalidArgument("id may hold letters, digits, '-', '_' and '.'", "id");
  ASSIGN_OR_RETURN(c.name, RequiredString(j, "name"));
  ASSIGN_OR_RETURN(c.model, RequiredString(j, "model", 32));
  if (c.model != "fusion" && c.model != "co_build" && c.model != "collaboration") {
    return InvalidArgument("model must be fusion, co_build or collaboration", "model");
  }
  ASSIGN_OR_RETURN(c.level, RequiredString(j, "level", 32));
  if (c.level != "county" && c.level != "cross_county" && c.level != "cross_city") {
    return InvalidArgument("level must be county, cross_county or cross_city", "level");
  }
  ASSIGN_OR_RETURN(c.core_school, RequiredString(j, "core_school", 64));
  ASSIGN_OR_RETURN(c.members, StringList(j, "members"));
  if (std::find(c.members.begin(), c.members.end(), c.core_school) == c.members.end()) {
    c.members.push_back(c.core_school);
  }
  return c;
}

Result<PackSpec> PackSpecFrom(const json& j) {
  PackSpec s;
  ASSIGN_OR_RETURN(s.title, RequiredString(j, "title"));
  ASSIGN_OR_RETURN(s.description, OptionalString(j, "description"));
  ASSIGN_OR_RETURN(s.rendition_policy, OptionalString(j, "rendition_policy", 32));
  if (s.rendition_policy.empty()) s.rendition_policy = "all";
  if (s.rendition_policy != "all" && s.rendition_policy != "low" && s.rendition_policy != "audio") {
    return InvalidArgument("rendition_policy must be all, low or audio", "rendition_policy");
  }
  if (!j.contains("items") || !j["items"].is_array() || j["items"].empty()) {
    return InvalidArgument("items must list at least one lesson", "items");
  }
  for (const auto& i : j["items"]) {
    if (!i.is_object()) return InvalidArgument("each item must be an object", "items");
    PackItem item;
    ASSIGN_OR_RETURN(item.lesson_id, RequiredString(i, "lesson_id", 64));
    ASSIGN_OR_RETURN(item.needed_by, RequiredString(i, "needed_by", 10));
    if (!IsDate(item.needed_by)) return InvalidArgument("needed_by must be YYYY-MM-DD", "needed_by");
    ASSIGN_OR_RETURN(item.pinned_until, OptionalString(i, "pinned_until", 10));
    if (!item.pinned_until.empty() && !IsDate(item.pinned_until)) {
      return InvalidArgument("pinned_until must be YYYY-MM-DD", "pinned_until");
    }
    s.items.push_back(std::move(item));
  }
  const json targets = j.contains("targets") ? j["targets"] : json::object();
  if (!targets.is_object()) return InvalidArgument("targets must be an object", "targets");
  ASSIGN_OR_RETURN(s.target_communities, StringList(targets, "communities"));
  ASSIGN_OR_RETURN(s.target_schools, StringList(targets, "schools"));
  if (s.target_communities.empty() && s.target_schools.empty()) {
    return InvalidArgument("targets must name at least one community or school", "targets");
  }
  return s;
}

namespace {

// A list field that may be absent or null (empty then); any other type is InvalidArgument.
Result<json> OptionalList(const json& j, const char* field) {
  if (!j.contains(field) || j[field].is_null()) return json::array();
  if (!j[field].is_array()) return InvalidArgument(std::string(field) + " must be a list", field);
  return j[field];
}

// A number that may be absent (0 then); any other type is InvalidArgument naming `report_field`.
Result<double> OptionalNumber(const json& j, const char* field, const char* report_field) {
  if (!j.contains(field) || j[field].is_null()) return 0.0;
  if (!j[field].is_number()) return InvalidArgument(std::string(field) + " must be a number", report_field);
  return j[field].get<double>();
}

}  // namespace

Status ReadLessonManifest(const json& manifest, Lesson* lesson) {
  const std::string text = DumpJson(manifest);
  auto parsed = bundle::ParseLessonManifest(text);
  if (!parsed.ok()) {
    const Status& st = parsed.status();
    return InvalidArgument("manifest: " + st.message(), st.field().empty() ? "manifest" : "manifest." + st.field());
  }
  lesson->id = parsed->id;
  lesson->kind = bundle::BundleKindName(parsed->kind);
  lesson->title = parsed->metadata.title;
  if (lesson->title.empty()) return InvalidArgument("manifest.title is required", "manifest.title");
  lesson->teacher = parsed->metadata.teacher;
  lesson->subject = parsed->metadata.subject;
  lesson->grade = parsed->metadata.grade;
  lesson->duration_s = parsed->duration_seconds;
  lesson->total_bytes = parsed->TotalBytes();
  lesson->manifest_json = text;
  lesson->revises = parsed->revises;
  return Status::Ok();
}

Result<Lesson> LessonFrom(const json& b) {
  if (!b.contains("manifest") || !b["manifest"].is_object()) {
    return InvalidArgument("manifest (the bundle's lesson.json) is required", "manifest");
  }
  Lesson l;
  RETURN_IF_ERROR(ReadLessonManifest(b["manifest"], &l));
  ASSIGN_OR_RETURN(l.school_id, OptionalString(b, "school_id", 64));
  ASSIGN_OR_RETURN(l.description, OptionalString(b, "description"));
  ASSIGN_OR_RETURN(l.tags, StringList(b, "tags"));
  auto v1 = RequiredString(b, "info_hash_v1", 40);
  auto v2 = RequiredString(b, "info_hash_v2", 64);
  if (!v1.ok() || !IsLowerHex(*v1, 40)) return InvalidArgument("info_hash_v1 must be 40 hex digits", "info_hash_v1");
  if (!v2.ok() || !IsLowerHex(*v2, 64)) return InvalidArgument("info_hash_v2 must be 64 hex digits", "info_hash_v2");
  l.info_hash_v1 = *v1;
  l.info_hash_v2 = *v2;
  auto torrent_text = OptionalString(b, "torrent_base64", 16 * 1024 * 1024);
  if (!torrent_text.ok()) return torrent_text.status();
  auto torrent = Base64Decode(*torrent_text);
  if (!torrent.ok() || torrent->empty() || (*torrent)[0] != 'd') {
    return InvalidArgument("torrent_base64 must hold the bundle's lesson.torrent", "torrent_base64");
  }
  l.torrent = std::move(*torrent);
  return l;
}

Result<EdgeReport> EdgeReportFrom(const json& j, const std::string& school_id) {
  EdgeReport r;
  r.school_id = school_id;
  ASSIGN_OR_RETURN(r.report_id, RequiredString(j, "report_id", 100));
  ASSIGN_OR_RETURN(r.free_bytes, OptionalInt(j, "free_bytes"));
  ASSIGN_OR_RETURN(json inventory, OptionalList(j, "inventory"));
  for (const auto& e : inventory) {
    const auto bad = [] {
      return InvalidArgument("inventory entries need lesson_id, state complete|partial|missing and bytes", "inventory");
    };
    if (!e.is_object()) return bad();
    auto lesson_id = OptionalString(e, "lesson_id", 64);
    auto state = OptionalString(e, "state", 16);
    auto bytes = OptionalInt(e, "bytes");
    if (!lesson_id.ok() || !state.ok() || !bytes.ok() || lesson_id->empty() ||
        (*state != "complete" && *state != "partial" && *state != "missing")) {
      return bad();
    }
    r.inventory.push_back({*lesson_id, *state, *bytes});
  }
  ASSIGN_OR_RETURN(json plays, OptionalList(j, "plays"));
  for (const auto& e : plays) {
    const auto bad = [] { return InvalidArgument("plays need lesson_id, started_at and seconds", "plays"); };
    if (!e.is_object()) return bad();
    auto lesson_id = OptionalString(e, "lesson_id", 64);
    auto started_at = OptionalInt(e, "started_at");
    auto seconds = OptionalNumber(e, "seconds", "plays");
    // A viewing is a start event and progress/end events; a play without a kind is one viewing.
    auto kind = OptionalString(e, "kind", 16);
    if (!lesson_id.ok() || !started_at.ok() || !seconds.ok() || !kind.ok() || lesson_id->empty() ||
        *started_at <= 0 || *seconds < 0) {
      return bad();
    }
    if (*kind != "" && *kind != "start" && *kind != "progress" && *kind != "end") {
      return InvalidArgument("a play's kind is start, progress or end", "plays");
    }
    r.plays.push_back({*lesson_id, *started_at, *seconds, kind->empty() || *kind == "start"});
  }
  return r;
}

Result<SearchQuery> SearchQueryFrom(const Request& req) {
  SearchQuery q;
  q.text = req.Query("q");
  q.subject = req.Query("subject");
  q.grade = req.Query("grade");
  q.teacher = req.Query("teacher");
  // The full-text index reads a filter up to its first NUL; what no lesson can hold is refused.
  for (const auto& [name, value] : {std::pair{"q", &q.text}, {"subject", &q.subject}, {"grade", &q.grade},
                                    {"teacher", &q.teacher}}) {
    if (!IsPlainText(*value)) {
      return InvalidArgument(std::string(name) + " must be UTF-8 text without control characters", name);
    }
  }
  const std::string page = req.Query("page");
  if (!page.empty()) {
    if (!IsDecimal(page, 6, /*positive=*/true)) return InvalidArgument("page must be a positive number", "page");
    q.page = std::stoi(page);
  }
  return q;
}

}  // namespace lm::catalog
