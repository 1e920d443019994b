// lesson.json: what the transcoder writes is what every reader gets back, and a manifest that is
// malformed or names a path outside its bundle is refused with the field named.

#include "bundle/lesson_manifest.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/testing/temp_dir.h"

namespace lm::bundle {
namespace {

using nlohmann::json;

LessonManifest SampleLesson() {
  LessonManifest m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
  m.duration_seconds = 2412.5;
  m.source = {"fedcba9876543210fedcba9876543210", 123456789, "mov,mp4,m4a,3gp,3g2,mj2", "h264", 1920, 1080,
              90, false, "aac"};
  m.settings = "lm-ladder-lesson-v3";
  m.master_playlist = "master.m3u8";
  m.poster = "poster.jpg";
  m.renditions.push_back({"480p", "480p.mp4", "480p.m3u8", 854, 480, 25, 900000, 800000,
                          "avc1.64001e,mp4a.40.2", 5000000, 402});
  m.renditions.push_back({"audio", "audio.mp4", "audio.m3u8", 0, 0, 0, 52000, 48000, "mp4a.40.2", 300000, 402});
  for (const char* path : {"master.m3u8", "480p.mp4", "480p.m3u8", "audio.mp4", "audio.m3u8", "poster.jpg"}) {
    m.files.push_back({path, 1000 + static_cast<std::int64_t>(m.files.size()), std::string(32, 'a')});
  }
  return m;
}

// The manifest's JSON with one edit applied.
std::string Edited(const std::function<void(json&)>& edit) {
  json j = json::parse(WriteLessonManifest(SampleLesson()));
  edit(j);
  return j.dump();
}

TEST(LessonManifestTest, WhatIsWrittenReadsBackWhole) {
  const LessonManifest m = SampleLesson();
  const std::string text = WriteLessonManifest(m);
  auto back = ParseLessonManifest(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(WriteLessonManifest(*back), text);
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->metadata.title, "分数的初步认识");
  EXPECT_EQ(back->source.rotation, 90);
  ASSERT_EQ(back->renditions.size(), 2u);
  EXPECT_EQ(back->renditions[0].codecs, "avc1.64001e,mp4a.40.2");
  EXPECT_FALSE(back->renditions[1].is_video());
  EXPECT_EQ(back->TotalBytes(), 1000 + 1001 + 1002 + 1003 + 1004 + 1005);
  ASSERT_NE(back->FindFile("poster.jpg"), nullptr);
  EXPECT_EQ(back->FindFile("poster.jpg")->size_bytes, 1005);
  EXPECT_EQ(back->FindFile("../poster.jpg"), nullptr);
  // Key order is fixed: the bytes are stable for the same bundle.
  EXPECT_LT(text.find("\"schema\""), text.find("\"id\""));
  EXPECT_LT(text.find("\"renditions\""), text.find("\"files\""));
}

TEST(LessonManifestTest, ChaptersAndClipParentReadBack) {
  LessonManifest m = SampleLesson();
  m.chapters = {{0, 310, "复习"}, {310, 760, "分数的意义"}, {760, 2412.5, "练习"}};
  m.parent = ClipParent{"fedcba9876543210fedcba9876543210", 310, 760};
  m.revises = "00112233445566778899aabbccddeeff";
  const std::string text = WriteLessonManifest(m);
  auto back = ParseLessonManifest(text);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(WriteLessonManifest(*back), text);
  ASSERT_EQ(back->chapters.size(), 3u);
  EXPECT_EQ(back->chapters[1].title, "分数的意义");
  EXPECT_EQ(back->chapters[1].start_seconds, 310);
  EXPECT_EQ(back->chapters[2].end_seconds, 2412.5);
  ASSERT_TRUE(back->parent.has_value());
  EXPECT_EQ(back->parent->lesson_id, "fedcba9876543210fedcba9876543210");
  EXPECT_EQ(back->parent->end_seconds, 760);
  EXPECT_EQ(back->revises, "00112233445566778899aabbccddeeff");
  // A lesson without either writes neither key.
  const json plain = json::parse(WriteLessonManifest(SampleLesson()));
  EXPECT_EQ(plain.count("chapters"), 0u);
  EXPECT_EQ(plain.count("parent"), 0u);
}

TEST(LessonManifestTest, BadChaptersNameTheField) {
  const std::vector<std::pair<std::vector<Chapter>, std::string>> cases = {
      {{{0, 10, ""}}, "chapters[0].title"},
      {{{0, 10, "a"}, {20, 10, "b"}}, "chapters[1].end_s"},
      {{{0, 10, "a"}, {5, 20, "b"}}, "chapters[1].start_s"},
      {{{0, 3000, "a"}}, "chapters[0].end_s"},
      {{{-1, 10, "a"}}, "chapters[0].start_s"},
      {{{0, 10, "a\nb"}}, "chapters[0].title"},
  };
  for (const auto& [chapters, field] : cases) {
    const Status st = ValidateChapters(chapters, 2412.5);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_EQ(st.field(), field);
  }
  EXPECT_TRUE(ValidateChapters({{0, 10, "a"}, {10, 2412.5, "b"}}, 2412.5).ok());
  auto parsed = ParseLessonManifest(Edited([](json& j) { j["chapters"] = {{{"start_s", 5}, {"end_s", 1}, {"title", "x"}}}; }));
  EXPECT_EQ(parsed.status().field(), "chapters[0].end_s");
  parsed = ParseLessonManifest(Edited([](json& j) { j["parent"] = {{"lesson_id", "nope"}, {"start_s", 0}, {"end_s", 1}}; }));
  EXPECT_EQ(parsed.status().field(), "parent.lesson_id");
  parsed = ParseLessonManifest(Edited([](json& j) { j["revises"] = "old"; }));
  EXPECT_EQ(parsed.status().field(), "revises");
}

// One reader for the chapter lists teachers send (PUT body, upload metadata) and lesson.json's.
TEST(LessonManifestTest, ChapterListsReadAsLessonJsonWritesThem) {
  const std::vector<Chapter> chapters = {{0, 310, "导入"}, {310, 760.5, "分数的意义"}};
  const std::string text = WriteChapterList(chapters);
  EXPECT_EQ(json::parse(text), json::parse(R"([{"start_s":0.0,"end_s":310.0,"title":"导入"},)"
                                           R"({"start_s":310.0,"end_s":760.5,"title":"分数的意义"}])"));
  auto back = ParseChapterList(text, kDurationNotYetKnown);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].title, "分数的意义");
  EXPECT_EQ((*back)[1].end_seconds, 760.5);
  EXPECT_TRUE(ParseChapterList("[]", 10).ok());
  EXPECT_EQ(ParseChapterList(text, 700).status().field(), "chapters[1].end_s");  // past the end of a known duration

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"not json", "chapters"},
      {R"({"start_s":0})", "chapters"},
      {R"([1])", "chapters[0]"},
      {R"([{"end_s":5,"title":"a"}])", "chapters[0].start_s"},
      {R"([{"start_s":0,"end_s":"5","title":"a"}])", "chapters[0].end_s"},
      {R"([{"start_s":0,"end_s":5}])", "chapters[0].title"},
      {R"([{"start_s":0,"end_s":5,"title":"a"},{"start_s":4,"end_s":9,"title":"b"}])", "chapters[1].start_s"},
  };
  for (const auto& [text, field] : bad) {
    const auto parsed = ParseChapterList(text, kDurationNotYetKnown);
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(parsed.status().field(), field) << text;
  }
}

