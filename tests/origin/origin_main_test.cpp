// lessonmesh-origin and lessonmesh as operators and teachers run them: settings from TOML with
// flags on top and errors that name the key; `lessonmesh upload` following the job to the lesson
// id, its exit codes, and an upload interrupted with Ctrl-C resumed by the next run; the origin
// killed with SIGKILL in the middle of an upload (every byte on its disk kept, the upload goes on)
// or of a transcode (the job runs again from the start, no half bundle is ever visible, no upload
// is lost).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <regex>
#include <thread>

#include "bundle/lesson_manifest.h"
#include "common/xxh3.h"
#include "origin/origin_config.h"
#include "origin/upload_client.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::ChildProcess;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;
using lm::testing::TempDir;
using lm::testing::WriteFile;

std::string Bin(const std::string& name) { return std::string(LM_BIN_DIR) + "/" + name; }


TEST(OriginConfigTest, TomlKeysAreReadAndBadOnesNamed) {
  TempDir tmp;
  WriteFile(tmp / "ok.toml",
            "listen = \"0.0.0.0\"\nport = 8070\ndata_dir = \"/srv/origin\"\ncatalog_url = \"http://10.1.2.3:8090\"\n"
            "catalog_token = \"abc\"\nworkers = 2\nmax_upload_bytes = 1000000\ntorrent_port = 51413\n"
            "upload_rate_kbps = 4000\nsuper_seeding = \"strict\"\nmax_connections = 80\ndht = true\nlsd = false\n"
            "public_url = \"http://origin.example.cn:8070/\"\n");
  OriginConfig c;
  ASSERT_TRUE(LoadOriginToml((tmp / "ok.toml").string(), &c).ok());
  EXPECT_EQ(c.listen_address, "0.0.0.0");
  EXPECT_EQ(c.workers, 2);
  EXPECT_EQ(c.max_upload_bytes, 1000000);
  EXPECT_EQ(c.torrent_port, 51413);
  EXPECT_EQ(c.upload_rate_kbps, 4000);
  EXPECT_EQ(c.super_seeding, "strict");
  EXPECT_TRUE(c.dht);
  EXPECT_FALSE(c.lsd);
  EXPECT_TRUE(ValidateOriginConfig(c).ok());
  EXPECT_EQ(PublicUrl(c, 8070), "http://origin.example.cn:8070");
  c.public_url.clear();
  EXPECT_EQ(PublicUrl(c, 9000), "http://127.0.0.1:9000");

  WriteFile(tmp / "typo.toml", "wokers = 2\n");
  EXPECT_EQ(LoadOriginToml((tmp / "typo.toml").string(), &c).field(), "wokers");
  WriteFile(tmp / "type.toml", "workers = \"two\"\n");
  EXPECT_EQ(LoadOriginToml((tmp / "type.toml").string(), &c).field(), "workers");
  WriteFile(tmp / "range.toml", "torrent_port = 70000\n");
  EXPECT_EQ(LoadOriginToml((tmp / "range.toml").string(), &c).field(), "torrent_port");
  OriginConfig no_token;
  EXPECT_EQ(ValidateOriginConfig(no_token).field(), "catalog_token");
  no_token.catalog_token = "t";
  no_token.catalog_url = "ftp://x";
  EXPECT_EQ(ValidateOriginConfig(no_token).field(), "catalog_url");
  OriginConfig yes = c;
  yes.super_seeding = "yes";
  EXPECT_EQ(ValidateOriginConfig(yes).field(), "super_seeding");
  WriteFile(tmp / "bool.toml", "super_seeding = true\n");
  EXPECT_EQ(LoadOriginToml((tmp / "bool.toml").string(), &c).field(), "super_seeding");
}

