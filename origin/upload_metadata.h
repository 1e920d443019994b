#pragma once
// What a teacher's tus Upload-Metadata says about the lesson being uploaded: its title (or the
// file's name), teacher, subject, grade, and its chapters ("chapters": a JSON chapter list, read by
// bundle::ParseChapterList like the body of PUT /v1/lessons/{lesson}/chapters). The origin refuses
// metadata the job could not use at POST /uploads, before any byte is sent, and the transcode job
// reads the same metadata into the bundle's lesson.json. Pure functions.

#include <map>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/status.h"

namespace lm::origin {

struct UploadedLesson {
  bundle::LessonMetadata metadata;
  std::vector<bundle::Chapter> chapters;  // checked except against the duration, not known yet
};

// kInvalidArgument naming the field ("chapters", "chapters[1].end_s") for chapters that are not a
// valid chapter list.
Result<UploadedLesson> LessonFromUploadMetadata(const std::map<std::string, std::string>& metadata);

}  // namespace lm::origin
