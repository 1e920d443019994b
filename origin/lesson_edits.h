#pragma once
// What a teacher changes in a lesson after its upload, through the origin: its chapters
// (PUT /v1/lessons/{lesson}/chapters: a new version of the bundle with the chapters in lesson.json)
// and micro-course clips cut from it (POST /v1/lessons/{lesson}/clips: one new bundle per range).
// Only the teacher who uploaded the lesson (or whose lesson it was cut or revised from) and admins
// may. Each new bundle is published (seeded, tracked) and registered with the catalog as a lesson.
// Knows no sockets; thread-safe (requests run on the HTTP server's worker threads).

#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <variant>
#include <vector>

#include "common/http/http_types.h"
#include "common/status.h"
#include "origin/job_queue.h"
#include "origin/upload_store.h"
#include "origin/uploader_auth.h"
#include "transcoder/bundle.h"

namespace lm::origin {

struct LessonEditsParts {
  UploaderAuth& auth;
  JobQueue& jobs;
  UploadStore& uploads;
  std::filesystem::path bundles_root;
  // Publishes a new bundle and registers it with the catalog for `school`; its Status is the
  // registration's (the reply says whether the catalog has the lesson yet).
  std::function<Status(const std::filesystem::path& bundle_dir, const std::string& school)> publish;
};

class LessonEdits {
 public:
  explicit LessonEdits(LessonEditsParts parts);

  // The web seeds, trackers and piece size of new bundles' torrents (known once the server listens).
  void SetTorrentOptions(transcoder::BundleOptions torrent);

  // PUT /v1/lessons/{lesson}/chapters with {"chapters": [{"start_s", "end_s", "title"}]}: 201 with
  // the new version's lesson id.
  http::Reply SetChapters(const http::Request& request, const std::string& lesson_id);
  // POST /v1/lessons/{lesson}/clips with {"clips": [{"at": "05:10-12:40", "title": "..."}]}: 201
  // with each clip's lesson id and range.
  http::Reply MakeClips(const http::Request& request, const std::string& lesson_id);

 private:
  struct Owner {
    std::string uploader;  // UploaderAuth's identity of the teacher who uploaded the lesson
    std::filesystem::path dir;
  };
  // The lesson's bundle and owner, following clips and versions back to the upload; the reply to
  // send instead when the caller may not change it or it is not here.
  Result<Owner> OwnerOf(const std::string& lesson_id);
  std::variant<Owner, http::Reply> Authorize(const http::Request& request, const std::string& lesson_id);

  transcoder::BundleOptions TorrentOptions();

  LessonEditsParts parts_;
  std::mutex mu_;
  transcoder::BundleOptions torrent_;  // guarded by mu_
};

}  // namespace lm::origin
