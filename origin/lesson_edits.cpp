#include "origin/lesson_edits.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <variant>

#include "bundle/lesson_manifest.h"
#include "common/http/bearer.h"
#include "common/logging.h"
#include "common/text_checks.h"
#include "transcoder/clip.h"
#include "transcoder/revision.h"

namespace lm::origin {

using http::Reply;
using http::Request;
using nlohmann::json;

namespace {

constexpr int kMaxAncestors = 32;  // clips of versions of clips ...
constexpr size_t kMaxClipsPerRequest = 20;

// The request's JSON object, or the 400 naming "body".
Result<json> BodyObject(const Request& req) {
  json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return InvalidArgument("the body is not JSON", "body");
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object", "body");
  return body;
}

// body[key] as an array of objects, or the 400 naming the key (or the element).
Result<const json*> ArrayOfObjects(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end()) return InvalidArgument(std::string(key) + " is required", key);
  if (!it->is_array()) return InvalidArgument(std::string(key) + " must be an array", key);
  for (size_t i = 0; i < it->size(); ++i) {
    if (!(*it)[i].is_object()) {
      const std::string field = std::string(key) + "[" + std::to_string(i) + "]";
      return InvalidArgument(field + " must be an object", field);
    }
  }
  return &*it;
}

// body["chapters"], read as every chapter list is (bundle::ParseChapterList); the lesson's duration
// is checked when the new version is made.
Result<std::vector<bundle::Chapter>> ChaptersFrom(const json& body) {
  auto it = body.find("chapters");
  if (it == body.end()) return InvalidArgument("chapters is required", "chapters");
  return bundle::ParseChapterList(it->dump(-1, ' ', false, json::error_handler_t::replace), bundle::kDurationNotYetKnown);
}

Result<std::vector<transcoder::ClipRange>> ClipsFrom(const json& body) {
  ASSIGN_OR_RETURN(const json* list, ArrayOfObjects(body, "clips"));
  if (list->empty()) return InvalidArgument("clips must name at least one range", "clips");
  if (list->size() > kMaxClipsPerRequest) return InvalidArgument("at most 20 clips at a time", "clips");
  std::vector<transcoder::ClipRange> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& c = (*list)[i];
    const std::string prefix = "clips[" + std::to_string(i) + "].";
    auto at = c.find("at");
    if (at == c.end() || !at->is_string()) return InvalidArgument(prefix + "at must be a range such as \"05:10-12:40\"", prefix + "at");
    auto range = transcoder::ParseClipRange(at->get<std::string>());
    if (!range.ok()) return InvalidArgument(prefix + "at: " + range.status().message(), prefix + "at");
    transcoder::ClipRange clip{range->first, range->second, ""};
    if (auto title = c.find("title"); title != c.end()) {
      if (!title->is_string()) return InvalidArgument(prefix + "title must be a string", prefix + "title");
      clip.title = title->get<std::string>();
      if (clip.title.size() > 200 || !IsUtf8(clip.title)) {
        return InvalidArgument(prefix + "title must be at most 200 bytes of UTF-8", prefix + "title");
      }
    }
    out.push_back(std::move(clip));
  }
  return out;
}

}  // namespace

LessonEdits::LessonEdits(LessonEditsParts parts) : parts_(std::move(parts)) {}

void LessonEdits::SetTorrentOptions(transcoder::BundleOptions torrent) {
  std::lock_guard lock(mu_);
  torrent_ = std::move(torrent);
}

transcoder::BundleOptions LessonEdits::TorrentOptions() {
  std::lock_guard lock(mu_);
  return torrent_;
}

Result<LessonEdits::Owner> LessonEdits::OwnerOf(const std::string& lesson_id) {
  Owner owner;
  owner.dir = parts_.bundles_root / lesson_id;
  std::string base = lesson_id;
  for (int depth = 0;; ++depth) {
    auto manifest = bundle::ReadLessonManifest(parts_.bundles_root / base);
    if (!manifest.ok()) return Status(StatusCode::kNotFound, "no lesson " + lesson_id + " on this origin");
    std::string up = !manifest->revises.empty() ? manifest->revises : manifest->parent ? manifest->parent->lesson_id : "";
    if (up.empty()) break;
    if (depth == kMaxAncestors) return Status(StatusCode::kNotFound, "lesson " + lesson_id + " has no upload");
    base = up;
  }
  auto job = parts_.jobs.GetByLesson(base);
  if (!job.ok()) return Status(StatusCode::kNotFound, "lesson " + lesson_id + " was not uploaded here");
  auto upload = parts_.uploads.Get(job->upload_id);
  if (!upload.ok()) return Status(StatusCode::kNotFound, "the upload of lesson " + lesson_id + " is gone");
  owner.uploader = upload->owner;
  return owner;
}

