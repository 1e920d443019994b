#include "bundle/lesson_manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "common/read_file.h"
#include "common/text_checks.h"

namespace lm::bundle {

using json = nlohmann::ordered_json;

namespace {

constexpr std::int64_t kMaxManifestBytes = 4 * 1024 * 1024;

// Typed reads of one JSON object, each failure naming the key as `prefix.key`.
class Fields {
 public:
  Fields(const json& j, std::string prefix) : j_(j), prefix_(std::move(prefix)) {}

  Result<std::string> String(const char* key, bool required = true) const {
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) {
      if (required) return Missing(key);
      return std::string();
    }
    if (!it->is_string()) return Wrong(key, "a string");
    return it->get<std::string>();
  }
  Result<std::int64_t> Int(const char* key, bool required = true) const {
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) return Missing(key);
      return std::int64_t{0};
    }
    if (!it->is_number_integer()) return Wrong(key, "an integer");
    const std::int64_t v = it->get<std::int64_t>();
    if (v < 0) return Wrong(key, "not negative");
    return v;
  }
  Result<double> Number(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) return 0.0;
    if (!it->is_number()) return Wrong(key, "a number");
    const double v = it->get<double>();
    if (!(v >= 0)) return Wrong(key, "not negative");
    return v;
  }
  Result<bool> Bool(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) return false;
    if (!it->is_boolean()) return Wrong(key, "true or false");
    return it->get<bool>();
  }
  Result<const json*> Array(const char* key, bool required = true) const {
    static const json kEmpty = json::array();
    auto it = j_.find(key);
    if (it == j_.end()) {
      if (required) return Missing(key);
      return &kEmpty;
    }
    if (!it->is_array()) return Wrong(key, "an array");
    return &*it;
  }
  Result<const json*> Object(const char* key) const {
    auto it = j_.find(key);
    if (it == j_.end()) return static_cast<const json*>(nullptr);
    if (!it->is_object()) return Wrong(key, "an object");
    return &*it;
  }
  std::string Name(const char* key) const { return prefix_.empty() ? key : prefix_ + "." + key; }

 private:
  Status Missing(const char* key) const { return InvalidArgument(Name(key) + " is required", Name(key)); }
  Status Wrong(const char* key, const char* what) const {
    return InvalidArgument(Name(key) + " must be " + what, Name(key));
  }

  const json& j_;
  std::string prefix_;
};

bool IsSafePart(std::string_view part) {
  if (part.empty() || part[0] == '.') return false;
  for (unsigned char c : part) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-' || c >= 0x80;
    if (!ok) return false;
  }
  return true;
}

Result<SourceInfo> ParseSource(const json* j) {
  SourceInfo s;
  if (j == nullptr) return s;
  const Fields f(*j, "source");
  ASSIGN_OR_RETURN(s.xxh3_128, f.String("xxh3_128", false));
  ASSIGN_OR_RETURN(s.size_bytes, f.Int("size", false));
  ASSIGN_OR_RETURN(s.container, f.String("container", false));
  ASSIGN_OR_RETURN(const json* video, f.Object("video"));
  if (video != nullptr) {
    const Fields v(*video, "source.video");
    ASSIGN_OR_RETURN(s.video_codec, v.String("codec"));
    ASSIGN_OR_RETURN(std::int64_t width, v.Int("width", false));
    ASSIGN_OR_RETURN(std::int64_t height, v.Int("height", false));
    ASSIGN_OR_RETURN(s.interlaced, v.Bool("interlaced"));
    auto rotation = video->find("rotation");
    if (rotation != video->end()) {
      if (!rotation->is_number_integer()) return InvalidArgument("source.video.rotation must be an integer");
      s.rotation = rotation->get<int>();
    }
    if (width > 65535 || height > 65535) return InvalidArgument("source.video has an impossible size", "source.video");
    s.width = static_cast<int>(width);
    s.height = static_cast<int>(height);
  }
  ASSIGN_OR_RETURN(const json* audio, f.Object("audio"));
  if (audio != nullptr) {
    ASSIGN_OR_RETURN(s.audio_codec, Fields(*audio, "source.audio").String("codec"));
  }
  return s;
}

