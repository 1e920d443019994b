// Sneakernet: a pack exported by one edge to a folder (the USB drive) and imported by a second edge
// with the catalog and the origin stopped. The second edge offers the lessons, serves the same
// bytes and seeds them with no network beyond loopback; an import cut off mid-way (the drive
// pulled) offers nothing half-copied and a second run continues where it stopped; a tampered file
// and a manifest meant for another school are refused.

#include <gtest/gtest.h>
#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <nlohmann/json.hpp>

#include "bundle/lesson_manifest.h"
#include "common/read_file.h"
#include "edge/edge_service.h"
#include "edge/edge_store.h"
#include "edge/transfer.h"
#include "edge/usb_export.h"
#include "edge/usb_import.h"
#include "edge/usb_layout.h"
#include "tests/edge/edge_lab.h"
#include "tests/testing/http_client.h"
#include "tests/testing/media_fixtures.h"
#include "tests/testing/quiet_session.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::edge {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

constexpr double kPeerDeadlineSeconds = 180;
constexpr char kPackTitle[] = "三年级数学: 分数单元?";

TEST(FatSafeNameTest, ReadableNamesSafeOnFatAndUnique) {
  EXPECT_EQ(FatSafeName("三年级数学: 分数单元?", "x"), "三年级数学_ 分数单元_");
  EXPECT_EQ(FatSafeName(" a*b<c>d|e\\f/g\"h. . ", "x"), "a_b_c_d_e_f_g_h");
  EXPECT_EQ(FatSafeName("...", "fallback"), "fallback");
  EXPECT_EQ(FatSafeName("con", "x"), "_con");
  EXPECT_EQ(FatSafeName("COM1.txt", "x"), "_COM1.txt");
  EXPECT_EQ(FatSafeName(std::string("tab\there"), "x"), "tab_here");
  const std::string long_title(60, 'a');
  const std::string chinese = FatSafeName(long_title + "分数分数分数分数分数", "x");
  EXPECT_LE(chinese.size(), kFatNameMaxBytes);
  EXPECT_EQ(chinese, long_title + "分数分数分数");  // cut at a character boundary
  std::set<std::string> taken;
  EXPECT_EQ(UniqueFatName("分数", &taken), "分数");
  EXPECT_EQ(UniqueFatName("分数", &taken), "分数 (2)");
  EXPECT_EQ(UniqueFatName("Lesson", &taken), "Lesson");
  EXPECT_EQ(UniqueFatName("LESSON", &taken), "LESSON (2)");  // FAT ignores case
}

class UsbTest : public lm::testing::EdgeLab {
 protected:
  void SetUp() override {
    EdgeLab::SetUp();
    lm::testing::ClipSpec spec;
    spec.seconds = 4;
    spec.width = 320;
    spec.height = 240;
    ASSERT_TRUE(lm::testing::MakeClip(tmp_ / "a.mp4", spec));
    spec.fps = "25";
    ASSERT_TRUE(lm::testing::MakeClip(tmp_ / "b.mp4", spec));
  }

  void TearDown() override {
    for (auto& e : edges_) e->Stop();
    EdgeLab::TearDown();
  }

  std::string UploadLesson(const fs::path& clip, const std::string& title) { return Register(ReadFile(clip), title); }

  EdgeConfig Config(const std::string& name, const std::string& school = "conghua-lx") {
    EdgeConfig c = EdgeSettings();
    c.school_id = school;
    c.cache_dir = (tmp_ / name).string();
    c.report_interval_seconds = 60;
    return c;
  }

  EdgeService& StartEdge(const EdgeConfig& c) {
    auto edge = EdgeService::Start(c);
    EXPECT_TRUE(edge.ok()) << edge.status().ToString();
    edges_.push_back(std::move(*edge));
    return *edges_.back();
  }

  ImportOptions Import(const EdgeConfig& c, const fs::path& from) {
    ImportOptions o;
    o.cache_dir = c.cache_dir;
    o.school_id = c.school_id;
    o.catalog_key = c.catalog_key;
    o.renditions = c.renditions;
    o.quota_bytes = 10'000'000'000;
    o.min_free_bytes = 0;
    o.from_dir = from;
    o.progress = nullptr;
    return o;
  }

  static json PlayableIds(EdgeService& edge) {
    auto r = HttpClient(edge.http_port()).Request("GET", "/v1/lessons");
    json ids = json::array();
    if (r.status != 200) return ids;
    const json body = json::parse(r.body);
    for (const auto& l : body["lessons"]) ids.push_back(l["id"]);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // What the pack follower writes once the catalog has named the school's communities.
  static void KnowsCommunities(const EdgeConfig& c) {
    fs::create_directories(c.cache_dir);
    auto store = EdgeStore::Open((fs::path(c.cache_dir) / "state.db").string());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("communities", R"(["th-ch-1"])").ok());
  }

