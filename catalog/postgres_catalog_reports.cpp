// PostgresCatalogStore: what edges report (contact, inventory, plays, deliveries) and what the
// dashboard and the monthly report read from it.

#include "catalog/detail/postgres_rows.h"
#include "catalog/postgres_catalog_store.h"
#include "common/postgres_pool.h"

namespace lm::catalog {

using pg::Params;
using pg::Rows;

namespace {

// The month ("YYYY-MM", UTC) of a unix time column, as SQLite's strftime('%Y-%m', t, 'unixepoch').
std::string MonthOf(const std::string& column) {
  return "to_char(to_timestamp(" + column + ") AT TIME ZONE 'UTC', 'YYYY-MM')";
}

// Whether pack p's latest version targets school `school` (an SQL expression) or a community of it.
std::string TargetsSchool(const std::string& school) {
  return "EXISTS (SELECT 1 FROM pack_targets t WHERE t.pack_id = p.id AND t.version = p.latest_version AND "
         "((t.target_kind = 'school' AND t.target_id = " + school + ") OR (t.target_kind = 'community' AND "
         "t.target_id IN (SELECT community_id FROM community_members WHERE school_id = " + school + "))))";
}

}  // namespace

Status PostgresCatalogStore::TouchEdge(const std::string& school_id, std::int64_t now) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  return pg::Exec(conn.get(),
                  "INSERT INTO edges (school_id, last_contact) VALUES ($1, $2) "
                  "ON CONFLICT (school_id) DO UPDATE SET last_contact = excluded.last_contact",
                  Params().Add(school_id).Add(now))
      .status();
}

Result<bool> PostgresCatalogStore::ApplyReport(const EdgeReport& r, std::int64_t now) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(pg::Transaction tx, pg::Transaction::Begin(conn.get()));
  // A second delivery of the same report waits here for the first to commit, then changes nothing.
  ASSIGN_OR_RETURN(Rows seen, pg::Exec(conn.get(),
                                       "INSERT INTO reports (report_id, school_id, received_at) VALUES ($1, $2, $3) "
                                       "ON CONFLICT DO NOTHING",
                                       Params().Add(r.report_id).Add(r.school_id).Add(now)));
  if (seen.Changed() == 0) return false;  // applied before: a retry after a dropped link
  RETURN_IF_ERROR(pg::Exec(conn.get(),
                           "INSERT INTO edges (school_id, last_contact, free_bytes) VALUES ($1, $2, $3) "
                           "ON CONFLICT (school_id) DO UPDATE SET last_contact = excluded.last_contact, "
                           "free_bytes = excluded.free_bytes",
                           Params().Add(r.school_id).Add(now).Add(r.free_bytes))
                      .status());
  for (const auto& e : r.inventory) {
    RETURN_IF_ERROR(pg::Exec(conn.get(),
                             "INSERT INTO inventory (school_id, lesson_id, state, bytes, updated_at) "
                             "VALUES ($1,$2,$3,$4,$5) ON CONFLICT (school_id, lesson_id) DO UPDATE SET "
                             "state = excluded.state, bytes = excluded.bytes, updated_at = excluded.updated_at",
                             Params().Add(r.school_id).Add(e.lesson_id).Add(e.state).Add(e.bytes).Add(now))
                        .status());
  }
  // The packs for the school that this report shows whole, at their latest version: delivered now,
  // unless an earlier report showed the same version whole.
  RETURN_IF_ERROR(pg::Exec(conn.get(),
                           "INSERT INTO pack_deliveries (school_id, pack_id, version, completed_at) "
                           "SELECT $1, p.id, p.latest_version, $2 FROM packs p "
                           "JOIN pack_items i ON i.pack_id = p.id AND i.version = p.latest_version "
                           "LEFT JOIN inventory inv ON inv.school_id = $1 AND inv.lesson_id = i.lesson_id "
                           "WHERE " + TargetsSchool("$1") +
                               " GROUP BY p.id HAVING count(*) = count(*) FILTER (WHERE inv.state = 'complete') "
                               "ON CONFLICT DO NOTHING",
                           Params().Add(r.school_id).Add(now))
                      .status());
  std::int64_t seq = 0;
  for (const auto& p : r.plays) {
    RETURN_IF_ERROR(pg::Exec(conn.get(),
                             "INSERT INTO plays (school_id, report_id, seq, lesson_id, started_at, seconds, starts) "
                             "VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING",
                             Params().Add(r.school_id).Add(r.report_id).Add(seq++).Add(p.lesson_id).Add(p.started_at)
                                 .Add(p.seconds).Add(p.starts_a_play ? 1 : 0))
                        .status());
  }
  RETURN_IF_ERROR(tx.Commit());
  return true;
}

