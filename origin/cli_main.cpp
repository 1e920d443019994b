// lessonmesh: the teachers' command line. `lessonmesh upload FILE --origin URL --token T` sends a
// recorded lesson or courseware to the origin (resumable: run it again after an interruption and
// it goes on where it stopped), then follows the transcode job and prints the lesson id.
// `--chapter 05:10-12:40=新课` (repeatable) sends the lesson's chapters with the upload.
// `lessonmesh clip LESSON --at 05:10-12:40 --title 分数的意义 [--at ... --title ...]` has the origin
// cut each range into a micro-course lesson of its own and prints their lesson ids.
// Exit codes (lm::CliExitCode): 0 ok, 1 internal, 2 usage or refused by the origin, 3 the origin
// could not use the file (not media, not a document), 4 I/O (file, network).

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/http/http_client.h"
#include "common/progress_bar.h"
#include "common/time_range.h"
#include "origin/clip_client.h"
#include "origin/upload_client.h"

namespace {

using nlohmann::json;

std::atomic<bool> g_interrupted{false};
extern "C" void OnSignal(int) { g_interrupted = true; }

int Fail(const lm::Status& st) {
  std::cerr << "lessonmesh: " << st.message() << "\n";
  return lm::CliExitCode(st.code());
}

std::filesystem::path DefaultStateFile() {
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return std::filesystem::path(xdg) / "lessonmesh" / "uploads.json";
  }
  if (const char* home = std::getenv("HOME"); home && *home) {
    return std::filesystem::path(home) / ".local" / "state" / "lessonmesh" / "uploads.json";
  }
  return ".lessonmesh-uploads.json";
}

