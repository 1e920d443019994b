// A lesson's new version may change only lesson.json (its chapters): the catalog lets it take the
// old lesson's place in packs only if its media files are the old one's, path, size and digest.
// (That it then does, and edges' packs follow, is tested end to end in
// tests/origin/origin_service_test.cpp, ChaptersAndClipsBecomeNewRegisteredLessons.)

#include "catalog/lesson_versions.h"

#include <gtest/gtest.h>

#include "bundle/lesson_manifest.h"

namespace lm::catalog {
namespace {

bundle::LessonManifest Lesson240p() {
  bundle::LessonManifest m;
  m.id = "0123456789abcdef0123456789abcdef";
  m.metadata = {"分数的初步认识", "王老师", "数学", "三年级"};
  m.duration_seconds = 600;
  m.master_playlist = "master.m3u8";
  m.renditions.push_back({"240p", "240p.mp4", "240p.m3u8", 426, 240, 15, 300000, 250000, "avc1.64001e,mp4a.40.2",
                          2000000, 100});
  for (const char* path : {"master.m3u8", "240p.mp4", "240p.m3u8"}) m.files.push_back({path, 1000, std::string(32, 'a')});
  return m;
}

Lesson Registered(const bundle::LessonManifest& m) {
  Lesson l;
  l.id = m.id;
  l.revises = m.revises;
  l.manifest_json = bundle::WriteLessonManifest(m);
  return l;
}

TEST(LessonVersionsTest, AVersionKeepsTheMediaAndChangesOnlyLessonJson) {
  const bundle::LessonManifest old = Lesson240p();
  bundle::LessonManifest version = old;
  version.id = "fedcba9876543210fedcba9876543210";
  version.revises = old.id;
  version.chapters = {{0, 300, "导入"}, {300, 600, "练习"}};
  EXPECT_TRUE(CheckIsVersionOf(Registered(version), Registered(old)).ok());

  bundle::LessonManifest other_media = version;
  other_media.files[1].xxh3_128 = std::string(32, 'b');
  Status st = CheckIsVersionOf(Registered(other_media), Registered(old));
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(st.field(), "manifest.revises");
  EXPECT_NE(st.message().find("keeps the media"), std::string::npos) << st.ToString();

  bundle::LessonManifest more_files = version;
  more_files.files.push_back({"poster.jpg", 1000, std::string(32, 'a')});
  ASSERT_TRUE(bundle::ParseLessonManifest(bundle::WriteLessonManifest(more_files)).ok());
  st = CheckIsVersionOf(Registered(more_files), Registered(old));
  EXPECT_EQ(st.field(), "manifest.revises") << st.ToString();
  EXPECT_NE(st.message().find("keeps the media"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace lm::catalog