Result<Rendition> ParseRendition(const json& j, size_t index) {
  const std::string prefix = "renditions[" + std::to_string(index) + "]";
  if (!j.is_object()) return InvalidArgument(prefix + " must be an object", prefix);
  const Fields f(j, prefix);
  Rendition r;
  ASSIGN_OR_RETURN(r.name, f.String("name"));
  ASSIGN_OR_RETURN(r.file, f.String("file"));
  ASSIGN_OR_RETURN(r.playlist, f.String("playlist"));
  ASSIGN_OR_RETURN(std::int64_t width, f.Int("width", false));
  ASSIGN_OR_RETURN(std::int64_t height, f.Int("height", false));
  ASSIGN_OR_RETURN(r.fps, f.Number("fps"));
  ASSIGN_OR_RETURN(r.bandwidth, f.Int("bandwidth", false));
  ASSIGN_OR_RETURN(r.average_bandwidth, f.Int("average_bandwidth", false));
  ASSIGN_OR_RETURN(r.codecs, f.String("codecs", false));
  ASSIGN_OR_RETURN(r.size_bytes, f.Int("size", false));
  ASSIGN_OR_RETURN(std::int64_t segments, f.Int("segments", false));
  if (width > 65535 || height > 65535 || segments > 10'000'000) {
    return InvalidArgument(prefix + " has an impossible size", prefix);
  }
  r.width = static_cast<int>(width);
  r.height = static_cast<int>(height);
  r.segments = static_cast<int>(segments);
  if (r.name.empty() || !IsSafePart(r.name)) return InvalidArgument(f.Name("name") + " is not a rendition name", f.Name("name"));
  return r;
}

Result<BundleFile> ParseFile(const json& j, size_t index) {
  const std::string prefix = "files[" + std::to_string(index) + "]";
  if (!j.is_object()) return InvalidArgument(prefix + " must be an object", prefix);
  const Fields f(j, prefix);
  BundleFile file;
  ASSIGN_OR_RETURN(file.path, f.String("path"));
  ASSIGN_OR_RETURN(file.size_bytes, f.Int("size"));
  ASSIGN_OR_RETURN(file.xxh3_128, f.String("xxh3_128"));
  if (!IsSafeBundlePath(file.path)) {
    return InvalidArgument(f.Name("path") + " \"" + file.path + "\" leaves the bundle", f.Name("path"));
  }
  if (!IsLowerHex(file.xxh3_128, 32)) {
    return InvalidArgument(f.Name("xxh3_128") + " must be 32 hex digits", f.Name("xxh3_128"));
  }
  return file;
}

Result<Chapter> ParseChapter(const json& j, size_t index) {
  const std::string prefix = "chapters[" + std::to_string(index) + "]";
  if (!j.is_object()) return InvalidArgument(prefix + " must be an object", prefix);
  const Fields f(j, prefix);
  Chapter c;
  for (const char* key : {"start_s", "end_s"}) {
    if (!j.contains(key)) return InvalidArgument(f.Name(key) + " must be a number of seconds", f.Name(key));
  }
  ASSIGN_OR_RETURN(c.start_seconds, f.Number("start_s"));
  ASSIGN_OR_RETURN(c.end_seconds, f.Number("end_s"));
  ASSIGN_OR_RETURN(c.title, f.String("title"));
  return c;
}

Result<std::vector<Chapter>> ChapterListFrom(const json& list, double duration_seconds) {
  if (!list.is_array()) return InvalidArgument("chapters must be an array of {start_s, end_s, title}", "chapters");
  std::vector<Chapter> out;
  out.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(Chapter c, ParseChapter(list[i], i));
    out.push_back(std::move(c));
  }
  RETURN_IF_ERROR(ValidateChapters(out, duration_seconds));
  return out;
}

json ChapterListJson(const std::vector<Chapter>& chapters) {
  json list = json::array();
  for (const auto& c : chapters) list.push_back({{"start_s", c.start_seconds}, {"end_s", c.end_seconds}, {"title", c.title}});
  return list;
}

Result<std::optional<ClipParent>> ParseParent(const json* j) {
  if (j == nullptr) return std::optional<ClipParent>();
  const Fields f(*j, "parent");
  ClipParent p;
  ASSIGN_OR_RETURN(p.lesson_id, f.String("lesson_id"));
  if (!IsLowerHex(p.lesson_id, 32)) return InvalidArgument("parent.lesson_id must be a 32-digit lesson id", "parent.lesson_id");
  ASSIGN_OR_RETURN(p.start_seconds, f.Number("start_s"));
  ASSIGN_OR_RETURN(p.end_seconds, f.Number("end_s"));
  if (!(p.end_seconds > p.start_seconds)) return InvalidArgument("parent.end_s must be after parent.start_s", "parent.end_s");
  return std::optional<ClipParent>(std::move(p));
}

}  // namespace