TEST(LessonManifestTest, DocumentsHaveTheirFileAndNoLadder) {
  LessonManifest m;
  m.id = "00000000000000000000000000000001";
  m.kind = BundleKind::kDocument;
  m.metadata.title = "课件";
  m.document = "document.pdf";
  m.document_type = "application/pdf";
  m.files.push_back({"document.pdf", 600000, "0123456789abcdef0123456789abcdef"});
  auto back = ParseLessonManifest(WriteLessonManifest(m));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->kind, BundleKind::kDocument);
  EXPECT_EQ(back->document, "document.pdf");
  EXPECT_TRUE(back->renditions.empty());
  EXPECT_EQ(json::parse(WriteLessonManifest(m)).count("renditions"), 0u);
}

TEST(LessonManifestTest, PathsOutsideTheBundleAreRefused) {
  for (const char* bad : {"../etc/passwd", "/etc/passwd", "a/../../b", "./x", "a//b", "a\\b", ".hidden", "",
                          "a/", "x\ny"}) {
    EXPECT_FALSE(IsSafeBundlePath(bad)) << bad;
    auto parsed = ParseLessonManifest(Edited([&](json& j) { j["files"][3]["path"] = bad; }));
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(parsed.status().field(), "files[3].path") << bad;
  }
  for (const char* good : {"720p.mp4", "chapters/01.m3u8", "课件.pdf"}) EXPECT_TRUE(IsSafeBundlePath(good)) << good;
  EXPECT_FALSE(IsSafeBundlePath(std::string(256, 'a')));
}