  static std::vector<std::string> ReadyIds(const fs::path& cache_dir) {
    auto store = EdgeStore::Open((cache_dir / "state.db").string());
    EXPECT_TRUE(store.ok());
    std::vector<std::string> out;
    auto lessons = (*store)->Lessons();
    EXPECT_TRUE(lessons.ok());
    for (const auto& l : *lessons) {
      if (l.state == LessonState::kReady) out.push_back(l.id);
    }
    return out;
  }

  std::vector<std::unique_ptr<EdgeService>> edges_;
};

// A peer with nothing but the torrent and the edge's address downloads the lesson's kept files.
bool DownloadFrom(std::uint16_t port, const std::string& torrent, const fs::path& save_path) {
  lt::settings_pack sp = lm::testing::QuietSessionSettings("127.0.0.1:0");
  sp.set_int(lt::settings_pack::alert_mask, 0);
  sp.set_bool(lt::settings_pack::enable_outgoing_utp, false);  // the edge takes TCP only
  lt::session session(sp);
  lt::add_torrent_params params;
  params.ti = std::make_shared<lt::torrent_info>(lt::span<const char>(torrent.data(), static_cast<long>(torrent.size())),
                                                 lt::from_span);
  params.save_path = save_path.string();
  const lt::file_storage& files = params.ti->files();
  params.file_priorities.assign(static_cast<size_t>(files.num_files()), lt::default_priority);
  for (const lt::file_index_t fi : files.file_range()) {
    if (files.pad_file_at(fi) || !KeepsFile(std::string(files.file_name(fi)), {"240p"})) {
      params.file_priorities[static_cast<size_t>(static_cast<int>(fi))] = lt::dont_download;
    }
  }
  lt::torrent_handle h = session.add_torrent(std::move(params));
  auto connected = std::chrono::steady_clock::time_point{};
  return WaitFor([&] {
    if (std::chrono::steady_clock::now() - connected > std::chrono::seconds(2)) {
      h.connect_peer({boost::asio::ip::make_address("127.0.0.1"), port});
      connected = std::chrono::steady_clock::now();
    }
    const lt::torrent_status st = h.status();
    return st.state == lt::torrent_status::finished || st.state == lt::torrent_status::seeding;
  }, kPeerDeadlineSeconds);
}

