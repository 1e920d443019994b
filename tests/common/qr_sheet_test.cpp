// The PDF QR sheet read back as a school would: rasterised at 150 dpi by pdftoppm, every code
// decoded by zbarimg to exactly the URLs given, once each, on A4 pages of eight; the Chinese
// titles, teachers and durations in the text pdftotext extracts; a poster embedded as its JPEG;
// a bad poster drawn as an empty frame; a URL that fits no code refused.

#include "common/qr_sheet.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <regex>

#include "tests/testing/media_fixtures.h"
#include "tests/testing/pdf_reading.h"
#include "tests/testing/temp_dir.h"

namespace lm {
namespace {

std::string NoSpace(std::string s) {
  s.erase(std::remove_if(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); }), s.end());
  return s;
}

std::string LessonUrl(int i) {
  char id[33];
  std::snprintf(id, sizeof id, "%032x", 0xabc000 + i);
  return std::string("http://lessonmesh.local/l/") + id;
}

TEST(QrSheetTest, EveryCodeDecodesToItsUrlAndTheChineseTextIsInThePdf) {
  testing::TempDir tmp;
  ASSERT_TRUE(testing::RunFfmpeg("-f lavfi -i testsrc=size=320x180 -frames:v 1 " + (tmp / "poster.jpg").string()));
  const std::string poster = testing::ReadFile(tmp / "poster.jpg");
  const std::vector<std::string> titles = {"分数的初步认识", "小数的意义", "古诗两首", "认识钟表", "光的反射",
                                           "Unit 3 问路", "三角形的内角和", "春晓朗读", "地球与地图", "乘法口诀"};
  QrSheet sheet;
  sheet.title = "三年级数学微课包";
  sheet.subtitle = "从化区城乡教共体 · 第 2 版";
  sheet.footer = "扫码地址 http://lessonmesh.local/l/…";
  std::vector<std::string> urls;
  for (int i = 0; i < static_cast<int>(titles.size()); ++i) {
    QrSheetEntry e;
    e.title = titles[i];
    e.teacher = i % 2 ? "王老师" : "李红梅";
    e.duration_s = i == 9 ? 0 : 60.0 * (i + 3) + 7;  // the last is a document
    e.poster_jpeg = i == 1 ? "not a jpeg" : (i == 9 ? "" : poster);
    e.url = LessonUrl(i);
    urls.push_back(e.url);
    sheet.entries.push_back(e);
  }
  auto pdf = RenderQrSheetPdf(sheet);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  ASSERT_EQ(pdf->rfind("%PDF-", 0), 0u);
  EXPECT_NE(pdf->find("/DCTDecode"), std::string::npos) << "the poster is embedded as its JPEG";

  const testing::PdfPages read = testing::DecodePdfQrCodes(*pdf, tmp.path());
  ASSERT_EQ(read.error, "");
  EXPECT_EQ(read.pages, 2);  // of eight
  EXPECT_EQ(read.page_size, "595.276 x 841.89 pts (A4)");
  std::vector<std::string> decoded = read.qr_codes;
  std::sort(decoded.begin(), decoded.end());
  EXPECT_EQ(decoded, urls) << "each URL decoded exactly once";

  const std::string text = NoSpace(testing::PdfText(*pdf, tmp.path()));
  ASSERT_FALSE(text.empty());
  for (const auto& t : titles) EXPECT_NE(text.find(NoSpace(t)), std::string::npos) << t;
  EXPECT_NE(text.find("三年级数学微课包"), std::string::npos);
  EXPECT_NE(text.find("从化区城乡教共体"), std::string::npos);
  EXPECT_NE(text.find("主讲：李红梅"), std::string::npos);
  EXPECT_NE(text.find("时长：3:07"), std::string::npos);
  EXPECT_NE(text.find("时长：11:07"), std::string::npos);
  EXPECT_NE(text.find("无封面"), std::string::npos) << "the bad poster is an empty frame";
  EXPECT_NE(text.find("第2/2页"), std::string::npos);
}

TEST(QrSheetTest, AnEmptyPackIsOnePageAndAUrlThatFitsNoCodeIsRefused) {
  testing::TempDir tmp;
  QrSheet empty;
  empty.title = "空的资源包";
  auto pdf = RenderQrSheetPdf(empty);
  ASSERT_TRUE(pdf.ok()) << pdf.status().ToString();
  const testing::PdfPages read = testing::DecodePdfQrCodes(*pdf, tmp.path());
  ASSERT_EQ(read.error, "");
  EXPECT_EQ(read.pages, 1);
  EXPECT_TRUE(read.qr_codes.empty());

  QrSheet bad;
  bad.entries.push_back({"太长", "", 0, "", "http://lessonmesh.local/l/" + std::string(8000, 'a')});
  auto refused = RenderQrSheetPdf(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.status().field(), "url");
}

}  // namespace
}  // namespace lm