// Follows the job of `upload_id` until it is done (returns the lesson id) or failed.
lm::Result<std::string> FollowJob(const lm::origin::UploadSpec& spec, const std::string& upload_id, bool quiet,
                                  std::int64_t* job_id) {
  lm::http::ClientRequest req;
  req.url = spec.origin_url + "/v1/jobs?upload=" + upload_id;
  req.ca_file = spec.ca_file;
  req.headers["Authorization"] = "Bearer " + spec.token;
  req.timeout_ms = 30000;
  std::string last_state;
  int failures = 0;
  for (;;) {
    auto reply = lm::http::Fetch(req);
    if (!reply.ok() || reply->status >= 500) {
      if (++failures > 30) return reply.ok() ? lm::IoError("the origin keeps failing") : reply.status();
    } else if (reply->status != 200) {
      return lm::InvalidArgument("job of upload " + upload_id + ": HTTP " + std::to_string(reply->status));
    } else {
      failures = 0;
      json job = json::parse(reply->body, nullptr, false);
      if (!job.is_object()) return lm::IoError("unexpected reply from the origin");
      const std::string state = job.value("state", "");
      if (*job_id == 0) {
        *job_id = job.value("id", std::int64_t{0});
        if (!quiet) std::cout << "job " << *job_id << std::endl;
      }
      if (state != last_state && !quiet) {
        std::cerr << "job " << *job_id << ": " << state << "\n";
        last_state = state;
      }
      if (state == "done") return job.value("lesson_id", std::string());
      if (state == "failed") return lm::UnsupportedInput("the origin could not use the file: " + job.value("error", ""));
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// The --chapter options ("05:10-12:40=新课") as the JSON chapter list of the upload's "chapters"
// metadata ("" for none); the origin checks the list as a whole (order, overlaps) when the upload
// is created.
lm::Result<std::string> ChapterListFrom(const std::vector<std::string>& options) {
  if (options.empty()) return std::string();
  json list = json::array();
  for (size_t i = 0; i < options.size(); ++i) {
    const std::string& option = options[i];
    const size_t eq = option.find('=');
    const std::string what = "--chapter \"" + option + "\": ";
    if (eq == std::string::npos || eq + 1 == option.size()) {
      return lm::InvalidArgument(what + "must be RANGE=TITLE, e.g. 05:10-12:40=新课", "chapters");
    }
    auto range = lm::ParseTimeRange(std::string_view(option).substr(0, eq));
    if (!range.ok()) return lm::InvalidArgument(what + range.status().message(), "chapters");
    list.push_back({{"start_s", range->first}, {"end_s", range->second}, {"title", option.substr(eq + 1)}});
  }
  return list.dump(-1, ' ', false, json::error_handler_t::replace);
}

// `lessonmesh clip`: one line per clip made ("clip ID START-END"), or their JSON.
int RunClip(lm::origin::ClipRequest request, const std::vector<std::string>& ats, const std::vector<std::string>& titles,
            bool json_out) {
  if (request.token.empty()) return Fail(lm::InvalidArgument("--token (or LESSONMESH_TOKEN) is required"));
  if (titles.size() > ats.size()) return Fail(lm::InvalidArgument("each --title follows the --at it names"));
  while (!request.origin_url.empty() && request.origin_url.back() == '/') request.origin_url.pop_back();
  for (size_t i = 0; i < ats.size(); ++i) request.ranges.push_back({ats[i], i < titles.size() ? titles[i] : ""});
  auto made = lm::origin::RequestClips(request);
  if (!made.ok()) return Fail(made.status());
  json list = json::array();
  for (const auto& c : *made) {
    list.push_back({{"lesson_id", c.lesson_id}, {"start_s", c.start_seconds}, {"end_s", c.end_seconds},
                    {"segments_copied", c.segments_copied}, {"segments_reencoded", c.segments_reencoded}});
    if (!json_out) std::cout << "clip " << c.lesson_id << " " << c.start_seconds << "-" << c.end_seconds << "\n";
  }
  if (json_out) std::cout << json{{"clips", list}}.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"LessonMesh for teachers"};
  app.require_subcommand(1);
  auto* upload = app.add_subcommand("upload", "upload a recorded lesson or courseware to the origin");
  lm::origin::UploadSpec spec;
  std::string file, title, teacher, subject, grade;
  bool no_wait = false, json_out = false;
  upload->add_option("FILE", file, "the recording or document")->required();
  upload->add_option("--origin", spec.origin_url, "the origin, e.g. http://origin.county.edu.cn:8070")->required();
  upload->add_option("--ca-file", spec.ca_file, "for an https origin: PEM file of the CAs to trust (or LESSONMESH_CA_FILE)")
      ->envname("LESSONMESH_CA_FILE");
  upload->add_option("--token", spec.token, "your teacher token (or LESSONMESH_TOKEN)")->envname("LESSONMESH_TOKEN");
  upload->add_option("--title", title, "lesson title (default: the file name)");
  upload->add_option("--teacher", teacher, "teacher's name");
  upload->add_option("--subject", subject, "subject, e.g. 数学");
  upload->add_option("--grade", grade, "grade, e.g. 三年级");
  std::vector<std::string> chapters;
  upload->add_option("--chapter", chapters, "a chapter as RANGE=TITLE, e.g. 05:10-12:40=新课; repeatable, in order")
      ->allow_extra_args(false);
  upload->add_option("--chunk-mb", spec.chunk_bytes, "bytes per request, in MiB")
      ->transform([](const std::string& s) { return std::to_string(std::stoull(s) << 20); }, "MiB");
  upload->add_option("--state-file", spec.state_file, "where unfinished uploads are remembered");
  upload->add_flag("--no-wait", no_wait, "stop once uploaded; do not wait for the lesson id");
  upload->add_flag("--json", json_out, "print {upload_id, job, lesson_id} as JSON on stdout");
  auto* clip = app.add_subcommand("clip", "cut micro-course clips out of a lesson on the origin");
  lm::origin::ClipRequest clip_request;
  std::vector<std::string> clip_ats, clip_titles;
  bool clip_json = false;
  clip->add_option("LESSON", clip_request.lesson_id, "the lesson id")->required();
  clip->add_option("--origin", clip_request.origin_url, "the origin, e.g. http://origin.county.edu.cn:8070")->required();
  clip->add_option("--token", clip_request.token, "your teacher token (or LESSONMESH_TOKEN)")->envname("LESSONMESH_TOKEN");
  clip->add_option("--at", clip_ats, "a range of the lesson, e.g. 05:10-12:40; repeatable")->required()->allow_extra_args(false);
  clip->add_option("--title", clip_titles, "the title of the clip of the --at before it; repeatable")->allow_extra_args(false);
  clip->add_flag("--json", clip_json, "print {clips: [{lesson_id, start_s, end_s}]} as JSON on stdout");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "lessonmesh: " << e.what() << "\n";
    return 2;
  }
  if (clip->parsed()) return RunClip(std::move(clip_request), clip_ats, clip_titles, clip_json);
  if (spec.token.empty()) return Fail(lm::InvalidArgument("--token (or LESSONMESH_TOKEN) is required"));
  while (!spec.origin_url.empty() && spec.origin_url.back() == '/') spec.origin_url.pop_back();
  if (spec.chunk_bytes == 0) return Fail(lm::InvalidArgument("--chunk-mb must be at least 1"));
  if (spec.state_file.empty()) spec.state_file = DefaultStateFile();
  auto chapter_list = ChapterListFrom(chapters);
  if (!chapter_list.ok()) return Fail(chapter_list.status());
  spec.file = file;
  spec.metadata = {{"filename", std::filesystem::path(file).filename().string()},
                   {"title", title},
                   {"teacher", teacher},
                   {"subject", subject},
                   {"grade", grade},
                   {"chapters", *chapter_list}};

  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  spec.cancel = &g_interrupted;
  lm::ProgressBar bar(stderr);
  auto uploaded = lm::origin::UploadFile(spec, [&](const lm::origin::UploadProgress& p) {
    const double sent_now = static_cast<double>(p.sent_bytes - p.resumed_from);
    const double rate = p.wall_seconds > 0 ? sent_now / p.wall_seconds : 0;
    bar.Update({p.total_bytes > 0 ? double(p.sent_bytes) / double(p.total_bytes) : 0, lm::BytesText(p.sent_bytes),
                lm::BytesText(p.total_bytes), lm::BytesText(rate) + "/s",
                rate > 0 ? double(p.total_bytes - p.sent_bytes) / rate : -1, p.wall_seconds});
  });
  bar.Finish();
  if (!uploaded.ok()) return Fail(uploaded.status());
  std::cerr << "uploaded " << file << " as " << *uploaded << "\n";
  json out = {{"upload_id", *uploaded}};
  if (!no_wait) {
    std::int64_t job_id = 0;
    auto lesson = FollowJob(spec, *uploaded, json_out, &job_id);
    if (job_id) out["job"] = job_id;
    if (!lesson.ok()) return Fail(lesson.status());
    out["lesson_id"] = *lesson;
    if (!json_out) std::cout << "lesson " << *lesson << "\n";
  }
  if (json_out) std::cout << out.dump() << "\n";
  return 0;
}