TEST(OriginConfigTest, WorkerRoleNeedsASharedQueueAndTheServingOriginsUrl) {
  TempDir tmp;
  WriteFile(tmp / "worker.toml",
            "role = \"worker\"\nqueue = \"postgresql://lessonmesh@10.1.2.4/origin\"\nlease_seconds = 30\n"
            "data_dir = \"/srv/origin\"\npublic_url = \"http://origin.example.cn:8070\"\nworkers = 2\n");
  OriginConfig c;
  ASSERT_TRUE(LoadOriginToml((tmp / "worker.toml").string(), &c).ok());
  EXPECT_TRUE(IsWorkerRole(c));
  EXPECT_EQ(c.lease_seconds, 30);
  EXPECT_TRUE(ValidateOriginConfig(c).ok());  // a worker needs no catalog token
  OriginConfig no_url = c;
  no_url.public_url.clear();
  EXPECT_EQ(ValidateOriginConfig(no_url).field(), "public_url");
  OriginConfig no_queue = c;
  no_queue.queue.clear();
  EXPECT_EQ(ValidateOriginConfig(no_queue).field(), "queue");
  OriginConfig sqlite_path = c;
  sqlite_path.queue = "/srv/origin/jobs.db";
  EXPECT_EQ(ValidateOriginConfig(sqlite_path).field(), "queue");
  OriginConfig bad_role = c;
  bad_role.role = "transcoder";
  EXPECT_EQ(ValidateOriginConfig(bad_role).field(), "role");

  // A serving origin may leave every transcode to workers only on a shared queue.
  OriginConfig serve;
  serve.catalog_token = "t";
  serve.workers = 0;
  EXPECT_EQ(ValidateOriginConfig(serve).field(), "workers");
  serve.queue = c.queue;
  EXPECT_TRUE(ValidateOriginConfig(serve).ok());
}

TEST(OriginMainTest, BadSettingsExitWithCodeTwoAndSayWhy) {
  TempDir tmp;
  WriteFile(tmp / "bad.toml", "colour = 1\n");
  struct Case {
    std::vector<std::string> args;
    std::string names;  // what stderr's one line must name
  };
  for (const Case& c : std::vector<Case>{
           {{"--config", (tmp / "bad.toml").string()}, "colour"},
           {{"--data-dir", (tmp / "d").string()}, "catalog_token"},
           {{"--data-dir", (tmp / "d").string(), "--catalog-token", "t", "--torrent-port", "70000"}, "torrent"},
       }) {
    std::vector<std::string> argv = {Bin("lessonmesh-origin")};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    ChildProcess bad;
    ASSERT_EQ(bad.Start(argv, tmp / "bad.out", tmp / "bad.err"), "");
    EXPECT_EQ(bad.Wait(30), 2) << bad.err();
    const std::string err = bad.err();
    EXPECT_NE(err.find(c.names), std::string::npos) << err;
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
  EXPECT_FALSE(fs::exists(tmp / "d" / "jobs.db"));  // refused before touching anything
}

class OriginProcessTest : public lm::testing::OriginFixture {
 protected:
  bool StartsOriginInProcess() const override { return false; }

  // Starts lessonmesh-origin; returns its HTTP port, 0 on failure.
  std::uint16_t StartOriginProcess() {
    process_ = std::make_unique<ChildProcess>();
    if (!process_->StartPiped({Bin("lessonmesh-origin"), "--config", WriteOriginToml().string(), "--workers", "1"})
             .empty()) {
      return 0;
    }
    auto line = process_->WaitForLine("listening on", 60);
    std::smatch m;
    if (!line || !std::regex_search(*line, m, std::regex(R"(http://[^:]+:(\d+))"))) return 0;
    return static_cast<std::uint16_t>(std::stoi(m[1]));
  }

  json Job(std::uint16_t port, const std::string& upload_id) {
    auto r = HttpClient(port).Request("GET", "/v1/jobs?upload=" + upload_id, "", {{"Authorization", "Bearer " + teacher_}});
    return r.status == 200 ? json::parse(r.body) : json();
  }

  std::unique_ptr<ChildProcess> process_;
};

TEST_F(OriginProcessTest, InterruptedUploadResumesWhereItStopped) {
  const std::uint16_t port = StartOriginProcess();
  ASSERT_NE(port, 0);
  std::string bytes(3 * 1024 * 1024 + 123, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) >> 3);
  WriteFile(tmp_ / "lesson.bin", bytes);

  UploadSpec spec;
  spec.file = tmp_ / "lesson.bin";
  spec.origin_url = "http://127.0.0.1:" + std::to_string(port);
  spec.token = teacher_;
  spec.metadata = {{"title", "勾股定理"}, {"filename", "lesson.bin"}};
  spec.chunk_bytes = 1 << 20;
  spec.state_file = tmp_ / "state" / "uploads.json";
  std::atomic<bool> cancel{false};
  spec.cancel = &cancel;
  // The first run stops after one chunk (a teacher closing the laptop).
  auto first = UploadFile(spec, [&](const UploadProgress& p) {
    if (p.sent_bytes >= static_cast<std::int64_t>(spec.chunk_bytes)) cancel = true;
  });
  ASSERT_EQ(first.status().code(), StatusCode::kCancelled);
  ASSERT_TRUE(fs::exists(spec.state_file));

  // The second run asks the origin where it stands and sends only the rest.
  cancel = false;
  std::int64_t resumed_from = -1, last_sent = 0;
  auto second = UploadFile(spec, [&](const UploadProgress& p) {
    resumed_from = p.resumed_from;
    last_sent = p.sent_bytes;
  });
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(resumed_from, std::int64_t{1} << 20);
  EXPECT_EQ(last_sent, static_cast<std::int64_t>(bytes.size()));
  EXPECT_EQ(ReadFile(tmp_ / "origin" / "uploads" / (*second + ".part")), bytes);
  EXPECT_EQ(json::parse(ReadFile(spec.state_file)).size(), 0u);  // forgotten once finished

  // The CLI refuses a missing file with exit code 4 and a wrong token with 2.
  ChildProcess missing;
  ASSERT_EQ(missing.StartPiped({Bin("lessonmesh"), "upload", (tmp_ / "nope.mp4").string(), "--origin",
                                spec.origin_url, "--token", teacher_}),
            "");
  EXPECT_EQ(missing.Wait(30), 4);
  ChildProcess wrong;
  ASSERT_EQ(wrong.StartPiped({Bin("lessonmesh"), "upload", spec.file.string(), "--origin", spec.origin_url, "--token",
                              "not-a-token", "--state-file", (tmp_ / "s2.json").string()}),
            "");
  EXPECT_EQ(wrong.Wait(30), 2);
}