Status ValidateChapters(const std::vector<Chapter>& chapters, double duration_seconds) {
  constexpr size_t kMaxChapters = 500;
  constexpr size_t kMaxTitleBytes = 200;
  if (chapters.size() > kMaxChapters) return InvalidArgument("at most 500 chapters", "chapters");
  for (size_t i = 0; i < chapters.size(); ++i) {
    const Chapter& c = chapters[i];
    const std::string prefix = "chapters[" + std::to_string(i) + "]";
    if (c.title.empty()) return InvalidArgument(prefix + ".title must not be empty", prefix + ".title");
    if (c.title.size() > kMaxTitleBytes || !IsUtf8(c.title) ||
        std::any_of(c.title.begin(), c.title.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20; })) {
      return InvalidArgument(prefix + ".title must be at most 200 bytes of printable UTF-8", prefix + ".title");
    }
    if (!(c.start_seconds >= 0)) return InvalidArgument(prefix + ".start_s must not be negative", prefix + ".start_s");
    if (!(c.end_seconds > c.start_seconds)) {
      return InvalidArgument(prefix + ".end_s must be after its start_s", prefix + ".end_s");
    }
    if (c.end_seconds > duration_seconds + 0.1) {
      return InvalidArgument(prefix + ".end_s is past the end of the lesson", prefix + ".end_s");
    }
    if (i > 0 && c.start_seconds < chapters[i - 1].end_seconds) {
      return InvalidArgument(prefix + ".start_s must not be before the end of the chapter before it",
                             prefix + ".start_s");
    }
  }
  return Status::Ok();
}

Result<std::vector<Chapter>> ParseChapterList(std::string_view json_text, double duration_seconds) {
  const json list = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (list.is_discarded()) return InvalidArgument("chapters is not JSON", "chapters");
  return ChapterListFrom(list, duration_seconds);
}

std::string WriteChapterList(const std::vector<Chapter>& chapters) {
  return ChapterListJson(chapters).dump(-1, ' ', false, json::error_handler_t::replace);
}

const char* BundleKindName(BundleKind kind) { return kind == BundleKind::kDocument ? "document" : "lesson"; }

std::int64_t LessonManifest::TotalBytes() const {
  std::int64_t total = 0;
  for (const auto& f : files) total += f.size_bytes;
  return total;
}

