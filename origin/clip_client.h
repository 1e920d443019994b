#pragma once
// The teacher's side of cutting micro-course clips out of a lesson on the origin
// (POST /v1/lessons/{id}/clips): one request, the origin's answer as values. Used by
// `lessonmesh clip`. Blocking; any thread.

#include <string>
#include <vector>

#include "common/status.h"

namespace lm::origin {

struct ClipRequest {
  std::string origin_url;  // "http://origin:8070", no trailing '/'
  std::string token;       // the teacher's (or an admin's)
  std::string lesson_id;
  struct Range {
    std::string at;     // "05:10-12:40"
    std::string title;  // "" = the lesson's
  };
  std::vector<Range> ranges;
  int timeout_ms = 600000;  // cutting re-encodes the partial ends: seconds per clip
};

struct ClipMade {
  std::string lesson_id;
  double start_seconds = 0, end_seconds = 0;
  int segments_copied = 0, segments_reencoded = 0;
};

// The clips made, in the order asked. The origin's refusals keep their meaning: kInvalidArgument
// (a bad range or title; the message is the origin's, naming the field) for 400 and for a token
// it refuses (401/403), kNotFound for an unknown lesson, kIo when it cannot be reached or fails.
Result<std::vector<ClipMade>> RequestClips(const ClipRequest& request);

}  // namespace lm::origin
