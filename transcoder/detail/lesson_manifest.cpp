#include "transcoder/detail/lesson_manifest.h"

#include <nlohmann/json.hpp>

namespace lm::transcoder {

using json = nlohmann::ordered_json;

std::string LessonManifestJson(const ManifestInput& in) {
  json j;
  j["schema"] = kLessonManifestSchema;
  j["id"] = in.id;
  j["kind"] = in.kind == BundleKind::kLesson ? "lesson" : "document";
  j["title"] = in.metadata.title;
  j["teacher"] = in.metadata.teacher;
  j["subject"] = in.metadata.subject;
  j["grade"] = in.metadata.grade;
  j["duration_s"] = in.duration_seconds;
  json src;
  src["xxh3_128"] = in.source.xxh3_128;
  src["size"] = in.source.size_bytes;
  src["container"] = in.source.container;
  if (!in.source.video_codec.empty()) {
    src["video"] = {{"codec", in.source.video_codec},
                    {"width", in.source.width},
                    {"height", in.source.height},
                    {"rotation", in.source.rotation},
                    {"interlaced", in.source.interlaced}};
  }
  if (!in.source.audio_codec.empty()) src["audio"] = {{"codec", in.source.audio_codec}};
  j["source"] = src;
  if (in.kind == BundleKind::kLesson) {
    j["settings"] = in.ladder_fingerprint;
    j["master"] = in.master_playlist;
    j["poster"] = in.poster.empty() ? json(nullptr) : json(in.poster);
    json renditions = json::array();
    for (const auto& r : in.renditions) {
      json jr;
      jr["name"] = r.name;
      jr["file"] = r.file;
      jr["playlist"] = r.playlist;
      jr["kind"] = r.width > 0 ? "video" : "audio";
      if (r.width > 0) {
        jr["width"] = r.width;
        jr["height"] = r.height;
        jr["fps"] = r.fps;
      }
      jr["bandwidth"] = r.bandwidth;
      jr["average_bandwidth"] = r.average_bandwidth;
      jr["codecs"] = r.codecs;
      jr["size"] = r.size_bytes;
      jr["segments"] = r.segments;
      renditions.push_back(jr);
    }
    j["renditions"] = renditions;
  } else {
    j["document"] = {{"file", in.document}, {"type", in.document_type}};
  }
  json files = json::array();
  for (const auto& f : in.files) {
    files.push_back({{"path", f.path}, {"size", f.size_bytes}, {"xxh3_128", f.xxh3.Hex()}});
  }
  j["files"] = files;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::optional<BundleSummary> ReadManifestSummary(const std::string& json_text) {
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) return std::nullopt;
  try {
    BundleSummary s;
    s.id = j["id"].get<std::string>();
    s.kind = j.value("kind", "lesson") == "document" ? BundleKind::kDocument : BundleKind::kLesson;
    s.duration_seconds = j.value("duration_s", 0.0);
    for (const auto& r : j.value("renditions", json::array())) {
      RenditionSummary rs;
      rs.name = r.value("name", "");
      rs.file = r.value("file", "");
      rs.playlist = r.value("playlist", "");
      rs.width = r.value("width", 0);
      rs.height = r.value("height", 0);
      rs.fps = r.value("fps", 0.0);
      rs.bandwidth = r.value("bandwidth", std::int64_t{0});
      rs.average_bandwidth = r.value("average_bandwidth", std::int64_t{0});
      rs.codecs = r.value("codecs", "");
      rs.size_bytes = r.value("size", std::int64_t{0});
      rs.segments = r.value("segments", 0);
      s.renditions.push_back(std::move(rs));
    }
    for (const auto& f : j.value("files", json::array())) s.total_bytes += f.value("size", std::int64_t{0});
    return s;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

}  // namespace lm::transcoder