const BundleFile* LessonManifest::FindFile(std::string_view path) const {
  for (const auto& f : files) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

bool IsSafeBundlePath(std::string_view path) {
  if (path.empty() || path.size() > 255) return false;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string_view part = path.substr(start, slash == std::string_view::npos ? slash : slash - start);
    if (!IsSafePart(part)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

std::string WriteLessonManifest(const LessonManifest& m) {
  json j;
  j["schema"] = kLessonManifestSchema;
  j["id"] = m.id;
  j["kind"] = BundleKindName(m.kind);
  j["title"] = m.metadata.title;
  j["teacher"] = m.metadata.teacher;
  j["subject"] = m.metadata.subject;
  j["grade"] = m.metadata.grade;
  j["duration_s"] = m.duration_seconds;
  json src;
  src["xxh3_128"] = m.source.xxh3_128;
  src["size"] = m.source.size_bytes;
  src["container"] = m.source.container;
  if (!m.source.video_codec.empty()) {
    src["video"] = {{"codec", m.source.video_codec},
                    {"width", m.source.width},
                    {"height", m.source.height},
                    {"rotation", m.source.rotation},
                    {"interlaced", m.source.interlaced}};
  }
  if (!m.source.audio_codec.empty()) src["audio"] = {{"codec", m.source.audio_codec}};
  j["source"] = src;
  if (m.kind == BundleKind::kLesson) {
    j["settings"] = m.settings;
    j["master"] = m.master_playlist;
    j["poster"] = m.poster.empty() ? json(nullptr) : json(m.poster);
    json renditions = json::array();
    for (const auto& r : m.renditions) {
      json jr;
      jr["name"] = r.name;
      jr["file"] = r.file;
      jr["playlist"] = r.playlist;
      jr["kind"] = r.is_video() ? "video" : "audio";
      if (r.is_video()) {
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
    if (!m.chapters.empty()) j["chapters"] = ChapterListJson(m.chapters);
    if (!m.revises.empty()) j["revises"] = m.revises;
    if (m.parent) {
      j["parent"] = {{"lesson_id", m.parent->lesson_id},
                     {"start_s", m.parent->start_seconds},
                     {"end_s", m.parent->end_seconds}};
    }
  } else {
    j["document"] = {{"file", m.document}, {"type", m.document_type}};
  }
  json files = json::array();
  for (const auto& f : m.files) {
    files.push_back({{"path", f.path}, {"size", f.size_bytes}, {"xxh3_128", f.xxh3_128}});
  }
  j["files"] = files;
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Result<LessonManifest> ParseLessonManifest(std::string_view json_text) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument("lesson.json is not valid JSON");
  if (!j.is_object()) return InvalidArgument("lesson.json must be a JSON object");
  const Fields f(j, "");
  LessonManifest m;
  ASSIGN_OR_RETURN(std::int64_t schema, f.Int("schema"));
  if (schema != kLessonManifestSchema) {
    return InvalidArgument("lesson.json schema " + std::to_string(schema) + " is not supported", "schema");
  }
  ASSIGN_OR_RETURN(m.id, f.String("id"));
  if (!IsLowerHex(m.id, 32)) return InvalidArgument("id must be a 32-digit lesson id", "id");
  ASSIGN_OR_RETURN(std::string kind, f.String("kind"));
  if (kind != "lesson" && kind != "document") return InvalidArgument("kind must be lesson or document", "kind");
  m.kind = kind == "document" ? BundleKind::kDocument : BundleKind::kLesson;
  ASSIGN_OR_RETURN(m.metadata.title, f.String("title"));
  ASSIGN_OR_RETURN(m.metadata.teacher, f.String("teacher", false));
  ASSIGN_OR_RETURN(m.metadata.subject, f.String("subject", false));
  ASSIGN_OR_RETURN(m.metadata.grade, f.String("grade", false));
  ASSIGN_OR_RETURN(m.duration_seconds, f.Number("duration_s"));
  ASSIGN_OR_RETURN(const json* source, f.Object("source"));
  ASSIGN_OR_RETURN(m.source, ParseSource(source));

  ASSIGN_OR_RETURN(const json* files, f.Array("files"));
  std::set<std::string> paths;
  std::int64_t total = 0;
  for (size_t i = 0; i < files->size(); ++i) {
    ASSIGN_OR_RETURN(BundleFile file, ParseFile((*files)[i], i));
    if (!paths.insert(file.path).second) {
      return InvalidArgument("files lists " + file.path + " twice", "files[" + std::to_string(i) + "].path");
    }
    if (file.size_bytes > kMaxBundleBytes - total) {
      return InvalidArgument("files add up to more than 1 PiB", "files[" + std::to_string(i) + "].size");
    }
    total += file.size_bytes;
    m.files.push_back(std::move(file));
  }
  auto listed = [&](const std::string& path, const std::string& field) -> Status {
    if (paths.count(path) == 0) return InvalidArgument(field + " \"" + path + "\" is not in files", field);
    return Status::Ok();
  };

  if (m.kind == BundleKind::kLesson) {
    ASSIGN_OR_RETURN(m.settings, f.String("settings", false));
    ASSIGN_OR_RETURN(m.master_playlist, f.String("master"));
    RETURN_IF_ERROR(listed(m.master_playlist, "master"));
    ASSIGN_OR_RETURN(m.poster, f.String("poster", false));
    if (!m.poster.empty()) RETURN_IF_ERROR(listed(m.poster, "poster"));
    ASSIGN_OR_RETURN(const json* renditions, f.Array("renditions"));
    for (size_t i = 0; i < renditions->size(); ++i) {
      ASSIGN_OR_RETURN(Rendition r, ParseRendition((*renditions)[i], i));
      const std::string prefix = "renditions[" + std::to_string(i) + "]";
      RETURN_IF_ERROR(listed(r.file, prefix + ".file"));
      RETURN_IF_ERROR(listed(r.playlist, prefix + ".playlist"));
      m.renditions.push_back(std::move(r));
    }
    ASSIGN_OR_RETURN(const json* chapters, f.Array("chapters", false));
    ASSIGN_OR_RETURN(m.chapters, ChapterListFrom(*chapters, m.duration_seconds));
    ASSIGN_OR_RETURN(m.revises, f.String("revises", false));
    if (!m.revises.empty() && !IsLowerHex(m.revises, 32)) {
      return InvalidArgument("revises must be a 32-digit lesson id", "revises");
    }
    ASSIGN_OR_RETURN(const json* parent, f.Object("parent"));
    ASSIGN_OR_RETURN(m.parent, ParseParent(parent));
  } else {
    ASSIGN_OR_RETURN(const json* document, f.Object("document"));
    if (document == nullptr) return InvalidArgument("document is required", "document");
    const Fields d(*document, "document");
    ASSIGN_OR_RETURN(m.document, d.String("file"));
    ASSIGN_OR_RETURN(m.document_type, d.String("type", false));
    RETURN_IF_ERROR(listed(m.document, "document.file"));
  }
  return m;
}

Result<LessonManifest> ReadLessonManifest(const std::filesystem::path& bundle_dir) {
  ASSIGN_OR_RETURN(std::string text, ReadFileBytes(bundle_dir / kLessonManifestFile, kMaxManifestBytes));
  auto manifest = ParseLessonManifest(text);
  if (!manifest.ok()) return manifest.status().WithContext((bundle_dir / kLessonManifestFile).string());
  return manifest;
}

}  // namespace lm::bundle
