#pragma once
// A published pack version's printable QR sheet (微课二维码, common/qr_sheet.h), as the catalog
// prints it for an admin or a supervisor: each item's title, teacher and duration from the lessons
// it holds, its code http://<lan_name>/l/<lesson id> (the URL every edge answers), the pack's
// communities and schools by name. The catalog keeps no bundle files: posters are fetched from
// each lesson's web seed (the origin), checked against the size and XXH3 lesson.json gives, within
// one time budget for the whole sheet; a poster that cannot be had in time is an empty frame.
// Reentrant (the store is thread-safe); it blocks for up to the budget plus the drawing.

#include <string>

#include "catalog/catalog_store.h"
#include "common/status.h"

namespace lm::catalog {

struct PackSheetOptions {
  std::string lan_name;        // CatalogConfig::lan_name
  int poster_budget_ms = 5000;  // for fetching all the posters of one sheet
};

Result<std::string> PackQrSheetPdf(CatalogStore& store, const PackVersion& version, const PackSheetOptions& options);

}  // namespace lm::catalog
