#include "tests/testing/pdf_reading.h"

#include <algorithm>
#include <sstream>

#include "tests/testing/child_process.h"
#include "tests/testing/temp_dir.h"

namespace lm::testing {

namespace fs = std::filesystem;

namespace {

// Runs argv to its end (within a minute); "" or what went wrong.
std::string Run(const std::vector<std::string>& argv, const fs::path& dir, std::string* out) {
  ChildProcess child;
  const fs::path out_file = dir / "run.out", err_file = dir / "run.err";
  if (std::string why = child.Start(argv, out_file, err_file); !why.empty()) return argv[0] + ": " + why;
  const auto status = child.Wait(60);
  if (out) *out = child.out();
  // zbarimg exits 4 when an image holds no code: the caller sees an empty list.
  if (!status || (*status != 0 && !(argv[0] == "zbarimg" && *status == 4))) {
    return argv[0] + " failed (" + (status ? std::to_string(*status) : "timeout") + "): " + child.err();
  }
  return "";
}

}  // namespace

PdfPages DecodePdfQrCodes(const std::string& pdf, const fs::path& work_dir) {
  PdfPages result;
  const fs::path dir = work_dir / "pdf-pages";
  fs::create_directories(dir);
  WriteFile(dir / "sheet.pdf", pdf);
  std::string info;
  result.error = Run({"pdfinfo", (dir / "sheet.pdf").string()}, dir, &info);
  if (!result.error.empty()) return result;
  std::istringstream info_lines(info);
  for (std::string line; std::getline(info_lines, line);) {
    if (line.rfind("Page size:", 0) == 0) result.page_size = line.substr(line.find_first_not_of(' ', 10));
  }
  result.error = Run({"pdftoppm", "-r", "150", "-png", (dir / "sheet.pdf").string(), (dir / "page").string()}, dir,
                     nullptr);
  if (!result.error.empty()) return result;
  std::vector<fs::path> pages;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".png") pages.push_back(e.path());
  }
  std::sort(pages.begin(), pages.end());
  result.pages = static_cast<int>(pages.size());
  for (const fs::path& page : pages) {
    std::string out;
    result.error = Run({"zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", page.string()}, dir, &out);
    if (!result.error.empty()) return result;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) result.qr_codes.push_back(line);
    }
  }
  return result;
}

std::string PdfText(const std::string& pdf, const fs::path& work_dir) {
  const fs::path dir = work_dir / "pdf-text";
  fs::create_directories(dir);
  WriteFile(dir / "sheet.pdf", pdf);
  std::string out;
  if (!Run({"pdftotext", "-enc", "UTF-8", (dir / "sheet.pdf").string(), "-"}, dir, &out).empty()) return "";
  return out;
}

}  // namespace lm::testing