// The origin is killed while a PATCH's body is arriving: started again, it offers every byte that
// reached its disk (a prefix of the file, at least what it had acknowledged), and the upload goes
// on from there to the end with the same bytes.
TEST_F(OriginProcessTest, KilledMidUploadKeepsEveryByteOnDiskAndTheUploadGoesOn) {
  std::uint16_t port = StartOriginProcess();
  ASSERT_NE(port, 0);
  std::string bytes(4 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 7919) >> 5);
  const std::map<std::string, std::string> tus = {{"Tus-Resumable", "1.0.0"}, {"Authorization", "Bearer " + teacher_}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(tus.begin(), tus.end());
    return extra;
  };
  auto created = HttpClient(port).Request("POST", "/uploads", "", with({{"Upload-Length", std::to_string(bytes.size())}}));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.Header("location");
  const std::string id = location.substr(location.rfind('/') + 1);
  constexpr std::size_t kChunk = 1 << 20;
  auto patch = HttpClient(port).Request(
      "PATCH", location, bytes.substr(0, kChunk),
      with({{"Upload-Offset", "0"}, {"Content-Type", "application/offset+octet-stream"}}));
  ASSERT_EQ(patch.status, 204) << patch.body;

  // The next PATCH announces 2 MiB, sends half of it and stalls; the origin is killed once that
  // half is on its disk.
  namespace net = boost::asio;
  net::io_context ioc;
  net::ip::tcp::socket socket(ioc);
  socket.connect({net::ip::make_address("127.0.0.1"), port});
  const std::string head = "PATCH " + location + " HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n" +
                           "Authorization: Bearer " + teacher_ + "\r\nContent-Type: application/offset+octet-stream\r\n" +
                           "Upload-Offset: " + std::to_string(kChunk) + "\r\nContent-Length: " +
                           std::to_string(2 * kChunk) + "\r\n\r\n";
  net::write(socket, net::buffer(head));
  net::write(socket, net::buffer(bytes.data() + kChunk, kChunk));
  const fs::path part = tmp_ / "origin" / "uploads" / (id + ".part");
  ASSERT_TRUE(WaitFor([&] { return fs::file_size(part) == 2 * kChunk; }, 30)) << fs::file_size(part);
  process_->Signal(SIGKILL);
  ASSERT_EQ(process_->Wait(30), 128 + SIGKILL);
  boost::system::error_code ignored;
  socket.close(ignored);

  port = StartOriginProcess();
  ASSERT_NE(port, 0);
  auto at = HttpClient(port).Request("HEAD", location, "", tus);
  ASSERT_EQ(at.status, 200);
  const std::int64_t offset = std::stoll(at.Header("upload-offset"));
  EXPECT_EQ(offset, static_cast<std::int64_t>(2 * kChunk));
  EXPECT_EQ(ReadFile(part), bytes.substr(0, static_cast<std::size_t>(offset)));
  auto rest = HttpClient(port).Request(
      "PATCH", location, bytes.substr(static_cast<std::size_t>(offset)),
      with({{"Upload-Offset", std::to_string(offset)}, {"Content-Type", "application/offset+octet-stream"}}));
  ASSERT_EQ(rest.status, 204) << rest.body;
  EXPECT_EQ(rest.Header("upload-offset"), std::to_string(bytes.size()));
  EXPECT_EQ(ReadFile(part), bytes);
  ASSERT_TRUE(WaitFor([&] { return !Job(port, id).is_null(); }, 30));  // the finished upload has its job
  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->Wait(60), 0);
}

