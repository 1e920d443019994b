#pragma once
// Reads a PDF back as a person would: its page size (pdfinfo), its pages rasterised by poppler's pdftoppm at 150 dpi (a
// home printer's resolution) and every QR code on them decoded by zbar's zbarimg, and its text by
// pdftotext. For the tests of the printed QR sheets. Files go under the caller's directory.

#include <filesystem>
#include <string>
#include <vector>

namespace lm::testing {

struct PdfPages {
  std::string error;                  // "" or why the PDF could not be read
  int pages = 0;                      // pages rasterised
  std::string page_size;              // as pdfinfo gives it: "595.276 x 841.89 pts (A4)"
  std::vector<std::string> qr_codes;  // every code decoded, page by page
};

PdfPages DecodePdfQrCodes(const std::string& pdf, const std::filesystem::path& work_dir);

// The PDF's text (UTF-8) as pdftotext extracts it; "" if it could not.
std::string PdfText(const std::string& pdf, const std::filesystem::path& work_dir);

}  // namespace lm::testing
