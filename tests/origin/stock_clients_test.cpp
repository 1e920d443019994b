// Stock clients against the whole origin, as schools will run them: tus-js-client (on Node)
// uploads a lesson, loses its connection halfway through the PATCH and resumes; aria2c and
// transmission-cli download the lesson's bundle from the origin's seeder, which they find only
// through the origin's tracker (their copy of the torrent has no web seed; DHT, LSD and PEX are
// off), taking the hybrid lesson.torrent if they read it right, else its v1-only twin; aria2c also
// gets the bundle from the web seed alone. Clients are real processes with a deadline; one that
// overruns is killed.

#include "origin/origin_service.h"

#include <gtest/gtest.h>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/info_hash.hpp>
#include <libtorrent/torrent_info.hpp>
#include <nlohmann/json.hpp>
#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/base64.h"
#include "common/hex.h"
#include "common/xxh3.h"
#include "tests/testing/child_process.h"
#include "tests/testing/http_client.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"


namespace lm::origin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using lm::testing::HttpClient;
using lm::testing::ChildProcess;
using lm::testing::ReadFile;
using lm::testing::WaitFor;
using lm::testing::WriteFile;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The program's path if `name` is on PATH, else "".
std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
    const fs::path candidate = fs::path(dirs.substr(begin, end - begin)) / name;
    if (!candidate.parent_path().empty() && access(candidate.c_str(), X_OK) == 0) return candidate.string();
    begin = end + 1;
  }
  return "";
}

// tests/tus_js in the source tree, found from this file's path. __FILE__ may be relative to the
// directory the compiler ran in (ccache's base_dir does that), which for Ninja is the build dir,
// the parent of bin/ where this test runs from.
fs::path TusJsDir() {
  const fs::path file(__FILE__);
  std::vector<fs::path> candidates = {file};
  if (file.is_relative()) {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back(exe.parent_path().parent_path() / file);
    candidates.push_back(fs::current_path(ec) / file);
  }
  for (const fs::path& c : candidates) {
    const fs::path dir = c.parent_path().parent_path() / "tus_js";
    if (fs::exists(dir / "upload.mjs")) return fs::weakly_canonical(dir);
  }
  return file.parent_path().parent_path() / "tus_js";
}

// A copy of a .torrent without its web seeds ("url-list", "httpseeds"), so a client can only get
// the bytes from peers. Every other top-level value is copied byte for byte, so the info dict, and
// with it the v1 and v2 info hashes, stay the same. "" if `torrent` is not a bencoded dict.
std::string WithoutWebSeeds(const std::string& torrent) {
  lt::error_code ec;
  const lt::bdecode_node root = lt::bdecode(torrent, ec);
  if (ec || root.type() != lt::bdecode_node::dict_t) return "";
  std::string out = "d";
  for (int i = 0; i < root.dict_size(); ++i) {
    const auto [key, value] = root.dict_at(i);
    if (key == "url-list" || key == "httpseeds") continue;
    out += std::to_string(key.size()) + ":" + std::string(key);
    const auto raw = value.data_section();
    out.append(raw.data(), raw.size());
  }
  return out + "e";
}

std::string Tail(const std::string& s, std::size_t n) { return s.size() > n ? s.substr(s.size() - n) : s; }