std::variant<LessonEdits::Owner, Reply> LessonEdits::Authorize(const Request& req, const std::string& lesson_id) {
  auto who = parts_.auth.Identify(http::BearerToken(req));
  if (!who.ok()) return http::AuthFailureReply(who.status(), "a teacher's bearer token is required");
  if (!IsLowerHex(lesson_id, 32)) return http::ErrorReply(404, "not_found", "no such lesson");
  auto owner = OwnerOf(lesson_id);
  if (!owner.ok()) return http::ErrorReply(owner.status());
  if (who->role != "admin" && owner->uploader != who->id) {
    return http::Forbidden("this lesson belongs to another teacher");
  }
  return *owner;
}

Reply LessonEdits::SetChapters(const Request& req, const std::string& lesson_id) {
  auto authorized = Authorize(req, lesson_id);
  if (auto* reply = std::get_if<Reply>(&authorized)) return std::move(*reply);
  const Owner& owner = std::get<Owner>(authorized);
  auto body = BodyObject(req);
  if (!body.ok()) return http::ErrorReply(body.status());
  auto chapters = ChaptersFrom(*body);
  if (!chapters.ok()) return http::ErrorReply(chapters.status());
  auto revised = transcoder::ReviseChapters(owner.dir, *chapters, parts_.bundles_root, TorrentOptions());
  if (!revised.ok()) return http::ErrorReply(revised.status());
  const Status registered = parts_.publish(revised->dir, UploaderAuth::SchoolOf(owner.uploader));
  AreaLogger("origin")->info("chapters_set lesson={} version={} chapters={} registered={}", lesson_id, revised->id,
                             chapters->size(), registered.ok());
  return http::JsonReply(201, json{{"lesson_id", revised->id},
                                   {"revises", lesson_id},
                                   {"chapters", chapters->size()},
                                   {"registered", registered.ok()}}
                                  .dump());
}

Reply LessonEdits::MakeClips(const Request& req, const std::string& lesson_id) {
  auto authorized = Authorize(req, lesson_id);
  if (auto* reply = std::get_if<Reply>(&authorized)) return std::move(*reply);
  const Owner& owner = std::get<Owner>(authorized);
  auto body = BodyObject(req);
  if (!body.ok()) return http::ErrorReply(body.status());
  auto ranges = ClipsFrom(*body);
  if (!ranges.ok()) return http::ErrorReply(ranges.status());
  const transcoder::BundleOptions torrent = TorrentOptions();
  transcoder::ClipOptions options;
  options.web_seeds = torrent.web_seeds;
  options.trackers = torrent.trackers;
  options.piece_size_bytes = torrent.piece_size_bytes;
  json clips = json::array();
  bool all_registered = true;
  for (size_t i = 0; i < ranges->size(); ++i) {
    auto clip = transcoder::MakeClipUnder(owner.dir, (*ranges)[i], parts_.bundles_root, options);
    if (!clip.ok()) {
      Status st = clip.status();
      const std::string field = "clips[" + std::to_string(i) + "].at";
      if (st.field() == "at") st = InvalidArgument(field + ": " + st.message(), field);
      return http::ErrorReply(st);
    }
    const Status registered = parts_.publish(clip->bundle.dir, UploaderAuth::SchoolOf(owner.uploader));
    all_registered = all_registered && registered.ok();
    AreaLogger("origin")->info("clip_made lesson={} clip={} start_s={:.3f} end_s={:.3f} copied={} reencoded={} wall_s={:.2f}",
                               lesson_id, clip->bundle.id, clip->start_seconds, clip->end_seconds,
                               clip->segments_copied, clip->segments_reencoded, clip->bundle.wall_seconds);
    clips.push_back({{"lesson_id", clip->bundle.id},
                     {"start_s", clip->start_seconds},
                     {"end_s", clip->end_seconds},
                     {"duration_s", clip->bundle.duration_seconds},
                     {"segments_copied", clip->segments_copied},
                     {"segments_reencoded", clip->segments_reencoded}});
  }
  return http::JsonReply(201, json{{"parent", lesson_id}, {"clips", clips}, {"registered", all_registered}}
                                  .dump(-1, ' ', false, json::error_handler_t::replace));
}

}  // namespace lm::origin