TEST_F(OriginProcessTest, KilledMidTranscodeRunsTheJobAgainAndLosesNothing) {
  lm::testing::ClipSpec clip;
  clip.seconds = 40;
  clip.width = 854;
  clip.height = 480;
  ASSERT_TRUE(lm::testing::MakeClip(tmp_ / "lesson.mp4", clip));
  std::uint16_t port = StartOriginProcess();
  ASSERT_NE(port, 0);

  // A teacher uploads with the CLI; it prints the upload id (and would follow the job).
  ChildProcess cli;
  ASSERT_EQ(cli.StartPiped({Bin("lessonmesh"), "upload", (tmp_ / "lesson.mp4").string(), "--origin",
                                  "http://127.0.0.1:" + std::to_string(port), "--token", teacher_, "--title",
                                  "一次函数的图像", "--subject", "数学", "--grade", "八年级", "--no-wait", "--json",
                                  "--state-file", (tmp_ / "state.json").string()}),
            "");
  const std::string printed = cli.ReadAll(60);
  ASSERT_EQ(cli.Wait(30), 0) << printed;
  const std::string upload_id = json::parse(printed)["upload_id"];

  // SIGKILL while the job is running, past its start.
  ASSERT_TRUE(WaitFor([&] {
    json j = Job(port, upload_id);
    return !j.is_null() && j["state"] == "running" && j["progress"].get<double>() > 0;
  }, 60)) << Job(port, upload_id).dump();
  process_->Signal(SIGKILL);
  process_->Wait(30);
  const fs::path bundles = tmp_ / "origin" / "bundles";
  for (const auto& e : fs::directory_iterator(bundles)) {
    EXPECT_EQ(e.path().filename().string().front(), '.') << "a bundle became visible: " << e.path();
  }

  // Started again: the job runs again from the start and finishes; nothing half-built remains.
  port = StartOriginProcess();
  ASSERT_NE(port, 0);
  json job;
  ASSERT_TRUE(WaitFor([&] {
    job = Job(port, upload_id);
    return !job.is_null() && (job["state"] == "failed" || (job["state"] == "done" && job["registered"] == true));
  }, 240)) << job.dump();
  ASSERT_EQ(job["state"], "done") << job.dump();
  EXPECT_EQ(job["attempts"], 2);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(bundles)) names.push_back(e.path().filename().string());
  ASSERT_EQ(names, std::vector<std::string>{job["lesson_id"].get<std::string>()});
  const fs::path bundle = bundles / names[0];
  const json manifest = json::parse(ReadFile(bundle / "lesson.json"));
  EXPECT_EQ(manifest["title"], "一次函数的图像");
  EXPECT_EQ(manifest["source"]["xxh3_128"], Xxh3Of(ReadFile(tmp_ / "lesson.mp4")).Hex());
  for (const auto& f : manifest["files"]) {
    EXPECT_EQ(Xxh3Of(ReadFile(bundle / f["path"].get<std::string>())).Hex(), f["xxh3_128"]) << f["path"];
  }

  // Stopped and started again: both torrents of the bundle come back from resume data, seeding,
  // without reading the files again. Shown from outside: while it is stopped, the biggest file's
  // bytes change but not its size or modification time; an origin that hashed the files again
  // would find its pieces wrong and not seed.
  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->Wait(60), 0);
  fs::path biggest;
  for (const auto& f : manifest["files"]) {
    const fs::path p = bundle / f["path"].get<std::string>();
    if (biggest.empty() || fs::file_size(p) > fs::file_size(biggest)) biggest = p;
  }
  const auto mtime = fs::last_write_time(biggest);
  std::string changed = ReadFile(biggest);
  for (std::size_t i = 0; i < changed.size(); i += 4096) changed[i] = static_cast<char>(~changed[i]);
  WriteFile(biggest, changed);
  fs::last_write_time(biggest, mtime);
  port = StartOriginProcess();
  ASSERT_NE(port, 0);
  json torrents;
  ASSERT_TRUE(WaitFor([&] {
    torrents = json::parse(HttpClient(port).Request("GET", "/v1/torrents").body, nullptr, false);
    if (!torrents.is_object() || torrents["torrents"].size() != 2) return false;
    for (const auto& t : torrents["torrents"]) {
      if (t["state"] != "seeding") return false;
    }
    return true;
  }, 30)) << torrents.dump();
  for (const auto& t : torrents["torrents"]) {
    EXPECT_EQ(t["lesson_id"], names[0]);
    EXPECT_TRUE(t["from_resume_data"].get<bool>()) << t.dump();
  }
  process_->Signal(SIGTERM);
  EXPECT_EQ(process_->Wait(60), 0);
}

