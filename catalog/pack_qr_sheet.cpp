#include "catalog/pack_qr_sheet.h"

#include <algorithm>
#include <chrono>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "bundle/torrent_file.h"
#include "common/http/http_client.h"
#include "common/lesson_link.h"
#include "common/qr_sheet.h"
#include "common/xxh3.h"

namespace lm::catalog {

namespace {

using Clock = std::chrono::steady_clock;

// The poster of `lesson` from its first web seed that has it, if it matches lesson.json and comes
// before `deadline`; "" otherwise.
std::string FetchPoster(const Lesson& lesson, Clock::time_point deadline) {
  auto manifest = bundle::ParseLessonManifest(lesson.manifest_json);
  if (!manifest.ok() || manifest->poster.empty()) return "";
  const auto file = std::find_if(manifest->files.begin(), manifest->files.end(),
                                 [&](const bundle::BundleFile& f) { return f.path == manifest->poster; });
  if (file == manifest->files.end()) return "";
  auto torrent = bundle::ParseTorrent(lesson.torrent);
  if (!torrent.ok()) return "";
  for (std::string base : torrent->web_seeds) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return "";
    if (base.empty() || base.back() != '/') base += '/';
    http::ClientRequest request;
    request.url = base + lesson.id + "/" + manifest->poster;
    request.timeout_ms = static_cast<int>(left);
    auto reply = http::Fetch(request);
    if (!reply.ok() || reply->status != 200) continue;
    if (static_cast<std::int64_t>(reply->body.size()) != file->size_bytes) continue;
    if (Xxh3Of(reply->body).Hex() != file->xxh3_128) continue;
    return std::move(reply->body);
  }
  return "";
}

std::string Audience(CatalogStore& store, const bundle::PackTargets& targets) {
  std::string out;
  auto add = [&](const std::string& name) { out += (out.empty() ? "" : "、") + name; };
  for (const auto& id : targets.communities) {
    auto c = store.GetCommunity(id);
    add(c.ok() ? c->name : id);
  }
  for (const auto& id : targets.schools) {
    auto s = store.GetSchool(id);
    add(s.ok() ? s->name : id);
  }
  return out;
}

}  // namespace

Result<std::string> PackQrSheetPdf(CatalogStore& store, const PackVersion& version, const PackSheetOptions& options) {
  ASSIGN_OR_RETURN(const bundle::PackManifest manifest, bundle::ParsePackManifest(version.manifest));
  const auto deadline = Clock::now() + std::chrono::milliseconds(options.poster_budget_ms);
  QrSheet sheet;
  sheet.title = manifest.title;
  sheet.subtitle = "第 " + std::to_string(manifest.version) + " 版";
  if (const std::string audience = Audience(store, manifest.targets); !audience.empty()) {
    sheet.subtitle += " · " + audience;
  }
  sheet.footer = "在本教共体任何一所学校的校园网内扫码，或在浏览器打开 http://" + options.lan_name + "/l/课程编号";
  for (const bundle::PackItem& item : manifest.items) {
    QrSheetEntry e;
    e.title = item.title;
    e.url = LessonLinkUrl(options.lan_name, item.lesson_id);
    if (auto lesson = store.GetLesson(item.lesson_id); lesson.ok()) {
      e.teacher = lesson->teacher;
      e.duration_s = lesson->kind == "lesson" ? lesson->duration_s : 0;
      if (lesson->kind == "lesson") e.poster_jpeg = FetchPoster(*lesson, deadline);
    }
    sheet.entries.push_back(std::move(e));
  }
  return RenderQrSheetPdf(sheet);
}

}  // namespace lm::catalog
