// QR codes as SVG: the drawn modules are exactly libqrencode's (read back from the SVG's path,
// quiet zone included), the three finder patterns sit in their corners, the smallest version that
// holds an edge's lesson URL is chosen, and text that fits no code is refused. That a phone
// decodes them is checked on the printed page in a real browser (tests/web/qr_print_test.mjs).

#include "common/qr_code.h"

#include <gtest/gtest.h>

#include <regex>

namespace lm {
namespace {

const std::string kUrl = "http://192.168.1.20:8080/#lesson=0123456789abcdef0123456789abcdef";

// The dark modules the SVG draws, as a side x side grid (side = viewBox size).
std::vector<std::vector<bool>> Drawn(const std::string& svg, int* side) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(svg, m, std::regex("viewBox=\"0 0 (\\d+) (\\d+)\"")));
  *side = std::stoi(m[1]);
  EXPECT_EQ(m[1], m[2]);
  std::vector<std::vector<bool>> grid(*side, std::vector<bool>(*side, false));
  EXPECT_TRUE(std::regex_search(svg, m, std::regex(" d=\"([^\"]*)\"")));
  const std::string d = m[1];
  const std::regex run("M(\\d+) (\\d+)h(\\d+)v1h-(\\d+)z");
  size_t covered = 0;
  for (auto it = std::sregex_iterator(d.begin(), d.end(), run); it != std::sregex_iterator(); ++it) {
    const int x = std::stoi((*it)[1]), y = std::stoi((*it)[2]), n = std::stoi((*it)[3]);
    EXPECT_EQ(n, std::stoi((*it)[4]));
    for (int i = 0; i < n; ++i) {
      EXPECT_FALSE(grid[y][x + i]) << "module drawn twice at " << x + i << "," << y;
      grid[y][x + i] = true;
    }
    covered += it->length();
  }
  EXPECT_EQ(covered, d.size()) << "the path holds something other than runs";
  return grid;
}

TEST(QrCodeTest, SvgDrawsExactlyTheEncodedModulesInsideAQuietZone) {
  auto matrix = EncodeQr(kUrl);
  ASSERT_TRUE(matrix.ok()) << matrix.status().ToString();
  // 65 bytes at level M: version 4 holds 62, so version 5 (37 x 37) is the smallest.
  ASSERT_EQ(kUrl.size(), 65u);
  EXPECT_EQ(matrix->width, 37);
  auto svg = QrSvg(kUrl, {.module_px = 5, .quiet_modules = 4});
  ASSERT_TRUE(svg.ok()) << svg.status().ToString();
  EXPECT_NE(svg->find("width=\"225\" height=\"225\""), std::string::npos) << *svg;
  int side = 0;
  const auto grid = Drawn(*svg, &side);
  ASSERT_EQ(side, matrix->width + 8);
  std::vector<std::vector<bool>> want(side, std::vector<bool>(side, false));
  for (int y = 0; y < matrix->width; ++y) {
    for (int x = 0; x < matrix->width; ++x) want[y + 4][x + 4] = matrix->At(x, y);
  }
  EXPECT_EQ(grid, want);
}

TEST(QrCodeTest, FinderPatternsSitInThreeCorners) {
  auto m = EncodeQr(kUrl);
  ASSERT_TRUE(m.ok());
  // A finder is a dark 7x7 ring, a light ring inside it and a dark 3x3 core.
  auto finder_at = [&](int x0, int y0) {
    for (int y = 0; y < 7; ++y) {
      for (int x = 0; x < 7; ++x) {
        const int ring = std::max(std::abs(x - 3), std::abs(y - 3));
        if (m->At(x0 + x, y0 + y) != (ring != 2)) return false;
      }
    }
    return true;
  };
  EXPECT_TRUE(finder_at(0, 0));
  EXPECT_TRUE(finder_at(m->width - 7, 0));
  EXPECT_TRUE(finder_at(0, m->width - 7));
  EXPECT_FALSE(finder_at(m->width - 7, m->width - 7));
}

TEST(QrCodeTest, LongerTextTakesALargerVersionAndTooLongIsRefused) {
  auto small = EncodeQr("http://a/");
  auto large = EncodeQr(kUrl + std::string(200, 'x'));
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(large.ok());
  EXPECT_EQ(small->width, 21);  // version 1
  EXPECT_GT(large->width, 37);
  EXPECT_EQ((large->width - 17) % 4, 0);
  EXPECT_EQ(EncodeQr("").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(QrSvg(std::string(4000, 'x')).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lm
