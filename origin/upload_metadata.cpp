#include "origin/upload_metadata.h"

#include <filesystem>

namespace lm::origin {

namespace {

constexpr char kUntitled[] = "未命名课程";

std::string Value(const std::map<std::string, std::string>& metadata, const std::string& key) {
  auto it = metadata.find(key);
  return it == metadata.end() ? std::string() : it->second;
}

}  // namespace

Result<UploadedLesson> LessonFromUploadMetadata(const std::map<std::string, std::string>& metadata) {
  UploadedLesson lesson;
  lesson.metadata.title = Value(metadata, "title");
  if (lesson.metadata.title.empty()) {
    lesson.metadata.title = std::filesystem::path(Value(metadata, "filename")).stem().string();
  }
  if (lesson.metadata.title.empty()) lesson.metadata.title = kUntitled;
  lesson.metadata.teacher = Value(metadata, "teacher");
  lesson.metadata.subject = Value(metadata, "subject");
  lesson.metadata.grade = Value(metadata, "grade");
  if (auto chapters = metadata.find("chapters"); chapters != metadata.end() && !chapters->second.empty()) {
    ASSIGN_OR_RETURN(lesson.chapters, bundle::ParseChapterList(chapters->second, bundle::kDurationNotYetKnown));
  }
  return lesson;
}

}  // namespace lm::origin