TEST(LessonManifestTest, MalformedManifestsNameTheField) {
  struct Case {
    std::function<void(json&)> edit;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j["id"] = "xyz"; }, "id"},
      {[](json& j) { j.erase("id"); }, "id"},
      {[](json& j) { j["schema"] = 2; }, "schema"},
      {[](json& j) { j["kind"] = "movie"; }, "kind"},
      {[](json& j) { j["title"] = 5; }, "title"},
      {[](json& j) { j["files"][0]["size"] = -1; }, "files[0].size"},
      {[](json& j) { j["files"][0]["size"] = "12"; }, "files[0].size"},
      {[](json& j) { j["files"][1]["xxh3_128"] = "abc"; }, "files[1].xxh3_128"},
      {[](json& j) { j["files"][2]["path"] = j["files"][1]["path"]; }, "files[2].path"},
      {[](json& j) { j["files"] = json::object(); }, "files"},
      {[](json& j) { j["master"] = "other.m3u8"; }, "master"},
      {[](json& j) { j["renditions"][1]["file"] = "missing.mp4"; }, "renditions[1].file"},
      {[](json& j) { j["renditions"][0]["width"] = "wide"; }, "renditions[0].width"},
      {[](json& j) { j["source"]["video"]["interlaced"] = "no"; }, "source.video.interlaced"},
      // Found by tests/fuzz: an int-sized width that wrote back negative, sizes whose total overflowed.
      {[](json& j) { j["source"]["video"]["width"] = 2147483648LL; }, "source.video"},
      {[](json& j) { j["files"][1]["size"] = kMaxBundleBytes; }, "files[1].size"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    auto parsed = ParseLessonManifest(Edited(cases[i].edit));
    ASSERT_FALSE(parsed.ok()) << "case " << i;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << "case " << i;
    EXPECT_EQ(parsed.status().field(), cases[i].field) << "case " << i << ": " << parsed.status().ToString();
  }
  const std::string text = WriteLessonManifest(SampleLesson());
  EXPECT_FALSE(ParseLessonManifest(text.substr(0, text.size() / 2)).ok());
  EXPECT_FALSE(ParseLessonManifest("[]").ok());
  EXPECT_FALSE(ParseLessonManifest("").ok());
}

TEST(LessonManifestTest, ReadsFromTheBundleDirectory) {
  lm::testing::TempDir tmp;
  EXPECT_EQ(ReadLessonManifest(tmp.path()).status().code(), StatusCode::kNotFound);
  lm::testing::WriteFile(tmp / "lesson.json", WriteLessonManifest(SampleLesson()));
  auto read = ReadLessonManifest(tmp.path());
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->files.size(), 6u);
  lm::testing::WriteFile(tmp / "lesson.json", "{\"schema\": 1");
  auto broken = ReadLessonManifest(tmp.path());
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.status().message().find("lesson.json"), std::string::npos) << broken.status().message();
}

}  // namespace
}  // namespace lm::bundle