Result<std::vector<EdgeContact>> PostgresCatalogStore::ListEdges() {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT school_id, last_contact, free_bytes FROM edges ORDER BY school_id"));
  std::vector<EdgeContact> out;
  for (int i = 0; i < r.size(); ++i) out.push_back({r.Text(i, 0), r.Int(i, 1), r.Int(i, 2)});
  return out;
}

Result<std::vector<CoverageRow>> PostgresCatalogStore::Coverage(const std::string& community_id) {
  if (!community_id.empty()) RETURN_IF_ERROR(GetCommunity(community_id).status());
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(
      Rows r,
      pg::Exec(conn.get(),
               "SELECT s.id, s.name, s.county, p.id, p.latest_version, count(i.lesson_id), "
               "  count(*) FILTER (WHERE inv.state = 'complete'), "
               "  coalesce(sum(CASE WHEN inv.state = 'complete' THEN 0 ELSE l.total_bytes - coalesce(inv.bytes, 0) "
               "END), 0), coalesce(max(e.last_contact), 0) "
               "FROM schools s CROSS JOIN packs p "
               "JOIN pack_items i ON i.pack_id = p.id AND i.version = p.latest_version "
               "JOIN lessons l ON l.id = i.lesson_id "
               "LEFT JOIN inventory inv ON inv.school_id = s.id AND inv.lesson_id = i.lesson_id "
               "LEFT JOIN edges e ON e.school_id = s.id "
               "WHERE ($1 = '' OR s.id IN (SELECT school_id FROM community_members WHERE community_id = $1)) AND " +
                   TargetsSchool("s.id") + " GROUP BY s.id, p.id ORDER BY s.id, p.id",
               Params().Add(community_id)));
  std::vector<CoverageRow> out;
  for (int i = 0; i < r.size(); ++i) {
    CoverageRow row;
    row.school_id = r.Text(i, 0);
    row.school_name = r.Text(i, 1);
    row.county = r.Text(i, 2);
    row.pack_id = r.Int(i, 3);
    row.version = r.Int(i, 4);
    row.items = static_cast<int>(r.Int(i, 5));
    row.items_complete = static_cast<int>(r.Int(i, 6));
    row.bytes_missing = r.Int(i, 7);
    row.last_contact = r.Int(i, 8);
    out.push_back(std::move(row));
  }
  return out;
}

Result<std::vector<MonthlyRow>> PostgresCatalogStore::MonthlyPlays(const std::string& month,
                                                                    const std::string& county) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT coalesce(cm.community_id, ''), s.county, l.subject, l.grade, sum(p.starts), "
                                    "sum(p.seconds) / 60.0 "
                                    "FROM plays p JOIN schools s ON s.id = p.school_id JOIN lessons l ON l.id = p.lesson_id "
                                    "LEFT JOIN community_members cm ON cm.school_id = p.school_id "
                                    "WHERE " + MonthOf("p.started_at") + " = $1 AND ($2 = '' OR s.county = $2) "
                                    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
                                    Params().Add(month).Add(county)));
  std::vector<MonthlyRow> out;
  for (int i = 0; i < r.size(); ++i) {
    out.push_back({r.Text(i, 0), r.Text(i, 1), r.Text(i, 2), r.Text(i, 3), r.Int(i, 4), r.Double(i, 5)});
  }
  return out;
}

Result<std::int64_t> PostgresCatalogStore::LessonsPublishedIn(const std::string& month) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(), "SELECT count(*) FROM lessons WHERE " + MonthOf("created_at") + " = $1",
                                    Params().Add(month)));
  return r.Int(0, 0);
}

Result<std::int64_t> PostgresCatalogStore::PacksDeliveredIn(const std::string& month, const std::string& county) {
  ASSIGN_OR_RETURN(auto conn, pool().Acquire());
  // A pack counts once per school even when two of its versions were delivered there that month.
  ASSIGN_OR_RETURN(Rows r, pg::Exec(conn.get(),
                                    "SELECT count(DISTINCT (d.school_id, d.pack_id)) FROM pack_deliveries d "
                                    "JOIN schools s ON s.id = d.school_id WHERE " + MonthOf("d.completed_at") +
                                        " = $1 AND ($2 = '' OR s.county = $2)",
                                    Params().Add(month).Add(county)));
  return r.Int(0, 0);
}

}  // namespace lm::catalog
