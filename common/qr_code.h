#pragma once
// QR codes (微课二维码): the module matrix, and the code drawn as SVG. The edge makes one per lesson
// for the classroom page and the printable page of a pack's codes; the PDF QR sheets of the catalog
// and the edge (common/qr_sheet.h) draw the same matrix. Built on
// libqrencode, whose QRcode* is owned by a unique_ptr from the line that makes it. Pure functions;
// any thread may call them (libqrencode is built thread-safe on Debian).

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm {

struct QrSvgOptions {
  int module_px = 6;      // side of one module in CSS pixels (the SVG scales; this is its natural size)
  int quiet_modules = 4;  // white border, in modules (the standard asks for 4)
};

// The modules of `text` encoded byte by byte at error correction level M, in the smallest version
// that holds it: `width` rows of `width` booleans, true = dark. kInvalidArgument when `text` is
// empty or too long for any version.
struct QrMatrix {
  int width = 0;
  std::vector<bool> dark;  // row-major
  bool At(int x, int y) const { return dark[static_cast<size_t>(y) * width + x]; }
};
Result<QrMatrix> EncodeQr(std::string_view text);

// `text` as a standalone SVG document: a white square with the quiet zone and one path of dark
// modules (runs of a row drawn as one rectangle), crisp at any scale.
Result<std::string> QrSvg(std::string_view text, const QrSvgOptions& options = {});

}  // namespace lm
