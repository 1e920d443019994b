#pragma once
// A resource pack's printable QR sheet (微课二维码), for workbooks and classroom walls: A4 portrait
// PDF pages with the pack's title and community at the top and a grid of entries, each the QR code
// of its URL beside the lesson's poster, title, teacher and duration. Drawn with cairo's PDF surface
// and pango (Chinese in WenQuanYi Micro Hei, embedded as a subset with its Unicode map, so the text
// can be searched and copied); codes from libqrencode (common/qr_code.h), drawn as vector squares;
// posters are JPEG, checked and decoded by libjpeg-turbo and embedded as the JPEG they are. Needs no
// FFmpeg: the catalog and the edge both print. A pure function; any thread may call it.

#include <string>
#include <vector>

#include "common/status.h"

namespace lm {

struct QrSheetEntry {
  std::string title;
  std::string teacher;      // "" = not shown
  double duration_s = 0;    // 0 = not shown (a document)
  std::string poster_jpeg;  // JPEG bytes; "" or not a JPEG = an empty frame saying there is no poster
  std::string url;          // what the code carries
};

struct QrSheet {
  std::string title;     // the pack's title, at the top of every page
  std::string subtitle;  // e.g. the communities it is for; "" = none
  std::string footer;    // at the bottom of every page, before the page number; "" = none
  std::vector<QrSheetEntry> entries;  // in this order, 8 to a page
};

inline constexpr int kQrSheetEntriesPerPage = 8;

// The sheet as PDF bytes (at least one page, even with no entries). kInvalidArgument (field
// "url") when an entry's URL is empty or too long for a QR code; kInternal if cairo fails.
Result<std::string> RenderQrSheetPdf(const QrSheet& sheet);

}  // namespace lm
