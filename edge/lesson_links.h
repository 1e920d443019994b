#pragma once
// What an edge answers for a printed QR code (微课二维码) and prints itself: GET /l/<lesson id>
// (the URL every code of the community carries, common/lesson_link.h) sends a held lesson's
// viewer to its classroom page (302 to /#lesson=ID); for a lesson not held yet it says so in
// Chinese, with when it is expected (the nearest needed-by date of its packs) and how far its
// download is (HTML, or JSON for Accept: application/json; 404). GET /v1/packs/<id>/qr.pdf prints
// the QR sheet (common/qr_sheet.h) of a pack this edge accepted, with the posters it holds.
// Called by EdgeRoutes on its worker threads; reentrant (the store is thread-safe).

#include <filesystem>
#include <optional>
#include <string>

#include "common/http/http_types.h"
#include "edge/edge_store.h"
#include "edge/transfer.h"

namespace lm::edge {

// `lesson`: the lesson as the store has it (nullopt: no pack of this edge names it);
// `progress`: its download, if one is running.
http::Reply LessonLinkReply(const http::Request& req, const std::string& lesson_id,
                            const std::optional<EdgeLesson>& lesson, const std::optional<DownloadProgress>& progress);

struct PackSheetOptions {
  std::filesystem::path lessons_dir;  // held bundles: lessons/<id>/poster.jpg
  std::string lan_name;               // the codes carry http://<lan_name>/l/<id>
  std::string school_id;
};
http::Reply PackQrSheetReply(const std::string& pack_id, EdgeStore& store, const PackSheetOptions& options);

}  // namespace lm::edge
