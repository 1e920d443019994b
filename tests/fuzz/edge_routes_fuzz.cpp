// The school box's HTTP routes (edge::EdgeRoutes, every route of its table) over a real EdgeStore
// holding one signed pack of three lessons: a courseware document and a video lesson (240p held,
// audio not) complete and ready, and a document still queued; a libtorrent Transfer with no
// torrents and a PackFollower whose catalog is a closed port, as EdgeService wires them. The input
// is up to 12 requests in the form of catalog_api_fuzz ("METHOD TARGET", headers, an empty line,
// the body; separated by lines "--"); $DOC, $VIDEO and $QUEUED in a target stand for the lessons'
// ids. The local admin token is "admin-token"; three wrong ones from one address reach 429. Each
// input starts from the same store.
// Properties: never a 5xx; errors are JSON; JSON replies parse; no reply shows a file outside the
// lessons and the pages (one is planted beside each, and linked from inside); POST /v1/sync
// answers 2xx only to the admin token; a lesson that is not ready has no file served; a lesson's
// master playlist names only renditions the edge holds.

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "common/http/file_reply.h"
#include "common/http/http_types.h"
#include "common/logging.h"
#include "common/signing.h"
#include "common/xxh3.h"
#include "edge/edge_routes.h"
#include "edge/edge_store.h"
#include "edge/pack_follower.h"
#include "edge/transfer.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_request.h"

namespace fs = std::filesystem;
using lm::http::Reply;
using lm::http::Request;