// `lessonmesh upload` against an origin in this process, as a teacher runs it.
class LessonmeshCliTest : public lm::testing::OriginFixture {
 protected:
  std::string OriginUrl() const { return "http://" + config_.listen_address + ":" + std::to_string(origin_port()); }

  // Runs `lessonmesh upload FILE --origin --token --state-file` with `extra` arguments; stdout and
  // stderr go to files named after `name`.
  std::unique_ptr<ChildProcess> StartUpload(const std::string& name, const fs::path& file,
                                            const std::vector<std::string>& extra, const std::string& token = "") {
    std::vector<std::string> argv = {Bin("lessonmesh"), "upload", file.string(), "--origin", OriginUrl(), "--token",
                                     token.empty() ? teacher_ : token, "--state-file", state_file_.string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto cli = std::make_unique<ChildProcess>();
    EXPECT_EQ(cli->Start(argv, tmp_ / (name + ".out"), tmp_ / (name + ".err")), "");
    return cli;
  }
  // The last line the CLI wrote to stderr (the progress bar writes before it).
  static std::string LastLine(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const std::size_t cut = text.find_last_of("\r\n");
    return cut == std::string::npos ? text : text.substr(cut + 1);
  }

  fs::path state_file_ = tmp_ / "state" / "uploads.json";
};

// Without --no-wait the CLI follows the transcode job and prints the lesson id it produced; the
// chapters given with --chapter are in the bundle's lesson.json.
TEST_F(LessonmeshCliTest, FollowsTheJobToTheLessonId) {
  auto cli = StartUpload("follow", lm::testing::LessonClipPath(),
                         {"--title", "分数的初步认识", "--chapter", "0-1.5=导入", "--chapter", "00:01.5-00:03=新课", "--json"});
  ASSERT_EQ(cli->Wait(180), 0) << cli->err();
  const json printed = json::parse(cli->out(), nullptr, false);
  ASSERT_TRUE(printed.is_object()) << cli->out();
  const json job = WaitForJob(printed["upload_id"], DoneAndRegistered);
  ASSERT_TRUE(Done(job)) << job.dump();
  EXPECT_EQ(printed, json({{"upload_id", job["upload_id"]}, {"job", job["id"]}, {"lesson_id", job["lesson_id"]}}));
  const json manifest = json::parse(ReadFile(BundleDir(job["lesson_id"]) / "lesson.json"));
  EXPECT_EQ(manifest["chapters"], json::parse(R"([{"start_s":0.0,"end_s":1.5,"title":"导入"},)"
                                              R"({"start_s":1.5,"end_s":3.0,"title":"新课"}])"));
  EXPECT_EQ(json::parse(ReadFile(state_file_)), json::object());  // nothing left to resume
}

// Exit codes as the README gives them: 2 usage or refused (bad token, too large), 3 the origin
// could not use the file; each failure is one line on stderr.
TEST_F(LessonmeshCliTest, ExitCodesSayWhatWentWrong) {
  StopOrigin();
  config_.max_upload_bytes = 64 * 1024;
  StartOrigin();
  WriteFile(tmp_ / "notes.bin", std::string(4096, 'x'));
  WriteFile(tmp_ / "big.mp4", std::string(config_.max_upload_bytes + 1, 'x'));
  struct Case {
    std::string name;
    fs::path file;
    std::vector<std::string> extra;
    std::string token;
    int code;
    std::string says;  // in the last line of stderr
  };
  for (const Case& c : std::vector<Case>{
           {"not_media", tmp_ / "notes.bin", {}, "", 3, "could not use"},
           {"too_large", tmp_ / "big.mp4", {}, "", 2, "65536"},
           {"bad_token", tmp_ / "notes.bin", {}, "not-a-token", 2, "upload"},
           {"bad_chunk", tmp_ / "notes.bin", {"--chunk-mb", "0"}, "", 2, "--chunk-mb"},
           {"bad_flag", tmp_ / "notes.bin", {"--colour"}, "", 2, "colour"},
           {"chapter_without_title", tmp_ / "notes.bin", {"--chapter", "00:00-05:10"}, "", 2, "--chapter \"00:00-05:10\""},
           {"chapter_bad_range", tmp_ / "notes.bin", {"--chapter", "5:10=导入"}, "", 2, "START-END"},
           // Checked as a list by the origin when the upload is created: nothing is sent.
           {"chapters_overlap", tmp_ / "notes.bin", {"--chapter", "0-10=导入", "--chapter", "5-20=新课"}, "", 2,
            "chapters[1].start_s"},
       }) {
    SCOPED_TRACE(c.name);
    auto cli = StartUpload(c.name, c.file, c.extra, c.token);
    EXPECT_EQ(cli->Wait(120), c.code) << cli->err();
    EXPECT_NE(LastLine(cli->err()).find(c.says), std::string::npos) << cli->err();
  }
}

// `lessonmesh clip` has the origin cut a lesson: one line per clip, or JSON; a bad range, another
// teacher's lesson, an unknown lesson each exit with their code and one line.
TEST_F(LessonmeshCliTest, ClipCutsMicroCoursesAndSaysWhatWentWrong) {
  const std::string lesson = UploadLesson();  // 4 s
  ASSERT_FALSE(lesson.empty());
  auto run = [&](const std::string& name, std::vector<std::string> args, const std::string& token) {
    std::vector<std::string> argv = {Bin("lessonmesh"), "clip"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--origin", OriginUrl(), "--token", token});
    auto cli = std::make_unique<ChildProcess>();
    EXPECT_EQ(cli->Start(argv, tmp_ / (name + ".out"), tmp_ / (name + ".err")), "");
    return cli;
  };
  auto ok = run("clip", {lesson, "--at", "00:00-00:02", "--title", "导入", "--at", "0:01.5-4", "--json"}, teacher_);
  ASSERT_EQ(ok->Wait(180), 0) << ok->err();
  const json printed = json::parse(ok->out(), nullptr, false);
  ASSERT_TRUE(printed.is_object()) << ok->out();
  ASSERT_EQ(printed["clips"].size(), 2u);
  for (const json& c : printed["clips"]) {
    const auto manifest = lm::bundle::ReadLessonManifest(BundleDir(c["lesson_id"]));
    ASSERT_TRUE(manifest.ok()) << manifest.status().ToString();
    ASSERT_TRUE(manifest->parent.has_value());
    EXPECT_EQ(manifest->parent->lesson_id, lesson);
  }
  EXPECT_EQ(lm::bundle::ReadLessonManifest(BundleDir(printed["clips"][0]["lesson_id"]))->metadata.title, "导入");
  EXPECT_EQ(printed["clips"][1]["end_s"], 4.0);

  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string token;
    int code;
    std::string says;
  };
  for (const Case& c : std::vector<Case>{
           {"bad_range", {lesson, "--at", "3-1"}, teacher_, 2, "clips[0].at"},
           {"past_the_end", {lesson, "--at", "10-20"}, teacher_, 2, "less than a second"},
           {"not_yours", {lesson, "--at", "0-2"}, other_teacher_, 2, "another teacher"},
           {"unknown", {std::string(32, 'e'), "--at", "0-2"}, teacher_, 4, "no lesson"},
           {"titles_without_ranges", {lesson, "--at", "0-2", "--title", "a", "--title", "b"}, teacher_, 2, "--title"},
       }) {
    SCOPED_TRACE(c.name);
    auto cli = run(c.name, c.args, c.token);
    EXPECT_EQ(cli->Wait(120), c.code) << cli->err();
    const std::string err = cli->err();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find(c.says), std::string::npos) << err;
  }
}

