#include "catalog/reports.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <regex>

namespace lm::catalog {

using nlohmann::ordered_json;

namespace {
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}
}  // namespace

http::Reply CoverageReport(CatalogStore& store, const http::Request& req) {
  const std::string community = req.Query("community");
  if (community.empty()) return http::ErrorReply(InvalidArgument("community is required", "community"));
  auto rows = store.Coverage(community);
  if (!rows.ok()) return http::ErrorReply(rows.status());
  ordered_json schools = ordered_json::array();
  std::string current;
  for (const auto& r : *rows) {
    if (r.school_id != current) {
      current = r.school_id;
      schools.push_back({{"school_id", r.school_id},
                         {"name", r.school_name},
                         {"last_contact", r.last_contact},
                         {"packs", ordered_json::array()}});
    }
    schools.back()["packs"].push_back({{"pack_id", r.pack_id},
                                       {"version", r.version},
                                       {"items", r.items},
                                       {"items_complete", r.items_complete},
                                       {"share_complete", r.items ? double(r.items_complete) / r.items : 0.0},
                                       {"bytes_missing", r.bytes_missing}});
  }
  ordered_json j = {{"community", community}, {"schools", schools}};
  return http::JsonReply(200, j.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
}

http::Reply MonthlyReport(CatalogStore& store, const http::Request& req) {
  const std::string month = req.Query("month");
  static const std::regex kMonth(R"(\d{4}-(0[1-9]|1[0-2]))");
  if (!std::regex_match(month, kMonth)) {
    return http::ErrorReply(InvalidArgument("month must be YYYY-MM", "month"));
  }
  const std::string county = req.Query("county");
  auto rows = store.MonthlyPlays(month, county);
  if (!rows.ok()) return http::ErrorReply(rows.status());
  auto published = store.LessonsPublishedIn(month);
  if (!published.ok()) return http::ErrorReply(published.status());
  auto delivered = store.PacksDeliveredIn(month, county);
  if (!delivered.ok()) return http::ErrorReply(delivered.status());

  if (req.Query("format") == "csv" || req.Header("accept") == "text/csv") {
    // The JSON form's numbers in one table: every row carries the month's totals, and a month with
    // no plays is one row of totals. A BOM first, so that spreadsheets read the Chinese as UTF-8.
    std::string csv = "\xEF\xBB\xBFmonth,lessons_published,packs_delivered,community,county,subject,grade,plays,minutes\n";
    const std::string totals = month + "," + std::to_string(*published) + "," + std::to_string(*delivered) + ",";
    char minutes[32];
    for (const auto& r : *rows) {
      std::snprintf(minutes, sizeof(minutes), "%.1f", r.minutes);
      csv += totals + CsvField(r.community_id) + "," + CsvField(r.county) + "," + CsvField(r.subject) + "," +
             CsvField(r.grade) + "," + std::to_string(r.plays) + "," + minutes + "\n";
    }
    if (rows->empty()) csv += totals + ",,,,0,0.0\n";
    http::Reply reply;
    reply.content_type = "text/csv; charset=utf-8";
    reply.body = std::move(csv);
    reply.headers.push_back({"Content-Disposition", "attachment; filename=\"lessonmesh-" + month + ".csv\""});
    return reply;
  }
  ordered_json out = ordered_json::array();
  for (const auto& r : *rows) {
    out.push_back({{"community", r.community_id},
                   {"county", r.county},
                   {"subject", r.subject},
                   {"grade", r.grade},
                   {"plays", r.plays},
                   {"minutes", r.minutes}});
  }
  ordered_json j = {{"month", month},
                    {"county", county},
                    {"lessons_published", *published},
                    {"packs_delivered", *delivered},
                    {"rows", out}};
  return http::JsonReply(200, j.dump(-1, ' ', false, ordered_json::error_handler_t::replace));
}

}  // namespace lm::catalog