namespace {

constexpr char kSecret[] = "SECRET-outside-the-lessons";
constexpr char kAdminToken[] = "admin-token";
constexpr char kDoc[] = "2d1514f3e7753ddbd5256dcd05734421";
constexpr char kVideo[] = "5bd02f35e0d664447ff2d11567cc62d4";
constexpr char kQueued[] = "0123456789abcdef0123456789abcdef";
constexpr std::int64_t kNow = 1790000000;

lm::bundle::BundleFile FileOf(const fs::path& dir, const std::string& name, const std::string& bytes) {
  lm::fuzz::WriteFile(dir / name, bytes);
  return {name, static_cast<std::int64_t>(bytes.size()), lm::Xxh3Of(bytes).Hex()};
}

struct Fixture {
  fs::path dir, cache, lessons, web, template_db, db;
  std::string public_key;
  std::unique_ptr<lm::edge::Transfer> transfer;
};

// The bundles on disk, the pages, the template store and the libtorrent session, made once.
Fixture& TheFixture() {
  static Fixture fixture = [] {
    Fixture f;
    f.dir = lm::fuzz::TempDir("edge");
    f.cache = f.dir / "cache";
    f.lessons = f.cache / "lessons";
    f.web = f.dir / "web";
    f.template_db = f.dir / "template.db";
    f.db = f.cache / "state.db";
    fs::create_directories(f.lessons / kDoc);
    fs::create_directories(f.lessons / kVideo);
    fs::create_directories(f.web);

    // The document.
    lm::bundle::LessonManifest doc;
    doc.id = kDoc;
    doc.kind = lm::bundle::BundleKind::kDocument;
    doc.metadata = {"分数 课件", "王老师", "数学", "三年级"};
    doc.document = "document.pdf";
    doc.document_type = "application/pdf";
    doc.files = {FileOf(f.lessons / kDoc, "document.pdf", "%PDF-1.4\n% courseware\n" + std::string(3000, 'x'))};
    doc.source = {doc.files[0].xxh3_128, doc.files[0].size_bytes, "application/pdf"};
    lm::fuzz::WriteFile(f.lessons / kDoc / "lesson.json", lm::bundle::WriteLessonManifest(doc));
    // The video lesson: 240p held, audio not.
    lm::bundle::LessonManifest video;
    video.id = kVideo;
    video.kind = lm::bundle::BundleKind::kLesson;
    video.metadata = {"古诗两首", "李老师", "语文", "四年级"};
    video.duration_seconds = 6;
    video.settings = "lm1;fuzz";
    video.master_playlist = "master.m3u8";
    video.poster = "poster.jpg";
    const fs::path v = f.lessons / kVideo;
    video.files = {
        FileOf(v, "master.m3u8",
               "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=313476,RESOLUTION=320x240,"
               "CODECS=\"avc1.64000c,mp4a.40.2\"\n240p.m3u8\n#EXT-X-STREAM-INF:BANDWIDTH=51923,"
               "CODECS=\"mp4a.40.2\"\naudio.m3u8\n"),
        FileOf(v, "240p.m3u8", "#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MAP:URI=\"240p.mp4\",BYTERANGE=\"800@0\"\n"
                               "#EXTINF:6.0,\n#EXT-X-BYTERANGE:1200@800\n240p.mp4\n#EXT-X-ENDLIST\n"),
        FileOf(v, "240p.mp4", std::string(2000, '\x01')),
        FileOf(v, "audio.m3u8", "#EXTM3U\n#EXT-X-ENDLIST\n"),
        FileOf(v, "audio.mp4", std::string(500, '\x02')),
        FileOf(v, "poster.jpg", "\xff\xd8\xff\xe0 poster"),
    };
    video.source = {std::string(32, 'a'), 4000, "mov,mp4,m4a,3gp,3g2,mj2"};
    video.renditions = {{"240p", "240p.mp4", "240p.m3u8", 320, 240, 15, 313476, 313476, "avc1.64000c,mp4a.40.2", 2000, 1},
                        {"audio", "audio.mp4", "audio.m3u8", 0, 0, 0, 51923, 51923, "mp4a.40.2", 500, 1}};
    lm::fuzz::WriteFile(v / "lesson.json", lm::bundle::WriteLessonManifest(video));
    // Planted where no reply may show it, and linked from inside.
    lm::fuzz::WriteFile(f.dir / "secret.txt", kSecret);
    lm::fuzz::WriteFile(f.cache / "secret.txt", kSecret);
    lm::fuzz::WriteFile(f.lessons / "secret.txt", kSecret);
    fs::create_symlink(f.dir / "secret.txt", f.lessons / kDoc / "link.pdf");
    fs::create_symlink(f.dir / "secret.txt", f.web / "link.js");
    lm::fuzz::WriteFile(f.web / "classroom.html", "<!doctype html><title>课堂</title>\n");
    lm::fuzz::WriteFile(f.web / "print.html", "<!doctype html><title>二维码</title>\n");
    lm::fuzz::WriteFile(f.web / "classroom.js", "export {};\n");

    // One signed pack naming the three lessons.
    auto key = lm::SigningKey::Generate();
    FUZZ_CHECK(key.ok(), "a signing key");
    f.public_key = key->public_key_base64();
    lm::bundle::PackManifest pack;
    pack.pack_id = 7;
    pack.version = 2;
    pack.title = "三年级 资源包";
    pack.published_at = kNow - 3600;
    pack.targets.schools = {"s1"};
    std::map<std::string, std::string> torrents;
    for (const auto& [id, kind, title, bytes] :
         {std::tuple{kDoc, "document", "分数 课件", doc.TotalBytes()},
          std::tuple{kVideo, "lesson", "古诗两首", video.TotalBytes()},
          std::tuple{kQueued, "document", "还在路上", std::int64_t{123456}}}) {
      lm::bundle::PackItem item;
      item.lesson_id = id;
      item.kind = kind;
      item.title = title;
      item.info_hash_v1 = std::string(40, 'a');
      item.info_hash_v2 = std::string(64, 'b');
      item.total_bytes = bytes;
      item.needed_by = "2026-12-01";
      pack.items.push_back(item);
      torrents[id] = "d4:infod4:name32:" + std::string(id) + "ee";
    }
    auto signed_pack = lm::bundle::SignPackManifest(*key, pack);
    FUZZ_CHECK(signed_pack.ok(), "the pack is signed");
    {
      auto store = lm::edge::EdgeStore::Open(f.template_db.string());
      FUZZ_CHECK(store.ok(), "the store opens");
      FUZZ_CHECK((*store)->ApplyPack(*signed_pack, pack, torrents, kNow - 600).ok(), "the pack is applied");
      FUZZ_CHECK((*store)->SetMetadata(kDoc, doc, {}).ok(), "the document's metadata");
      FUZZ_CHECK((*store)->SetMetadata(kVideo, video, {"240p"}).ok(), "the lesson's metadata");
      for (const char* id : {kDoc, kVideo}) {
        FUZZ_CHECK((*store)->SetState(id, lm::edge::LessonState::kReady, "", kNow - 300).ok(), "ready");
      }
    }  // closed: its WAL is folded into template.db

    lm::edge::TransferOptions transfer;
    transfer.lessons_dir = f.lessons;
    transfer.resume_dir = f.cache / "resume";
    transfer.listen_interfaces = "127.0.0.1:0";
    transfer.lsd = false;
    transfer.peer_to_peer = false;
    auto started = lm::edge::Transfer::Start(transfer, [](const std::string&) {});
    FUZZ_CHECK(started.ok(), "the transfer starts");
    f.transfer = std::move(*started);
    return f;
  }();
  return fixture;
}

void CheckReply(const Request& req, const Reply& reply) {
  FUZZ_CHECK(reply.status >= 200 && reply.status < 500, "an HTTP status, never a server error");
  const bool json_body = reply.content_type == "application/json";
  if (reply.status >= 400 && req.method != "HEAD") {
    const auto j = nlohmann::json::parse(reply.body, nullptr, false);
    FUZZ_CHECK(j.is_object() && j.contains("error") && j.contains("code"), "an error is {\"error\", \"code\"}");
  } else if (json_body && !reply.body.empty() && req.method != "HEAD") {
    FUZZ_CHECK(!nlohmann::json::parse(reply.body, nullptr, false).is_discarded(), "a JSON reply parses");
  }
  auto bytes = lm::http::ReplyBytes(reply);
  FUZZ_CHECK(bytes.ok() && bytes->find(kSecret) == std::string::npos, "no reply shows a file outside lessons and pages");
  if (req.path == "/v1/sync" && reply.status / 100 == 2) {
    FUZZ_CHECK(req.Header("authorization") == std::string("Bearer ") + kAdminToken, "only the admin token syncs");
  }
  const std::string queued = std::string("/lessons/") + kQueued + "/";
  if (req.path.rfind(queued, 0) == 0 && req.path != queued + "qr.svg") {
    FUZZ_CHECK(reply.status >= 300, "a lesson that is not ready has no file served");
  }
  if (req.path == std::string("/lessons/") + kVideo + "/master.m3u8" && reply.status / 100 == 2 && bytes.ok()) {
    FUZZ_CHECK(bytes->find("audio.m3u8") == std::string::npos, "the master playlist names only held renditions");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  for (const char* area : {"edge", "edge.packs", "edge.transfer", "edge.routes", "http"}) {
    lm::AreaLogger(area)->set_level(spdlog::level::off);
  }
  spdlog::set_level(spdlog::level::off);
  (void)TheFixture();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Fixture& f = TheFixture();
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(f.db.string() + suffix, ec);
  fs::copy_file(f.template_db, f.db);
  auto store = lm::edge::EdgeStore::Open(f.db.string());
  FUZZ_CHECK(store.ok(), "the store opens");
  lm::edge::FollowerOptions follow;
  follow.catalog_url = "http://127.0.0.1:9";  // closed: a sync attempt fails at once
  follow.token = "the-catalogs-edge-token";
  follow.school_id = "s1";
  follow.catalog_key = f.public_key;
  auto follower = lm::edge::PackFollower::Start(follow, **store, [] {});
  lm::edge::EdgeRoutesOptions options;
  options.lessons_dir = f.lessons;
  options.cache_dir = f.cache;
  options.admin_token = kAdminToken;
  options.school_id = "s1";
  options.quota_bytes = 1LL << 30;
  options.min_free_bytes = 1 << 20;
  options.web_dir = f.web;
  options.failed_auth.failures_per_minute = 3;
  options.failed_auth.clock = [] { return std::chrono::steady_clock::time_point(std::chrono::hours(1)); };
  lm::edge::EdgeRoutes routes(options, **store, *f.transfer, *follower);

  for (const std::string_view text : lm::fuzz::SplitParts(lm::fuzz::Text(data, size), "--", 12)) {
    Request req;
    if (!lm::fuzz::ParseRequest(text, {{"$DOC", kDoc}, {"$VIDEO", kVideo}, {"$QUEUED", kQueued}}, "192.168.1.20:40000", &req)) continue;
    if (req.body.size() > lm::edge::EdgeRoutes::BodyLimit(req.method, req.target)) continue;  // the server's 413
    const Reply reply = routes.Handle(req);
    if (lm::fuzz::Tracing()) {
      std::fprintf(stderr, "%s %s -> %d %s\n", req.method.c_str(), req.target.c_str(), reply.status,
                   reply.body.substr(0, 160).c_str());
    }
    CheckReply(req, reply);
  }
  follower->Stop();
  return 0;
}
