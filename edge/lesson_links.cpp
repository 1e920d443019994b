#include "edge/lesson_links.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "bundle/pack_manifest.h"
#include "common/lesson_link.h"
#include "common/qr_sheet.h"
#include "common/read_file.h"
#include "common/text_checks.h"

namespace lm::edge {

using http::ErrorReply;
using http::Reply;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxPosterBytes = 4 * 1024 * 1024;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string HtmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Megabytes(std::int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

bool WantsJson(const http::Request& req) { return req.Header("accept").find("application/json") != std::string::npos; }

}  // namespace

Reply LessonLinkReply(const http::Request& req, const std::string& lesson_id, const std::optional<EdgeLesson>& lesson,
                      const std::optional<DownloadProgress>& progress) {
  if (!IsLowerHex(lesson_id, 32)) return ErrorReply(404, "not_found", "a lesson link ends with a lesson id");
  if (lesson && lesson->state == LessonState::kReady) {
    Reply r;
    r.status = 302;
    r.content_type = "text/plain; charset=utf-8";
    r.headers.emplace_back("Location", "/#lesson=" + lesson_id);
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.body = "/#lesson=" + lesson_id + "\n";
    return r;
  }
  // Not here (yet): what it is, when it is expected, how far it has come.
  std::int64_t done = 0, total = lesson ? lesson->total_bytes : 0;
  if (progress) {
    done = progress->bytes_done;
    if (progress->bytes_wanted > 0) total = progress->bytes_wanted;
  }
  std::string sentence;
  if (!lesson) {
    sentence = "本校的资源包里还没有这节课。请联系学校的信息技术老师，确认本校已订阅包含它的资源包。";
  } else {
    sentence = "《" + lesson->title + "》还没有下载到本校。";
    if (!lesson->needed_by.empty()) sentence += "预计在 " + lesson->needed_by + " 之前到达。";
    if (lesson->state == LessonState::kWaiting) {
      sentence += "下载暂停：" + (lesson->error.empty() ? std::string("原因未知") : lesson->error) + "。";
    } else if (progress && total > 0) {
      sentence += "正在下载：" + std::to_string(done * 100 / total) + "%（" + Megabytes(done) + " / " +
                  Megabytes(total) + "）。";
    } else {
      sentence += "正在排队等待下载。";
    }
  }
  if (WantsJson(req)) {
    json j = {{"error", lesson ? "lesson " + lesson_id + " is not on this edge yet"
                               : "no pack of this edge names lesson " + lesson_id},
              {"code", "not_held"},
              {"message", sentence},
              {"lesson_id", lesson_id},
              {"known", lesson.has_value()},
              {"title", lesson ? lesson->title : ""},
              {"state", lesson ? LessonStateName(lesson->state) : ""},
              {"needed_by", lesson ? lesson->needed_by : ""},
              {"bytes_done", done},
              {"bytes_total", total}};
    return http::JsonReply(404, Dump(j));
  }
  Reply r;
  r.status = 404;
  r.content_type = "text/html; charset=utf-8";
  r.headers.emplace_back("Cache-Control", "no-cache");
  const std::string title = lesson ? HtmlEscape(lesson->title) : "这节课";
  r.body = "<!doctype html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           "<title>" + title + " · 还没有到本校</title>"
           "<style>body{font:20px/1.6 sans-serif;margin:2em auto;max-width:36em;padding:0 1em}"
           "h1{font-size:1.4em}</style></head><body>"
           "<h1>" + title + "：还没有到本校</h1><p>" + HtmlEscape(sentence) + "</p>"
           "<p><a href=\"/\">看看本校已有的课</a></p></body></html>\n";
  return r;
}

Reply PackQrSheetReply(const std::string& pack_id, EdgeStore& store, const PackSheetOptions& options) {
  if (!IsDecimal(pack_id, 18, /*positive=*/true)) return ErrorReply(404, "not_found", "no such pack on this edge");
  auto packs = store.Packs();
  if (!packs.ok()) return ErrorReply(packs.status());
  const AcceptedPack* accepted = nullptr;
  for (const auto& p : *packs) {
    if (std::to_string(p.pack_id) == pack_id) accepted = &p;
  }
  if (!accepted) return ErrorReply(404, "not_found", "this edge holds no pack " + pack_id);
  auto manifest = bundle::ParsePackManifest(accepted->signed_manifest.manifest);
  if (!manifest.ok()) return ErrorReply(manifest.status());

  QrSheet sheet;
  sheet.title = manifest->title;
  sheet.subtitle = "第 " + std::to_string(manifest->version) + " 版 · 本校 " + options.school_id;
  sheet.footer = "在任何一所学校的校园网内扫码，或在浏览器打开 http://" + options.lan_name + "/l/课程编号";
  for (const bundle::PackItem& item : manifest->items) {
    QrSheetEntry e;
    e.title = item.title;
    e.url = LessonLinkUrl(options.lan_name, item.lesson_id);
    if (auto lesson = store.Lesson(item.lesson_id); lesson.ok()) {
      e.teacher = lesson->teacher;
      e.duration_s = lesson->duration_s;
      if (lesson->state == LessonState::kReady && lesson->kind == "lesson") {
        if (auto poster = ReadFileBytes(options.lessons_dir / item.lesson_id / "poster.jpg", kMaxPosterBytes);
            poster.ok()) {
          e.poster_jpeg = std::move(*poster);
        }
      }
    }
    sheet.entries.push_back(std::move(e));
  }
  auto pdf = RenderQrSheetPdf(sheet);
  if (!pdf.ok()) return ErrorReply(pdf.status());
  Reply r;
  r.content_type = "application/pdf";
  r.body = std::move(*pdf);
  r.headers.emplace_back("Content-Disposition", "inline; filename=\"pack-" + pack_id + "-qr.pdf\"");
  r.headers.emplace_back("Cache-Control", "no-cache");
  return r;
}

}  // namespace lm::edge
