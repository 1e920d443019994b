#pragma once
// Supervisors' reports: coverage of a community's schools per pack version, and the monthly
// report (月报) of lessons published, packs delivered, plays and minutes by subject and grade.

#include <string>

#include "catalog/catalog_store.h"
#include "common/http/http_types.h"

namespace lm::catalog {

// GET /v1/reports/coverage?community=ID
http::Reply CoverageReport(CatalogStore& store, const http::Request& req);
// GET /v1/reports/monthly?month=YYYY-MM[&county=][&format=csv]
http::Reply MonthlyReport(CatalogStore& store, const http::Request& req);

}  // namespace lm::catalog