std::string PercentEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const unsigned char c : bytes) {
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// The lines of a client's log that request /announce.
std::string AnnounceLines(const std::string& log) {
  std::string lines;
  std::size_t begin = 0;
  while (begin < log.size()) {
    const std::size_t end = std::min(log.find('\n', begin), log.size());
    const std::string_view line(log.data() + begin, end - begin);
    if (line.find("/announce?") != std::string_view::npos) lines.append(line).append("\n");
    begin = end + 1;
  }
  return lines;
}

// A file of a bundle as lesson.json lists it.
struct BundleFile {
  std::int64_t size = 0;
  std::string xxh3_128;
  bool operator==(const BundleFile&) const = default;
};

std::ostream& operator<<(std::ostream& os, const BundleFile& f) { return os << f.size << " " << f.xxh3_128; }

// What lesson.json says every file is, by path.
std::map<std::string, BundleFile> ListedFiles(const json& manifest) {
  std::map<std::string, BundleFile> files;
  for (const auto& f : manifest["files"]) {
    files[f["path"].get<std::string>()] = {f["size"].get<std::int64_t>(), f["xxh3_128"].get<std::string>()};
  }
  return files;
}

// The same paths as found under `dir` (missing files have size -1). Extra files, such as the pad
// files of a hybrid torrent, are not looked at.
std::map<std::string, BundleFile> FilesUnder(const fs::path& dir, const std::map<std::string, BundleFile>& listed) {
  std::map<std::string, BundleFile> found;
  for (const auto& [path, want] : listed) {
    std::error_code ec;
    if (!fs::is_regular_file(dir / path, ec)) {
      found[path] = {-1, ""};
      continue;
    }
    const std::string bytes = ReadFile(dir / path);
    found[path] = {static_cast<std::int64_t>(bytes.size()), Xxh3Of(bytes).Hex()};
  }
  return found;
}

// A swarm as the tracker's scrape reports it.
struct SwarmCounts {
  std::int64_t complete = -1;
  std::int64_t downloaded = -1;
  std::int64_t incomplete = -1;
};

class StockClientTest : public lm::testing::OriginFixture {
 protected:
  static fs::path ClipPath() { return lm::testing::LessonClipPath(); }
  static const std::string& Clip() { return lm::testing::LessonClip(); }

  // The upload's job once it is done (or has failed), or the last one seen after the deadline.
  json WaitForDoneJob(const std::string& upload_id) { return WaitForJob(upload_id, Done); }

  // Writes `torrent` (a file of the bundle: lesson.torrent, the hybrid, or lesson.v1.torrent, its
  // v1-only twin) without web seeds to `path`; returns its v1 info hash (20 bytes) after checking
  // that the info hashes did not change.
  std::string WritePeersOnlyTorrent(const fs::path& torrent, const fs::path& path) {
    const std::string original = ReadFile(torrent);
    const std::string peers_only = WithoutWebSeeds(original);
    EXPECT_FALSE(peers_only.empty());
    lt::error_code ec;
    const lt::torrent_info before(lt::span<const char>(original.data(), original.size()), ec, lt::from_span);
    EXPECT_FALSE(ec) << ec.message();
    const lt::torrent_info after(lt::span<const char>(peers_only.data(), peers_only.size()), ec, lt::from_span);
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_FALSE(before.web_seeds().empty()) << "the origin's torrents name its web seed";
    EXPECT_TRUE(after.web_seeds().empty());
    EXPECT_TRUE(before.info_hashes().has_v1());
    EXPECT_EQ(after.info_hashes(), before.info_hashes());
    WriteFile(path, peers_only);
    return before.info_hashes().v1.to_string();
  }

  // Starts aria2c on `torrent` into `dir`: no DHT, LSD or PEX, quiet, its log in aria2c.log. It
  // seeds for a moment when done (--seed-time is in minutes) and exits: with 0 it skips the
  // "completed" announce and sends only "stopped".
  // `extra`: more options, e.g. --bt-exclude-tracker=* to leave the web seed as the only source.
  std::string StartAria2c(ChildProcess& aria2c, const fs::path& torrent, const fs::path& dir,
                          const std::vector<std::string>& extra = {}) {
    fs::create_directories(dir);
    std::vector<std::string> argv = {"aria2c", "--no-conf=true", "--dir=" + dir.string(), "--seed-time=0.02",
                                     "--enable-dht=false", "--enable-dht6=false", "--bt-enable-lpd=false",
                                     "--enable-peer-exchange=false", "--file-allocation=none",
                                     "--bt-stop-timeout=" + std::to_string(static_cast<int>(lm::testing::Scaled(60))),
                                     "--console-log-level=warn", "--summary-interval=0", "--download-result=full",
                                     "--log=" + (tmp_ / "aria2c.log").string(), "--log-level=info"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(torrent.string());
    return aria2c.Start(argv, tmp_ / "aria2c.out", tmp_ / "aria2c.err");
  }

  // The origin's /v1/torrents entry for the torrent with this v1 info hash (20 bytes), or null.
  json SeededTorrent(const std::string& v1_hash) {
    const json list = json::parse(Origin().Request("GET", "/v1/torrents").body, nullptr, false);
    if (!list.is_object()) return nullptr;
    for (const auto& t : list["torrents"]) {
      if (t["info_hash_v1"] == HexEncode(v1_hash.data(), v1_hash.size())) return t;
    }
    return nullptr;
  }

  // The info hash aria2c computes for `torrent` (aria2c -S), lower-case hex; "" if it has none.
  std::string Aria2cInfoHash(const fs::path& torrent) {
    ChildProcess show;
    if (!show.Start({"aria2c", "--no-conf=true", "-S", torrent.string()}, tmp_ / "show.out", tmp_ / "show.err").empty()) {
      return "";
    }
    if (show.Wait(30) != 0) return "";
    const std::string out = show.out();
    constexpr std::string_view kLabel = "Info Hash: ";
    const std::size_t at = out.find(kLabel);
    return at == std::string::npos ? "" : out.substr(at + kLabel.size(), 40);
  }

  // "" if Transmission reads `torrent` (transmission-show), else what it said.
  std::string TransmissionReadError(const fs::path& torrent) {
    ChildProcess show;
    if (std::string e = show.Start({"transmission-show", torrent.string()}, tmp_ / "show.out", tmp_ / "show.err");
        !e.empty()) {
      return e;
    }
    const std::optional<int> status = show.Wait(30);
    if (status == 0) return "";
    std::string said = show.out() + show.err();
    while (!said.empty() && std::isspace(static_cast<unsigned char>(said.back()))) said.pop_back();
    return "transmission-show exit " + std::to_string(status.value_or(-1)) + ": " + said;
  }

  SwarmCounts Scrape(const std::string& v1_hash) {
    SwarmCounts counts;
    auto reply = Origin().Request("GET", "/scrape?info_hash=" + PercentEncode(v1_hash));
    EXPECT_EQ(reply.status, 200) << reply.body;
    lt::error_code ec;
    const lt::bdecode_node root = lt::bdecode(reply.body, ec);
    EXPECT_FALSE(ec) << ec.message();
    if (ec || root.type() != lt::bdecode_node::dict_t) return counts;
    const lt::bdecode_node files = root.dict_find_dict("files");
    const lt::bdecode_node swarm = files ? files.dict_find_dict(v1_hash) : lt::bdecode_node();
    EXPECT_TRUE(swarm) << "the tracker does not know the torrent: " << reply.body;
    if (!swarm) return counts;
    counts.complete = swarm.dict_find_int_value("complete", -1);
    counts.downloaded = swarm.dict_find_int_value("downloaded", -1);
    counts.incomplete = swarm.dict_find_int_value("incomplete", -1);
    return counts;
  }

};

TEST_F(StockClientTest, TusJsClientUploadsAndResumesAfterACut) {
  ASSERT_NE(FindProgram("node"), "") << "node is not installed: run scripts/install-deps.sh";
  const fs::path tus_js = TusJsDir();
  ASSERT_TRUE(fs::exists(tus_js / "node_modules" / "tus-js-client"))
      << "tus-js-client is not installed in " << tus_js << ": run scripts/install-deps.sh";

  // The connection is cut once about half the clip has gone out; the client then resumes.
  const std::int64_t size = static_cast<std::int64_t>(Clip().size());
  const std::int64_t cut_after = size / 2;
  const std::string endpoint = "http://127.0.0.1:" + std::to_string(origin_port()) + "/uploads";
  ChildProcess node;
  const auto start = Clock::now();
  ASSERT_EQ(node.Start({"node", (tus_js / "upload.mjs").string(), endpoint, teacher_, ClipPath().string(),
                        "--cut-after", std::to_string(cut_after), "--title", "分数的初步认识"},
                       tmp_ / "node.out", tmp_ / "node.err"),
            "");
  const std::optional<int> exit_status = node.Wait(90);
  ASSERT_EQ(exit_status, 0) << "node upload.mjs (killed if nullopt)\nstdout: " << node.out()
                            << "\nstderr: " << node.err();
  std::cout << "[          ] tus-js-client upload with a cut and a resume took " << SecondsSince(start) << " s\n";

  const std::string out = node.out();
  const json result = json::parse(out, nullptr, /*allow_exceptions=*/false);
  ASSERT_TRUE(result.is_object()) << out;
  std::cout << "[          ] " << result.dump() << " of " << size << " bytes\n";
  ASSERT_TRUE(result["offset_at_resume"].is_number_integer()) << out;
  const std::int64_t offset_at_resume = result["offset_at_resume"];
  EXPECT_GT(offset_at_resume, 0) << "the bytes before the cut were not kept";
  EXPECT_LT(offset_at_resume, size) << "the cut came after the last byte";
  EXPECT_EQ(result["bytes"], size);

  // The resumed upload becomes a lesson made from exactly the clip's bytes.
  const std::string url = result["url"];
  const std::string upload_id = url.substr(url.rfind('/') + 1);
  const json job = WaitForDoneJob(upload_id);
  ASSERT_EQ(job.value("state", ""), "done") << job.dump();
  const json manifest = json::parse(ReadFile(BundleDir(job["lesson_id"]) / "lesson.json"));
  EXPECT_EQ(manifest["source"]["xxh3_128"], Xxh3Of(Clip()).Hex());
  EXPECT_EQ(manifest["source"]["size"], size);
  EXPECT_EQ(manifest["title"], "分数的初步认识") << manifest.dump();
}

// aria2c gets the hybrid lesson.torrent if it reads it right, else lesson.v1.torrent, the twin the
// origin makes for it: Debian 12's aria2c 1.36.0 drops bencoded dict entries with an empty key, so
// it hashes a hybrid torrent's info dict without the leaves of "file tree" and announces a v1 info
// hash nobody knows (aria2 issue #1903, fixed in 1.37.0).
TEST_F(StockClientTest, Aria2cDownloadsABundleThroughTheTracker) {
  ASSERT_NE(FindProgram("aria2c"), "") << "aria2c is not installed: run scripts/install-deps.sh";
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  const fs::path torrent = tmp_ / "lesson.torrent";
  std::string v1_hash = WritePeersOnlyTorrent(BundleDir(lesson_id) / "lesson.torrent", torrent);
  if (const std::string hash = Aria2cInfoHash(torrent); hash != HexEncode(v1_hash.data(), v1_hash.size())) {
    std::cout << "[          ] aria2c reads the hybrid torrent's v1 info hash as " << hash << ", not " << HexEncode(v1_hash.data(), v1_hash.size())
              << ": it gets lesson.v1.torrent\n";
    v1_hash = WritePeersOnlyTorrent(BundleDir(lesson_id) / "lesson.v1.torrent", torrent);
    ASSERT_EQ(Aria2cInfoHash(torrent), HexEncode(v1_hash.data(), v1_hash.size())) << "aria2c misreads the v1-only torrent too";
  }
  const SwarmCounts before = Scrape(v1_hash);

  const fs::path dir = tmp_ / "aria2";
  ChildProcess aria2c;
  const auto start = Clock::now();
  ASSERT_EQ(StartAria2c(aria2c, torrent, dir), "");
  const std::optional<int> exit_status = aria2c.Wait(120);
  ASSERT_EQ(exit_status, 0) << "aria2c (killed if nullopt)\nstdout: " << aria2c.out() << "\nstderr: " << aria2c.err();
  std::cout << "[          ] aria2c downloaded the bundle from peers in " << SecondsSince(start) << " s\n";

  const auto listed = ListedFiles(json::parse(ReadFile(BundleDir(lesson_id) / "lesson.json")));
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(FilesUnder(dir / lesson_id, listed), listed);

  // The torrent had no web seed and DHT, LSD and PEX were off: the bytes came from the origin's
  // seeder, which only the tracker could have named; the tracker counted the download.
  const std::string announces = AnnounceLines(ReadFile(tmp_ / "aria2c.log"));
  EXPECT_NE(announces, "") << "no announce in aria2c's log";
  const SwarmCounts after = Scrape(v1_hash);
  EXPECT_EQ(after.downloaded, before.downloaded + 1) << "aria2c announced:\n" << announces;
}

// The lesson.torrent as the origin serves it, web seed included: a client that cannot use the swarm
// (Debian 12's aria2c, see above) still gets the bundle over HTTP (BEP 19). aria2c 1.36 knows no
// BEP 47 pad files either, so it asks the web seed for them by path (<lesson>/.pad/<size>) and
// needs them as that many zero bytes to check the pieces they fill.
TEST_F(StockClientTest, Aria2cDownloadsABundleFromTheWebSeed) {
  ASSERT_NE(FindProgram("aria2c"), "") << "aria2c is not installed: run scripts/install-deps.sh";
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  const fs::path dir = tmp_ / "aria2";
  ChildProcess aria2c;
  const auto start = Clock::now();
  // No tracker either: with DHT, LSD and PEX off, the web seed is the only place the bytes can
  // come from.
  ASSERT_EQ(StartAria2c(aria2c, BundleDir(lesson_id) / "lesson.torrent", dir, {"--bt-exclude-tracker=*"}), "");
  const std::optional<int> exit_status = aria2c.Wait(120);
  EXPECT_EQ(exit_status, 0) << "aria2c (killed if nullopt)\nstdout: " << aria2c.out() << "\nstderr: " << aria2c.err();
  std::cout << "[          ] aria2c took " << SecondsSince(start) << " s\n";

  const auto listed = ListedFiles(json::parse(ReadFile(BundleDir(lesson_id) / "lesson.json")));
  ASSERT_FALSE(listed.empty());
  EXPECT_EQ(FilesUnder(dir / lesson_id, listed), listed);

  // The bytes came over HTTP from the web seed: aria2c asked it for the bundle's files, never
  // announced, and the origin's seeder sent nothing to any peer.
  const std::string log = ReadFile(tmp_ / "aria2c.log");
  EXPECT_NE(log.find("GET /bundles/" + lesson_id + "/"), std::string::npos) << "no web seed request in aria2c's log";
  EXPECT_EQ(AnnounceLines(log), "");
  for (const char* name : {"lesson.torrent", "lesson.v1.torrent"}) {
    lt::error_code ec;
    const lt::torrent_info ti((BundleDir(lesson_id) / name).string(), ec);
    ASSERT_FALSE(ec) << ec.message();
    const json seeded = SeededTorrent(ti.info_hashes().v1.to_string());
    ASSERT_FALSE(seeded.is_null()) << name << " is not seeded";
    EXPECT_EQ(seeded["uploaded_bytes"], 0) << name << ": " << seeded.dump();
  }
}

// transmission-cli gets the hybrid lesson.torrent if it can read it, else lesson.v1.torrent:
// Transmission 3.00 (Debian 12) cannot read a hybrid torrent at all, its bencode parser fails on
// the empty keys of "file tree" (transmission issues #1339 and #3386, fixed in 4.0).
TEST_F(StockClientTest, TransmissionCliDownloadsABundle) {
  ASSERT_NE(FindProgram("transmission-cli"), "") << "transmission-cli is not installed: run scripts/install-deps.sh";
  ASSERT_NE(FindProgram("transmission-show"), "") << "transmission-show is not installed: run scripts/install-deps.sh";
  // Transmission takes no peer on 127.0.0.0/8 from a tracker (libtransmission's is_martian_addr,
  // in 3.00 and 4.x alike), and tests stay on loopback: here it gets the torrent as served, web
  // seed included, so the bytes come from the origin's web seed while it announces to the tracker.
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  fs::path torrent = BundleDir(lesson_id) / "lesson.torrent";
  if (const std::string error = TransmissionReadError(torrent); !error.empty()) {
    std::cout << "[          ] Transmission cannot read the hybrid torrent (" << error << "): it gets lesson.v1.torrent\n";
    torrent = BundleDir(lesson_id) / "lesson.v1.torrent";
    ASSERT_EQ(TransmissionReadError(torrent), "");
  }
  lt::error_code ec;
  const std::string v1_hash = lt::torrent_info(torrent.string(), ec).info_hashes().v1.to_string();
  ASSERT_FALSE(ec) << ec.message();
  const SwarmCounts before = Scrape(v1_hash);

  // Its own config dir: no DHT, LSD, PEX, port mapping or RPC, a random listen port.
  const fs::path dir = tmp_ / "transmission";
  const fs::path config_dir = tmp_ / "transmission-config";
  fs::create_directories(dir);
  fs::create_directories(config_dir);
  WriteFile(config_dir / "settings.json", json{{"dht-enabled", false},
                                               {"lpd-enabled", false},
                                               {"pex-enabled", false},
                                               {"utp-enabled", false},
                                               {"port-forwarding-enabled", false},
                                               {"peer-port-random-on-start", true},
                                               {"rpc-enabled", false},
                                               {"blocklist-enabled", false},
                                               {"download-dir", dir.string()},
                                               {"incomplete-dir-enabled", false}}
                                              .dump());
  // transmission-cli keeps seeding when done; this script leaves a mark, then it is stopped.
  const fs::path finished = tmp_ / "finished";
  const fs::path finish_script = tmp_ / "finished.sh";
  WriteFile(finish_script, "#!/bin/sh\ntouch '" + finished.string() + "'\n");
  fs::permissions(finish_script, fs::perms::owner_all);

  const auto listed = ListedFiles(json::parse(ReadFile(BundleDir(lesson_id) / "lesson.json")));
  ASSERT_FALSE(listed.empty());

  ChildProcess transmission;
  const auto start = Clock::now();
  ASSERT_EQ(transmission.Start({"transmission-cli", "-g", config_dir.string(), "-w", dir.string(), "-f",
                                finish_script.string(), "-M", torrent.string()},
                               tmp_ / "transmission.out", tmp_ / "transmission.err"),
            "");
  bool done = false;
  WaitFor([&] {
    done = fs::exists(finished) && FilesUnder(dir / lesson_id, listed) == listed;
    return done || transmission.Wait(0).has_value();
  }, 120);
  ASSERT_TRUE(done) << "transmission-cli did not finish (exit " << transmission.Wait(0).value_or(-1)
                    << ", -1: still running)\nstderr: " << transmission.err() << "\nstdout ends: "
                    << Tail(transmission.out(), 600);
  std::cout << "[          ] transmission-cli downloaded the bundle in " << SecondsSince(start) << " s\n";
  EXPECT_EQ(FilesUnder(dir / lesson_id, listed), listed);

  // It told the tracker it has completed (the announce may come just after the finish script).
  SwarmCounts after;
  EXPECT_TRUE(WaitFor([&] {
    after = Scrape(v1_hash);
    return after.downloaded > before.downloaded;
  }, 30)) << "downloaded " << before.downloaded << " -> " << after.downloaded;
  EXPECT_EQ(after.downloaded, before.downloaded + 1);
  transmission.Stop(10);
}

}  // namespace
}  // namespace lm::origin
