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
  if (!j.contains(field) || !j[field].is_string() || j[field].get<std::string>().empty()) {
    return InvalidArgument(std::string(field) + " is required", field);
  }
  std::string s = j[field].get<std::string>();
  if (s.size() > max_len) return InvalidArgument(std::string(field) + " is too long", field);
  return s;
}

std::string OptionalString(const json& j, const char* field) {
  return j.contains(field) && j[field].is_string() ? j[field].get<std::string>() : std::string();
}

Result<std::vector<std::string>> StringList(const json& j, const char* field) {
  std::vector<std::string> out;
  if (!j.contains(field)) return out;
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

Result<School> SchoolFrom(const json& j) {
  School s;
  ASSIGN_OR_RETURN(s.id, RequiredString(j, "id", 64));
  if (!IsId(s.id)) return InvalidArgument("id may hold letters, digits, '-', '_' and '.'", "id");
  ASSIGN_OR_RETURN(s.name, RequiredString(j, "name"));
  s.province = OptionalString(j, "province");
  s.city = OptionalString(j, "city");
  s.county = OptionalString(j, "county");
  ASSIGN_OR_RETURN(s.kind, RequiredString(j, "kind", 32));
  if (s.kind != "urban" && s.kind != "town" && s.kind != "rural" && s.kind != "teaching_point") {
    return InvalidArgument("kind must be urban, town, rural or teaching_point", "kind");
  }
  if (j.contains("pupils")) {
    if (!j["pupils"].is_number_integer() || j["pupils"].get<std::int64_t>() < 0) {
      return InvalidArgument("pupils must be a whole number", "pupils");
    }
    s.pupils = j["pupils"].get<std::int64_t>();
  }
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
  s.description = OptionalString(j, "description");
  s.rendition_policy = j.contains("rendition_policy") ? OptionalString(j, "rendition_policy") : "all";
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
    item.pinned_until = OptionalString(i, "pinned_until");
    if (!item.pinned_until.empty() && !IsDate(item.pinned_until)) {
      return InvalidArgument("pinned_until must be YYYY-MM-DD", "pinned_until");
    }
    s.items.push_back(std::move(item));
  }
  const json targets = j.value("targets", json::object());
  if (!targets.is_object()) return InvalidArgument("targets must be an object", "targets");
  ASSIGN_OR_RETURN(s.target_communities, StringList(targets, "communities"));
  ASSIGN_OR_RETURN(s.target_schools, StringList(targets, "schools"));
  if (s.target_communities.empty() && s.target_schools.empty()) {
    return InvalidArgument("targets must name at least one community or school", "targets");
  }
  return s;
}

namespace {

// nlohmann's value() and get() throw on a value of the wrong type: such a body is bad input.
template <typename Fn>
auto Guarded(Fn fn, const char* field) -> decltype(fn()) {
  try {
    return fn();
  } catch (const json::exception&) {
    return InvalidArgument(std::string(field) + " holds a value of the wrong type", field);
  }
}

Result<EdgeReport> EdgeReportFields(const json& j, const std::string& school_id) {
  EdgeReport r;
  r.school_id = school_id;
  ASSIGN_OR_RETURN(r.report_id, RequiredString(j, "report_id", 100));
  r.free_bytes = j.value("free_bytes", std::int64_t{0});
  for (const auto& e : j.value("inventory", json::array())) {
    InventoryEntry entry{OptionalString(e, "lesson_id"), OptionalString(e, "state"), e.value("bytes", std::int64_t{0})};
    if (entry.lesson_id.empty() || (entry.state != "complete" && entry.state != "partial" && entry.state != "missing")) {
      return InvalidArgument("inventory entries need lesson_id and state complete|partial|missing", "inventory");
    }
    r.inventory.push_back(std::move(entry));
  }
  for (const auto& e : j.value("plays", json::array())) {
    PlayEvent play{OptionalString(e, "lesson_id"), e.value("started_at", std::int64_t{0}), e.value("seconds", 0.0)};
    if (play.lesson_id.empty() || play.started_at <= 0 || play.seconds < 0) {
      return InvalidArgument("plays need lesson_id, started_at and seconds", "plays");
    }
    // A viewing is a start event and progress/end events; a play without a kind is one viewing.
    const std::string kind = OptionalString(e, "kind");
    if (kind != "" && kind != "start" && kind != "progress" && kind != "end") {
      return InvalidArgument("a play's kind is start, progress or end", "plays");
    }
    play.starts_a_play = kind.empty() || kind == "start";
    r.plays.push_back(std::move(play));
  }
  return r;
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
  return Status::Ok();
}

Result<Lesson> LessonFrom(const json& b) {
  if (!b.contains("manifest") || !b["manifest"].is_object()) {
    return InvalidArgument("manifest (the bundle's lesson.json) is required", "manifest");
  }
  Lesson l;
  RETURN_IF_ERROR(ReadLessonManifest(b["manifest"], &l));
  l.school_id = OptionalString(b, "school_id");
  l.description = OptionalString(b, "description");
  ASSIGN_OR_RETURN(l.tags, StringList(b, "tags"));
  auto v1 = RequiredString(b, "info_hash_v1", 40);
  auto v2 = RequiredString(b, "info_hash_v2", 64);
  if (!v1.ok() || !IsLowerHex(*v1, 40)) return InvalidArgument("info_hash_v1 must be 40 hex digits", "info_hash_v1");
  if (!v2.ok() || !IsLowerHex(*v2, 64)) return InvalidArgument("info_hash_v2 must be 64 hex digits", "info_hash_v2");
  l.info_hash_v1 = *v1;
  l.info_hash_v2 = *v2;
  auto torrent = Base64Decode(OptionalString(b, "torrent_base64"));
  if (!torrent.ok() || torrent->empty() || (*torrent)[0] != 'd') {
    return InvalidArgument("torrent_base64 must hold the bundle's lesson.torrent", "torrent_base64");
  }
  l.torrent = std::move(*torrent);
  return l;
}

Result<EdgeReport> EdgeReportFrom(const json& j, const std::string& school_id) {
  return Guarded([&] { return EdgeReportFields(j, school_id); }, "body");
}

Result<SearchQuery> SearchQueryFrom(const Request& req) {
  SearchQuery q;
  q.text = req.Query("q");
  q.subject = req.Query("subject");
  q.grade = req.Query("grade");
  q.teacher = req.Query("teacher");
  const std::string page = req.Query("page");
  if (!page.empty()) {
    if (!IsDecimal(page, 6, /*positive=*/true)) return InvalidArgument("page must be a positive number", "page");
    q.page = std::stoi(page);
  }
  return q;
}

}  // namespace lm::catalog
