#include "common/qr_sheet.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <pango/pangocairo.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "common/qr_code.h"

namespace lm {

namespace {

template <auto F>
struct Free {
  void operator()(auto* p) const noexcept { F(p); }
};
using SurfacePtr = std::unique_ptr<cairo_surface_t, Free<cairo_surface_destroy>>;
using CairoPtr = std::unique_ptr<cairo_t, Free<cairo_destroy>>;
using LayoutPtr = std::unique_ptr<PangoLayout, Free<g_object_unref>>;
using FontPtr = std::unique_ptr<PangoFontDescription, Free<pango_font_description_free>>;
using TjPtr = std::unique_ptr<void, Free<tjDestroy>>;

// A4 portrait in PostScript points, and the grid of entries on it.
constexpr double kPageWidth = 595.276, kPageHeight = 841.890;
constexpr double kMargin = 36;
constexpr double kGridTop = 100, kGridBottom = kPageHeight - 52;
constexpr int kColumns = 2, kRows = kQrSheetEntriesPerPage / kColumns;
constexpr double kCellWidth = (kPageWidth - 2 * kMargin) / kColumns;
constexpr double kCellHeight = (kGridBottom - kGridTop) / kRows;
constexpr double kPad = 8;
constexpr double kQrSide = 128;  // with its quiet zone: ~3 pt a module for a lesson URL, 6 px at 150 dpi
constexpr int kMaxPosterSide = 8192;
// Fontconfig picks the first family it has; the install script installs the first.
constexpr char kFamily[] = "WenQuanYi Micro Hei, Noto Sans CJK SC, Droid Sans Fallback, sans-serif";

cairo_status_t AppendTo(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

std::string Duration(double seconds) {
  const long s = std::lround(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

// `text` at (x, y), wrapped to `width` and cut with an ellipsis after `max_lines`; the height used.
double DrawText(cairo_t* cr, const std::string& text, double size_pt, bool bold, double x, double y, double width,
                int max_lines, PangoAlignment align = PANGO_ALIGN_LEFT) {
  if (text.empty()) return 0;
  LayoutPtr layout(pango_cairo_create_layout(cr));
  FontPtr font(pango_font_description_from_string(kFamily));
  pango_font_description_set_absolute_size(font.get(), size_pt * PANGO_SCALE);
  if (bold) pango_font_description_set_weight(font.get(), PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_width(layout.get(), static_cast<int>(width * PANGO_SCALE));
  pango_layout_set_wrap(layout.get(), PANGO_WRAP_WORD_CHAR);
  pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  pango_layout_set_height(layout.get(), -max_lines);
  pango_layout_set_alignment(layout.get(), align);
  pango_layout_set_text(layout.get(), text.data(), static_cast<int>(text.size()));
  cairo_move_to(cr, x, y);
  pango_cairo_show_layout(cr, layout.get());
  int w = 0, h = 0;
  pango_layout_get_size(layout.get(), &w, &h);
  return static_cast<double>(h) / PANGO_SCALE;
}

// The code with its quiet zone as a white square of side `side` at (x, y), dark modules as runs
// of a row, all in one path filled once (no seams between neighbours when rasterised).
void DrawQr(cairo_t* cr, const QrMatrix& m, double x, double y, double side) {
  constexpr int kQuiet = 4;
  const double module = side / (m.width + 2 * kQuiet);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_rectangle(cr, x, y, side, side);
  cairo_fill(cr);
  cairo_set_source_rgb(cr, 0, 0, 0);
  for (int row = 0; row < m.width; ++row) {
    for (int col = 0; col < m.width;) {
      if (!m.At(col, row)) {
        ++col;
        continue;
      }
      int run = 1;
      while (col + run < m.width && m.At(col + run, row)) ++run;
      cairo_rectangle(cr, x + (col + kQuiet) * module, y + (row + kQuiet) * module, run * module, module);
      col += run;
    }
  }
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  cairo_fill(cr);
}

// The poster as an image surface carrying its JPEG bytes (so the PDF embeds them as they are);
// null when they are not a JPEG libjpeg-turbo decodes. `jpeg` must outlive the surface's PDF.
SurfacePtr PosterSurface(const std::string& jpeg) {
  if (jpeg.empty()) return nullptr;
  TjPtr tj(tjInitDecompress());
  if (!tj) return nullptr;
  auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(jpeg.data()));
  const auto size = static_cast<unsigned long>(jpeg.size());
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(tj.get(), bytes, size, &width, &height, &subsampling, &colorspace) != 0) return nullptr;
  if (width <= 0 || height <= 0 || width > kMaxPosterSide || height > kMaxPosterSide) return nullptr;
  SurfacePtr image(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  if (cairo_surface_status(image.get()) != CAIRO_STATUS_SUCCESS) return nullptr;
  cairo_surface_flush(image.get());
  // RGB24 is 0x00RRGGBB in native order: B, G, R, X bytes on the little-endian machines we run on.
  const int pixel = G_BYTE_ORDER == G_LITTLE_ENDIAN ? TJPF_BGRX : TJPF_XRGB;
  if (tjDecompress2(tj.get(), bytes, size, cairo_image_surface_get_data(image.get()), width,
                    cairo_image_surface_get_stride(image.get()), height, pixel, 0) != 0) {
    return nullptr;
  }
  cairo_surface_mark_dirty(image.get());
  if (cairo_surface_set_mime_data(image.get(), CAIRO_MIME_TYPE_JPEG, bytes, size, nullptr, nullptr) !=
      CAIRO_STATUS_SUCCESS) {
    return nullptr;
  }
  return image;
}

// The poster fitted (aspect kept) and centred in the box, or the box saying there is none.
void DrawPoster(cairo_t* cr, const QrSheetEntry& entry, double x, double y, double w, double h) {
  cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
  SurfacePtr poster = PosterSurface(entry.poster_jpeg);
  if (!poster) {
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    DrawText(cr, entry.duration_s > 0 ? "无封面" : "课件", 9, false, x, y + h / 2 - 6, w, 1, PANGO_ALIGN_CENTER);
    return;
  }
  const double pw = cairo_image_surface_get_width(poster.get());
  const double ph = cairo_image_surface_get_height(poster.get());
  const double scale = std::min(w / pw, h / ph);
  cairo_save(cr);
  cairo_translate(cr, x + (w - pw * scale) / 2, y + (h - ph * scale) / 2);
  cairo_scale(cr, scale, scale);
  cairo_set_source_surface(cr, poster.get(), 0, 0);
  cairo_paint(cr);
  cairo_restore(cr);
}

void DrawEntry(cairo_t* cr, const QrSheetEntry& entry, const QrMatrix& code, double x, double y) {
  // A thin frame to cut along.
  cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
  cairo_set_line_width(cr, 0.5);
  const double dash[] = {3, 2};
  cairo_set_dash(cr, dash, 2, 0);
  cairo_rectangle(cr, x + 2, y + 2, kCellWidth - 4, kCellHeight - 4);
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);

  DrawQr(cr, code, x + kPad, y + kPad, kQrSide);
  const double tx = x + kPad + kQrSide + kPad;
  const double tw = x + kCellWidth - kPad - tx;
  double ty = y + kPad + 4;
  const double poster_h = tw * 9 / 16;
  DrawPoster(cr, entry, tx, ty, tw, poster_h);
  ty += poster_h + 6;
  cairo_set_source_rgb(cr, 0, 0, 0);
  ty += DrawText(cr, entry.title, 11, true, tx, ty, tw, 3) + 3;
  cairo_set_source_rgb(cr, 0.25, 0.25, 0.25);
  if (!entry.teacher.empty()) ty += DrawText(cr, "主讲：" + entry.teacher, 9, false, tx, ty, tw, 1) + 1;
  if (entry.duration_s > 0) DrawText(cr, "时长：" + Duration(entry.duration_s), 9, false, tx, ty, tw, 1);
  // Under the code: what to do with it.
  cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
  DrawText(cr, "校园网内扫码观看", 8, false, x + kPad, y + kPad + kQrSide + 2, kQrSide, 1, PANGO_ALIGN_CENTER);
}

void DrawPageFrame(cairo_t* cr, const QrSheet& sheet, int page, int pages) {
  cairo_set_source_rgb(cr, 0, 0, 0);
  DrawText(cr, sheet.title.empty() ? "微课二维码" : sheet.title + " · 微课二维码", 18, true, kMargin, kMargin,
           kPageWidth - 2 * kMargin, 1);
  cairo_set_source_rgb(cr, 0.3, 0.3, 0.3);
  DrawText(cr, sheet.subtitle, 10.5, false, kMargin, kMargin + 30, kPageWidth - 2 * kMargin, 1);
  cairo_set_line_width(cr, 1);
  cairo_move_to(cr, kMargin, kGridTop - 8);
  cairo_line_to(cr, kPageWidth - kMargin, kGridTop - 8);
  cairo_stroke(cr);
  std::string footer = sheet.footer;
  if (!footer.empty()) footer += "　　";
  footer += "第 " + std::to_string(page) + " / " + std::to_string(pages) + " 页";
  DrawText(cr, footer, 8.5, false, kMargin, kPageHeight - kMargin - 6, kPageWidth - 2 * kMargin, 2,
           PANGO_ALIGN_CENTER);
}

}  // namespace

Result<std::string> RenderQrSheetPdf(const QrSheet& sheet) {
  // Every code first: a URL that fits no code is the caller's error, before anything is drawn.
  std::vector<QrMatrix> codes;
  codes.reserve(sheet.entries.size());
  for (const QrSheetEntry& e : sheet.entries) {
    auto code = EncodeQr(e.url);
    if (!code.ok()) return Status(StatusCode::kInvalidArgument, code.status().message(), "url");
    codes.push_back(std::move(*code));
  }
  std::string pdf;
  {
    SurfacePtr surface(cairo_pdf_surface_create_for_stream(&AppendTo, &pdf, kPageWidth, kPageHeight));
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_TITLE, (sheet.title + " 微课二维码").c_str());
    cairo_pdf_surface_set_metadata(surface.get(), CAIRO_PDF_METADATA_CREATOR, "LessonMesh");
    CairoPtr cr(cairo_create(surface.get()));
    const int n = static_cast<int>(sheet.entries.size());
    const int pages = std::max(1, (n + kQrSheetEntriesPerPage - 1) / kQrSheetEntriesPerPage);
    for (int page = 0; page < pages; ++page) {
      DrawPageFrame(cr.get(), sheet, page + 1, pages);
      for (int slot = 0; slot < kQrSheetEntriesPerPage; ++slot) {
        const int i = page * kQrSheetEntriesPerPage + slot;
        if (i >= n) break;
        DrawEntry(cr.get(), sheet.entries[i], codes[i], kMargin + (slot % kColumns) * kCellWidth,
                  kGridTop + static_cast<double>(slot / kColumns) * kCellHeight);
      }
      cairo_show_page(cr.get());
    }
    if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
      return Internal(std::string("cairo: ") + cairo_status_to_string(cairo_status(cr.get())));
    }
    cr.reset();
    cairo_surface_finish(surface.get());
    if (cairo_surface_status(surface.get()) != CAIRO_STATUS_SUCCESS) {
      return Internal(std::string("cairo PDF: ") + cairo_status_to_string(cairo_surface_status(surface.get())));
    }
  }
  return pdf;
}

}  // namespace lm