TEST_F(UsbTest, ExportedPackIsImportedOfflineResumedAfterThePulledDriveServedAndSeeded) {
  const std::string fractions = UploadLesson(tmp_ / "a.mp4", "分数的初步认识");
  const std::string addition = UploadLesson(tmp_ / "b.mp4", "10以内的加法");
  ASSERT_FALSE(fractions.empty());
  ASSERT_FALSE(addition.empty());
  json items = json::array({{{"lesson_id", fractions}, {"needed_by", "2026-12-07"}},
                            {{"lesson_id", addition}, {"needed_by", "2026-12-14"}}});
  ASSERT_EQ(Catalog("POST", "/v1/packs", {{"title", kPackTitle}, {"items", items}, {"targets", {{"communities", {"th-ch-1"}}}}})
                .status,
            201);
  const json expected = json::array({fractions, addition});
  json sorted_expected = expected;
  std::sort(sorted_expected.begin(), sorted_expected.end());

  // Edge A, connected, gets the pack and exports it while it runs.
  const EdgeConfig a = Config("edge-a");
  EdgeService& edge_a = StartEdge(a);
  ASSERT_TRUE(WaitFor([&] { return PlayableIds(edge_a).size() == 2; }, kDeadlineSeconds));
  const fs::path usb = tmp_ / "usb";
  ExportOptions eo;
  eo.cache_dir = a.cache_dir;
  eo.renditions = a.renditions;
  eo.pack = "1";
  eo.to_dir = usb;
  eo.progress = nullptr;
  auto exported = ExportPack(eo);
  ASSERT_TRUE(exported.ok()) << exported.status().ToString();
  EXPECT_EQ(exported->lessons_exported, 2);
  const fs::path pack_dir = usb / "三年级数学_ 分数单元_";
  ASSERT_EQ(exported->pack_dir, pack_dir);
  const json index = json::parse(ReadFile(pack_dir / kUsbIndexFile));
  ASSERT_EQ(index["lessons"].size(), 2u);
  EXPECT_EQ(index["lessons"][0]["id"], fractions);
  EXPECT_EQ(index["lessons"][0]["folder"], "分数的初步认识");
  EXPECT_EQ(index["lessons"][1]["folder"], "10以内的加法");
  EXPECT_TRUE(fs::exists(pack_dir / "分数的初步认识" / "240p.mp4"));
  EXPECT_FALSE(fs::exists(pack_dir / "分数的初步认识" / "audio.mp4"));  // not kept, not exported
  EXPECT_TRUE(fs::exists(pack_dir / kUsbTorrentsDir / (addition + ".torrent")));
  // Exporting again to the same drive writes nothing new.
  auto again = ExportPack(eo);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->files_written, 0);
  EXPECT_EQ(again->pack_dir, pack_dir);

  // No network from here on.
  edge_a.Stop();
  origin_->Stop();
  catalog_.Stop();

  // A tampered byte: refused, nothing offered.
  const fs::path bad = tmp_ / "usb-bad";
  fs::copy(usb, bad, fs::copy_options::recursive);
  {
    const fs::path victim = bad / pack_dir.filename() / "10以内的加法" / "240p.mp4";
    std::string bytes = ReadFile(victim);
    bytes[bytes.size() / 2] ^= 0x01;
    lm::testing::WriteFile(victim, bytes);
  }
  const EdgeConfig c = Config("edge-c");
  KnowsCommunities(c);
  auto tampered = ImportFromUsb(Import(c, bad));
  ASSERT_FALSE(tampered.ok());
  EXPECT_EQ(tampered.status().code(), StatusCode::kUnsupportedInput) << tampered.status().ToString();
  EXPECT_NE(tampered.status().message().find("240p.mp4"), std::string::npos) << tampered.status().message();
  EXPECT_EQ(ReadyIds(c.cache_dir), std::vector<std::string>{fractions});  // the untouched one only

  // Another school's edge: the manifest does not target it.
  const EdgeConfig other = Config("edge-other", "other");
  auto foreign = ImportFromUsb(Import(other, usb));
  ASSERT_FALSE(foreign.ok());
  EXPECT_EQ(foreign.status().code(), StatusCode::kUnsupportedInput);
  EXPECT_NE(foreign.status().message().find("not meant for school other"), std::string::npos) << foreign.status().message();
  EXPECT_TRUE(ReadyIds(other.cache_dir).empty());

  // Edge B: the drive is pulled after the second file.
  const EdgeConfig b = Config("edge-b");
  KnowsCommunities(b);
  ImportOptions pulled = Import(b, usb);
  int files = 0;
  const fs::path lesson_dir = pack_dir / "分数的初步认识";
  pulled.after_file = [&](const std::string&, const std::string&) {
    if (++files == 2) fs::rename(lesson_dir, tmp_ / "pulled");
  };
  auto cut = ImportFromUsb(pulled);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(CliExitCode(cut.status().code()), 4) << cut.status().ToString();
  EXPECT_NE(cut.status().message().find("import stopped: cannot read"), std::string::npos) << cut.status().message();
  EXPECT_EQ(cut.status().message().find('\n'), std::string::npos);
  EXPECT_TRUE(ReadyIds(b.cache_dir).empty());  // nothing half-imported offered
  EXPECT_FALSE(fs::exists(fs::path(b.cache_dir) / "lessons" / fractions / "lesson.json"));

  // Edge B runs, offline; the drive comes back and the import continues while it runs.
  EdgeService& edge_b = StartEdge(b);
  EXPECT_EQ(PlayableIds(edge_b), json::array());
  fs::rename(tmp_ / "pulled", lesson_dir);
  auto resumed = ImportFromUsb(Import(b, usb));
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->lessons_imported, 2);
  EXPECT_EQ(resumed->files_resumed, 2);
  // Run again: everything is held.
  auto third = ImportFromUsb(Import(b, usb));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->lessons_held, 2);
  EXPECT_EQ(third->files_copied, 0);

  EXPECT_EQ(PlayableIds(edge_b), sorted_expected);
  for (const std::string& id : {fractions, addition}) {
    const std::string mp4 = ReadFile(tmp_ / "origin" / "bundles" / id / "240p.mp4");
    auto part = HttpClient(edge_b.http_port()).Request("GET", "/lessons/" + id + "/240p.mp4", "",
                                                       {{"Range", "bytes=100-1099"}});
    ASSERT_EQ(part.status, 206) << part.body;
    EXPECT_EQ(part.body, mp4.substr(100, 1000));
    EXPECT_EQ(HttpClient(edge_b.http_port()).Request("GET", "/lessons/" + id + "/240p.mp4").body, mp4);
    EXPECT_EQ(HttpClient(edge_b.http_port()).Request("GET", "/lessons/" + id + "/audio.mp4").status, 404);
  }
  const json one = json::parse(HttpClient(edge_b.http_port()).Request("GET", "/v1/lessons/" + fractions).body);
  EXPECT_EQ(one["teacher"], "王老师");
  EXPECT_EQ(one["needed_by"], "2026-12-07");

  // Edge B seeds what it imported to a school next door, with nobody else online.
  const std::string torrent = ReadFile(pack_dir / kUsbTorrentsDir / (fractions + ".torrent"));
  EXPECT_TRUE(DownloadFrom(edge_b.torrent_port(), torrent, tmp_ / "next-door"));
  EXPECT_EQ(ReadFile(tmp_ / "next-door" / fractions / "240p.mp4"),
            ReadFile(tmp_ / "origin" / "bundles" / fractions / "240p.mp4"));
}

}  // namespace
}  // namespace lm::edge