// Ctrl-C mid-upload exits 5 and leaves the upload in the state file; the next run with the same
// file resumes that upload where the origin's bytes stop instead of starting again.
TEST_F(LessonmeshCliTest, InterruptedRunExitsFiveAndTheNextRunResumesIt) {
  std::string bytes(16 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < bytes.size(); i += 4096) bytes[i] = static_cast<char>(i >> 12);
  WriteFile(tmp_ / "lesson.mp4", bytes);
  auto first = StartUpload("first", tmp_ / "lesson.mp4", {"--no-wait", "--chunk-mb", "1"});
  ASSERT_TRUE(WaitFor([&] { return fs::exists(state_file_); }, 60, 2));  // created: sending chunks now
  first->Signal(SIGINT);
  ASSERT_EQ(first->Wait(60), 5) << first->err();
  EXPECT_NE(LastLine(first->err()).find("interrupted"), std::string::npos) << first->err();
  const json state = json::parse(ReadFile(state_file_));
  ASSERT_EQ(state.size(), 1u) << state.dump();
  const std::string url = state.begin().value();
  const std::string id = url.substr(url.rfind('/') + 1);
  auto at = Origin().Request("HEAD", "/uploads/" + id, "", {{"Tus-Resumable", "1.0.0"}, {"Authorization", "Bearer " + teacher_}});
  ASSERT_EQ(at.status, 200);
  const std::int64_t kept = std::stoll(at.Header("upload-offset"));
  EXPECT_LT(kept, static_cast<std::int64_t>(bytes.size()));

  auto second = StartUpload("second", tmp_ / "lesson.mp4", {"--no-wait", "--json", "--chunk-mb", "1"});
  ASSERT_EQ(second->Wait(120), 0) << second->err();
  EXPECT_EQ(json::parse(second->out()), json({{"upload_id", id}}));  // the same upload, finished
  EXPECT_EQ(ReadFile(tmp_ / "origin" / "uploads" / (id + ".part")), bytes);
  EXPECT_EQ(json::parse(ReadFile(state_file_)), json::object());
  std::vector<std::string> uploads;
  for (const auto& e : fs::directory_iterator(tmp_ / "origin" / "uploads")) {
    if (e.path().extension() == ".part") uploads.push_back(e.path().stem().string());
  }
  EXPECT_EQ(uploads, std::vector<std::string>{id});  // no second upload was started
}

}  // namespace
}  // namespace lm::origin
