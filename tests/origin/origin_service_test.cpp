// The whole origin on loopback, with a real catalog: a teacher's upload becomes a job, a bundle,
// a lesson in the catalog and a torrent that a BitTorrent client downloads from the origin's
// seeder through its tracker; a catalog that is down delays registration and loses nothing; the
// same bytes twice are one lesson; bad requests are refused and change nothing.

#include "origin/origin_service.h"

#include <gtest/gtest.h>
#include <libtorrent/alert_types.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/session_params.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>

#include "common/xxh3.h"
#include "tests/testing/http_client.h"
#include "tests/testing/origin_fixture.h"
#include "tests/testing/port_hold.h"
#include "tests/testing/quiet_session.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/torrent_reference.h"
#include "tests/testing/wait_for.h"

namespace lm::origin {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using lm::testing::HttpClient;
using lm::testing::ReadFile;
using lm::testing::WaitFor;

// A BitTorrent client's settings: listening on `listen` ("127.0.0.1:0"), no DHT, LSD or port mapping.
lt::settings_pack ClientSettings(const std::string& listen) {
  lt::settings_pack pack = lm::testing::QuietSessionSettings(listen);
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  return pack;
}

// The lesson's torrent for a client: no web seed (the seeder must serve it), saved under
// `save_path`. Throws if lesson.torrent does not parse.
lt::add_torrent_params ClientTorrent(const fs::path& bundle, const fs::path& save_path) {
  lt::add_torrent_params atp;
  atp.ti = std::make_shared<lt::torrent_info>((bundle / "lesson.torrent").string());
  atp.ti->clear_web_seeds();
  atp.save_path = save_path.string();
  return atp;
}

// Connects `h` to the seeder at `seeder`, again whenever it has no peer (an origin just restarted
// adds its bundles back a moment later), until it holds the whole lesson or `seconds` pass.
bool DownloadFromSeeder(lt::torrent_handle& h, const lt::tcp::endpoint& seeder, double seconds) {
  return WaitFor([&] {
    const lt::torrent_status st = h.status();
    if (st.is_seeding) return true;
    if (st.num_peers == 0) h.connect_peer(seeder);
    return false;
  }, seconds);
}

class OriginServiceTest : public lm::testing::OriginFixture {
 protected:
  // A GET to the origin with exactly this token ("" sends none).
  lm::testing::HttpResult Get(const std::string& target, const std::string& token) {
    std::map<std::string, std::string> headers;
    if (!token.empty()) headers["Authorization"] = "Bearer " + token;
    return Origin().Request("GET", target, "", headers);
  }
  std::string UploadId(const std::string& bytes, lm::testing::TusUploadOptions options = {}) {
    return Upload(bytes, std::move(options)).upload_id;
  }
};

TEST_F(OriginServiceTest, UploadBecomesARegisteredLessonThatPeersDownload) {
  const std::string upload_id = UploadId(lm::testing::LessonClip());
  const json job = WaitForJob(upload_id, DoneAndRegistered);
  ASSERT_TRUE(DoneAndRegistered(job)) << job.dump();
  EXPECT_EQ(job["progress"], 1.0);
  const std::string lesson_id = job["lesson_id"];

  // The catalog has the lesson, with the metadata the teacher gave and the teacher's school.
  auto in_catalog = HttpClient(catalog_.port()).Request("GET", "/v1/lessons/" + lesson_id, "",
                                                        {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(in_catalog.status, 200) << in_catalog.body;
  const json lesson = json::parse(in_catalog.body);
  EXPECT_EQ(lesson["title"], "分数的初步认识");
  EXPECT_EQ(lesson["subject"], "数学");
  EXPECT_EQ(lesson["school_id"], "tianhe-3");

  // The bundle is served for playback and as web seed.
  const fs::path bundle = fs::path(config_.data_dir) / "bundles" / lesson_id;
  auto master = HttpClient(origin_port()).Request("GET", "/bundles/" + lesson_id + "/master.m3u8");
  ASSERT_EQ(master.status, 200);
  EXPECT_EQ(master.body, ReadFile(bundle / "master.m3u8"));

  // A BitTorrent client with no web seed finds the origin through the tracker and downloads
  // every file; the bytes hash to what lesson.json says.
  lt::session client(ClientSettings("127.0.0.1:0"));
  lt::add_torrent_params atp = ClientTorrent(bundle, tmp_ / "client");
  lt::error_code ec;
  // Slow enough (seconds for the bundle) that /v1/torrents can be seen naming it as a peer. A
  // torrent's own limit holds on loopback too, unlike the session's.
  atp.download_limit = 100 * 1024;
  lt::torrent_handle h = client.add_torrent(atp, ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::string v1_hash = lm::testing::InfoHashesOfTorrent(ReadFile(bundle / "lesson.torrent")).v1;
  // The origin's view of the hybrid torrent in /v1/torrents; null if it does not list it.
  auto seeded = [&] {
    const json list = json::parse(HttpClient(origin_port()).Request("GET", "/v1/torrents").body, nullptr, false);
    if (list.is_object()) {
      for (const auto& t : list["torrents"]) {
        if (t["info_hash_v1"] == v1_hash) return t;
      }
    }
    return json();
  };
  int most_peers = 0;
  ASSERT_TRUE(WaitFor([&] {
    const json t = seeded();
    if (!t.is_null()) most_peers = std::max(most_peers, t["peers"].get<int>());
    return h.status().is_seeding;
  }, 90)) << "state " << h.status().state << " peers " << h.status().num_peers;
  EXPECT_EQ(most_peers, 1) << "/v1/torrents never showed the client as a peer";
  const json manifest = json::parse(ReadFile(bundle / "lesson.json"));
  ASSERT_FALSE(manifest["files"].empty());
  std::int64_t bundle_bytes = 0;
  for (const auto& f : manifest["files"]) {
    const std::string bytes = ReadFile(tmp_ / "client" / lesson_id / f["path"].get<std::string>());
    EXPECT_EQ(static_cast<std::int64_t>(bytes.size()), f["size"].get<std::int64_t>()) << f["path"];
    EXPECT_EQ(Xxh3Of(bytes).Hex(), f["xxh3_128"]) << f["path"];
    bundle_bytes += f["size"].get<std::int64_t>();
  }

  // /v1/torrents tells the operator so: the hybrid torrent has sent at least the whole bundle; its
  // v1-only twin, which nobody asked for, has sent nothing.
  json torrent;
  EXPECT_TRUE(WaitFor([&] {
    torrent = seeded();
    return !torrent.is_null() && torrent["uploaded_bytes"].get<std::int64_t>() >= bundle_bytes;
  }, 30)) << torrent.dump() << " bundle bytes " << bundle_bytes;
  const json all = json::parse(HttpClient(origin_port()).Request("GET", "/v1/torrents").body);
  ASSERT_EQ(all["torrents"].size(), 2u) << all.dump();
  for (const auto& t : all["torrents"]) {
    EXPECT_EQ(t["lesson_id"], lesson_id);
    EXPECT_EQ(t["state"], "seeding");
    if (t["info_hash_v1"] != v1_hash) {
      EXPECT_EQ(t["uploaded_bytes"], 0) << t.dump();
    }
  }

  // The same bytes again: the same lesson, one bundle on disk.
  const std::string again = UploadId(lm::testing::LessonClip());
  const json second = WaitForJob(again, DoneAndRegistered);
  ASSERT_TRUE(DoneAndRegistered(second)) << second.dump();
  EXPECT_EQ(second["lesson_id"], lesson_id);
  int bundles = 0;
  for (const auto& e : fs::directory_iterator(fs::path(config_.data_dir) / "bundles")) bundles += e.is_directory();
  EXPECT_EQ(bundles, 1);
}

// Whether this machine has IPv6 on loopback (a container may have it off).
bool HasIpv6Loopback() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// Whether something accepts a TCP connection at 127.0.0.1:port.
bool AcceptsOnIpv4Loopback(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}

// A county's origin on a dual-stack network listens on "::": teachers and schools reach it over
// IPv4 and IPv6 alike, its seeder included (libtorrent's IPv6 sockets are IPv6-only, so "::"
// must give the seeder both). A BitTorrent client that has IPv6 only downloads the lesson from
// the seeder at [::1]; the same port answers on 127.0.0.1, and the HTTP port on both.
TEST_F(OriginServiceTest, ListeningOnEveryAddressServesPeersOverIpv4AndIpv6) {
  if (!HasIpv6Loopback()) GTEST_SKIP() << "this machine has no IPv6 loopback (::1)";
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  StopOrigin();
  lm::testing::PortHold torrent_port;  // one port for both families (port 0 would give each its own)
  ASSERT_NE(torrent_port.port(), 0);
  config_.listen_address = "::";
  config_.torrent_port = torrent_port.port();
  StartOrigin();
  ASSERT_EQ(origin_->torrent_port(), torrent_port.port());
  for (const std::string host : {"127.0.0.1", "::1"}) {
    EXPECT_EQ(HttpClient(origin_port(), host).Request("GET", "/healthz").status, 200) << host;
  }
  EXPECT_TRUE(AcceptsOnIpv4Loopback(torrent_port.port()));

  lt::session client(ClientSettings("[::1]:0"));
  const fs::path bundle = BundleDir(lesson_id);
  const lt::add_torrent_params atp = ClientTorrent(bundle, tmp_ / "client6");
  lt::error_code ec;
  lt::torrent_handle h = client.add_torrent(atp, ec);
  ASSERT_FALSE(ec) << ec.message();
  h.replace_trackers({});  // the torrent's tracker is the origin's IPv4 URL; only [::1] is wanted here
  const lt::tcp::endpoint seeder(lt::make_address("::1"), torrent_port.port());
  ASSERT_TRUE(DownloadFromSeeder(h, seeder, 60)) << "state " << h.status().state << " peers " << h.status().num_peers;
  std::vector<lt::peer_info> peers;
  h.get_peer_info(peers);
  for (const lt::peer_info& p : peers) EXPECT_TRUE(p.ip.address().is_v6()) << p.ip;
  const json manifest = json::parse(ReadFile(bundle / "lesson.json"));
  for (const auto& f : manifest["files"]) {
    const std::string bytes = ReadFile(tmp_ / "client6" / lesson_id / f["path"].get<std::string>());
    EXPECT_EQ(Xxh3Of(bytes).Hex(), f["xxh3_128"]) << f["path"];
  }
}

// upload_rate_kbps caps the seeding to every peer, those on private and loopback addresses too
// (libtorrent exempts them by default, and a county's network is often 10/8): a client on
// 127.0.0.1 downloads the lesson no faster than the cap.
TEST_F(OriginServiceTest, TheUploadRateCapHoldsForPeersOnPrivateAddresses) {
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  StopOrigin();
  config_.upload_rate_kbps = 800;  // 100,000 bytes a second
  StartOrigin();
  const fs::path bundle = BundleDir(lesson_id);
  lt::session client(ClientSettings("127.0.0.1:0"));
  const lt::add_torrent_params atp = ClientTorrent(bundle, tmp_ / "capped");
  lt::error_code ec;
  const std::int64_t bytes = atp.ti->total_size();
  ASSERT_GT(bytes, 200'000) << "too small a lesson to see the cap";
  lt::torrent_handle h = client.add_torrent(atp, ec);
  ASSERT_FALSE(ec) << ec.message();
  const lt::tcp::endpoint seeder(lt::make_address("127.0.0.1"), origin_->torrent_port());
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(DownloadFromSeeder(h, seeder, 120)) << "state " << h.status().state << " peers " << h.status().num_peers;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double received = static_cast<double>(h.status().total_payload_download);
  std::printf("%.0f bytes in %.2f s: %.0f bytes/s under a cap of 100000\n", received, seconds, received / seconds);
  // libtorrent's limiter lets a burst of a second or so through at the start.
  EXPECT_LE(received / seconds, 100'000 * 1.5);
}

// The same cap holds for the bundle files over HTTP, the web seed that schools fall back on (and
// use alone with peer_to_peer off): every file of a lesson fetched at once, by as many clients,
// arrives whole and no faster than the cap all together.
TEST_F(OriginServiceTest, TheUploadRateCapHoldsForTheWebSeedToo) {
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  StopOrigin();
  config_.upload_rate_kbps = 800;  // 100,000 bytes a second
  StartOrigin();
  const json manifest = json::parse(ReadFile(BundleDir(lesson_id) / "lesson.json"));
  std::vector<std::thread> clients;
  std::vector<lm::testing::HttpResult> got(manifest["files"].size());
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < got.size(); ++i) {
    const std::string path = manifest["files"][i]["path"];
    clients.emplace_back([&, i, path] {
      got[i] = HttpClient(origin_port()).Request("GET", "/bundles/" + lesson_id + "/" + path);
    });
  }
  for (std::thread& t : clients) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double bytes = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].status, 200) << manifest["files"][i]["path"];
    EXPECT_EQ(Xxh3Of(got[i].body).Hex(), manifest["files"][i]["xxh3_128"]) << manifest["files"][i]["path"];
    bytes += static_cast<double>(got[i].body.size());
  }
  ASSERT_GT(bytes, 200'000) << "too small a lesson to see the cap";
  std::printf("%zu files, %.0f bytes in %.2f s: %.0f bytes/s under a cap of 100000\n", got.size(), bytes, seconds,
              bytes / seconds);
  // A quarter second of the rate (at least 64 KiB) may go at once.
  EXPECT_LE((bytes - 64 * 1024) / seconds, 100'000 * 1.1);
}

// super_seeding: the seeder offers a new peer one or two pieces the swarm lacks, not the whole
// lesson, and the next only as the peer has taken them (an origin on a metered link sends each
// piece out about once; the network lab measures what it costs in time). A client alone still
// gets every piece, and the files hash to lesson.json.
TEST_F(OriginServiceTest, SuperSeedingOffersAFewPiecesAtATimeAndStillDeliversTheLesson) {
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  StopOrigin();
  config_.super_seeding = "on";
  StartOrigin();
  const fs::path bundle = BundleDir(lesson_id);
  lt::session client(ClientSettings("127.0.0.1:0"));
  lt::add_torrent_params atp = ClientTorrent(bundle, tmp_ / "super");
  atp.download_limit = 100 * 1024;  // slow enough to see what the seeder offers first
  const int pieces = atp.ti->num_pieces();
  ASSERT_GT(pieces, 4) << "too small a lesson to tell super-seeding from seeding";
  lt::error_code ec;
  lt::torrent_handle h = client.add_torrent(atp, ec);
  ASSERT_FALSE(ec) << ec.message();
  const lt::tcp::endpoint seeder(lt::make_address("127.0.0.1"), origin_->torrent_port());
  // What the seeder offers beyond what the client already has: with plain seeding, every piece
  // at once; super-seeding, the two it is handing out, and up to two more in a race: a client that
  // has every piece it was shown says "not interested" before the seeder's next HAVE reaches it,
  // and libtorrent takes that as having the pieces it handed out and hands out the next ones. The
  // peer list is read before the client's own count, which only grows, so a piece the client has
  // just taken counts as had.
  int most_ahead = -1;
  ASSERT_TRUE(WaitFor([&] {
    if (h.status().num_peers == 0) h.connect_peer(seeder);
    std::vector<lt::peer_info> peers;
    h.get_peer_info(peers);
    const int had = h.status().num_pieces;
    for (const lt::peer_info& p : peers) {
      if (p.flags & (lt::peer_info::connecting | lt::peer_info::handshake)) continue;
      if (p.num_pieces > 0) most_ahead = std::max(most_ahead, p.num_pieces - had);
    }
    return h.status().is_seeding;
  }, 120)) << "state " << h.status().state << " peers " << h.status().num_peers;
  EXPECT_GE(most_ahead, 1);
  EXPECT_LE(most_ahead, 4) << "of " << pieces << " pieces";  // plain seeding: all of them, 5 or more
  const json manifest = json::parse(ReadFile(bundle / "lesson.json"));
  for (const auto& f : manifest["files"]) {
    const std::string bytes = ReadFile(tmp_ / "super" / lesson_id / f["path"].get<std::string>());
    EXPECT_EQ(Xxh3Of(bytes).Hex(), f["xxh3_128"]) << f["path"];
  }
}

// super_seeding = "strict": a school is offered its next piece only once another peer holds one it
// was given, that is once it has passed it on. Two clients that do not reach each other stop at the
// pieces they were first offered; once one connects to the other, both get the whole lesson.
TEST_F(OriginServiceTest, StrictSuperSeedingOffersMoreOnlyOncePiecesArePassedOn) {
  const std::string lesson_id = UploadLesson();
  ASSERT_FALSE(lesson_id.empty());
  StopOrigin();
  config_.super_seeding = "strict";
  StartOrigin();
  const fs::path bundle = BundleDir(lesson_id);
  const lt::tcp::endpoint seeder(lt::make_address("127.0.0.1"), origin_->torrent_port());
  // The clients learn of each other only where the test says: no tracker, and no peer exchange
  // (the seeder would name one to the other).
  auto quiet_client = [] {
    lt::session_params params(ClientSettings("127.0.0.1:0"));
    params.extensions.clear();
    return std::make_unique<lt::session>(std::move(params));
  };
  struct Client {
    std::unique_ptr<lt::session> session;
    lt::torrent_handle torrent;
  };
  std::vector<Client> clients;
  for (const char* name : {"strict-a", "strict-b"}) {
    Client c{quiet_client(), {}};
    lt::add_torrent_params atp = ClientTorrent(bundle, tmp_ / name);
    atp.trackers.clear();
    atp.ti->clear_trackers();
    // A trickle (a piece would take a minute) until both are in the swarm: libtorrent's strict
    // mode counts a peer alone in the swarm as having passed its pieces on, so one that finished a
    // piece before the other joined would rightly be offered more.
    atp.download_limit = 4 * 1024;
    lt::error_code ec;
    c.torrent = c.session->add_torrent(atp, ec);
    ASSERT_FALSE(ec) << ec.message();
    clients.push_back(std::move(c));
  }
  const int pieces = clients[0].torrent.torrent_file()->num_pieces();
  ASSERT_GT(pieces, 4) << "too small a lesson to tell strict super-seeding from seeding";
  auto num_pieces = [&](int i) { return clients[i].torrent.status().num_pieces; };
  // In the swarm: the seeder has taken the client's handshake and named the pieces it offers it.
  auto offered_a_piece = [](const lt::torrent_handle& h) {
    std::vector<lt::peer_info> peers;
    h.get_peer_info(peers);
    return std::any_of(peers.begin(), peers.end(), [](const lt::peer_info& p) { return p.pieces.count() > 0; });
  };
  ASSERT_TRUE(WaitFor([&] {
    for (Client& c : clients) {
      if (c.torrent.status().num_peers == 0) c.torrent.connect_peer(seeder);
    }
    return offered_a_piece(clients[0].torrent) && offered_a_piece(clients[1].torrent);
  }, 60)) << "the seeder did not offer both clients a piece";
  for (Client& c : clients) c.torrent.set_download_limit(0);
  // Both take what they were offered first (a piece or two each)...
  ASSERT_TRUE(WaitFor([&] { return num_pieces(0) >= 1 && num_pieces(1) >= 1; }, 60))
      << num_pieces(0) << " and " << num_pieces(1) << " pieces";
  // ...and nothing more while neither passes a piece on (with "on", each would have the lesson
  // within a second or two).
  EXPECT_FALSE(WaitFor([&] { return num_pieces(0) > 2 || num_pieces(1) > 2; }, 5))
      << num_pieces(0) << " and " << num_pieces(1) << " of " << pieces << " pieces";
  // One reaches the other: each piece one takes from the other frees the origin's next.
  const lt::tcp::endpoint b(lt::make_address("127.0.0.1"), clients[1].session->listen_port());
  ASSERT_TRUE(WaitFor([&] {
    if (clients[0].torrent.status().num_peers < 2) clients[0].torrent.connect_peer(b);
    return clients[0].torrent.status().is_seeding && clients[1].torrent.status().is_seeding;
  }, 120)) << num_pieces(0) << " and " << num_pieces(1) << " of " << pieces << " pieces";
  const json manifest = json::parse(ReadFile(bundle / "lesson.json"));
  for (const char* name : {"strict-a", "strict-b"}) {
    for (const auto& f : manifest["files"]) {
      const std::string bytes = ReadFile(tmp_ / name / lesson_id / f["path"].get<std::string>());
      EXPECT_EQ(Xxh3Of(bytes).Hex(), f["xxh3_128"]) << name << " " << f["path"];
    }
  }
}

TEST_F(OriginServiceTest, CatalogDownDelaysRegistrationAndLosesNothing) {
  // The teacher's token is checked (and cached) while the catalog is up; the catalog goes away
  // before the last chunk arrives, so before there is a job at all: the bundle is made while it
  // is down, and registered once it is back.
  lm::testing::TusUploadOptions two_chunks;
  two_chunks.chunk_bytes = lm::testing::LessonClip().size() / 2 + 1;
  two_chunks.before_last_chunk = [&] { catalog_.Stop(); };
  const std::string upload_id = UploadId(lm::testing::LessonClip(), two_chunks);
  ASSERT_FALSE(upload_id.empty());
  const json done = WaitForJob(upload_id, Done);
  ASSERT_EQ(done["state"], "done") << done.dump();
  EXPECT_FALSE(done["registered"].get<bool>());
  ASSERT_TRUE(catalog_.Start());
  const json registered = WaitForJob(upload_id, DoneAndRegistered, 90);
  ASSERT_TRUE(DoneAndRegistered(registered)) << registered.dump();
  auto in_catalog = HttpClient(catalog_.port()).Request(
      "GET", "/v1/lessons/" + registered["lesson_id"].get<std::string>(), "", {{"Authorization", "Bearer " + admin_}});
  EXPECT_EQ(in_catalog.status, 200) << in_catalog.body;
}

TEST_F(OriginServiceTest, NotMediaFailsTheJobWithAClearReason) {
  const std::string upload_id = UploadId(std::string(100000, 'x'));
  const json job = WaitForJob(upload_id, [](const json& j) { return j["state"] == "failed"; }, 60);
  ASSERT_EQ(job["state"], "failed") << job.dump();
  EXPECT_NE(job["error"].get<std::string>().find("neither media nor a known document"), std::string::npos)
      << job.dump();
  EXPECT_EQ(job["attempts"], 1);
}

// A teacher sets chapters and cuts clips through the origin: each is a new bundle, seeded and
// registered in the catalog as a lesson; others may not, bad input is named. The version with
// chapters takes the old lesson's place in the packs that held it (a new signed pack version
// naming the new bundle's info hashes), so the schools' edges follow the edit.
TEST_F(OriginServiceTest, ChaptersAndClipsBecomeNewRegisteredLessons) {
  const std::string lesson_id = UploadLesson();  // 4 s
  ASSERT_FALSE(lesson_id.empty());
  auto send = [&](const std::string& method, const std::string& target, const json& body, const std::string& token) {
    return Origin().Request(method, target, body.dump(), {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
  };
  HttpClient catalog(catalog_.port());
  auto admin = [&](const std::string& method, const std::string& target, const json& body = nullptr) {
    return catalog.Request(method, target, body.is_null() ? "" : body.dump(),
                           {{"Authorization", "Bearer " + admin_}, {"Content-Type", "application/json"}});
  };
  ASSERT_TRUE(WaitFor([&] { return admin("GET", "/v1/lessons/" + lesson_id).status == 200; }, 60));  // registered
  ASSERT_EQ(admin("POST", "/v1/schools", {{"id", "lianhe-xx"}, {"name", "联和小学"}, {"kind", "rural"}}).status, 201);
  const auto published = admin("POST", "/v1/packs",
                               {{"title", "三年级数学"},
                                {"items", {{{"lesson_id", lesson_id}, {"needed_by", "2026-12-07"}, {"pinned_until", "2027-01-31"}}}},
                                {"targets", {{"schools", {"lianhe-xx"}}}}});
  ASSERT_EQ(published.status, 201) << published.body;
  const std::int64_t pack_id = json::parse(published.body)["pack_id"];
  const std::string chapters_path = "/v1/lessons/" + lesson_id + "/chapters";
  const json chapters = {{"chapters", {{{"start_s", 0}, {"end_s", 2}, {"title", "导入"}}, {{"start_s", 2}, {"end_s", 4}, {"title", "新课"}}}}};
  EXPECT_EQ(send("PUT", chapters_path, chapters, other_teacher_).status, 403);
  EXPECT_EQ(send("PUT", "/v1/lessons/" + std::string(32, 'f') + "/chapters", chapters, teacher_).status, 404);
  const auto bad = send("PUT", chapters_path, {{"chapters", {{{"start_s", 3}, {"end_s", 1}, {"title", "倒"}}}}}, teacher_);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body, nullptr, false).value("field", ""), "chapters[0].end_s") << bad.body;

  const auto set = send("PUT", chapters_path, chapters, teacher_);
  ASSERT_EQ(set.status, 201) << set.body;
  const json version = json::parse(set.body);
  EXPECT_EQ(version["revises"], lesson_id);
  EXPECT_EQ(version["registered"], true);
  const std::string version_id = version["lesson_id"];
  const json manifest = json::parse(Origin().Request("GET", "/bundles/" + version_id + "/lesson.json").body, nullptr, false);
  ASSERT_TRUE(manifest.is_object());
  EXPECT_EQ(manifest["chapters"][1]["title"], "新课");
  EXPECT_EQ(manifest["revises"], lesson_id);
  const auto registered = catalog.Request("GET", "/v1/lessons/" + version_id, "", {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(registered.status, 200) << registered.body;
  const auto hashes = lm::testing::InfoHashesOfTorrent(ReadFile(BundleDir(version_id) / "lesson.torrent"));
  EXPECT_EQ(json::parse(registered.body)["info_hash_v1"], hashes.v1);
  EXPECT_EQ(json::parse(registered.body)["revises"], lesson_id);
  EXPECT_EQ(json::parse(registered.body)["manifest"]["chapters"], manifest["chapters"]);
  // The old lesson names its successor; the pack's next version holds the new one, dates kept.
  const json old_lesson = json::parse(admin("GET", "/v1/lessons/" + lesson_id).body);
  EXPECT_EQ(old_lesson["superseded_by"], version_id) << old_lesson.dump();
  const json pack = json::parse(admin("GET", "/v1/packs/" + std::to_string(pack_id)).body);
  EXPECT_EQ(pack["version"], 2) << pack.dump();
  const json items = json::parse(pack["manifest"].get<std::string>())["items"];
  ASSERT_EQ(items.size(), 1u) << items.dump();
  EXPECT_EQ(items[0]["lesson_id"], version_id);
  EXPECT_EQ(items[0]["info_hash_v1"], hashes.v1);
  EXPECT_EQ(items[0]["info_hash_v2"], hashes.v2);
  EXPECT_EQ(items[0]["needed_by"], "2026-12-07");
  EXPECT_EQ(items[0]["pinned_until"], "2027-01-31");
  // Chapters set again on the original lesson: the pack follows to that version too.
  const auto again = send("PUT", chapters_path, {{"chapters", {{{"start_s", 0}, {"end_s", 4}, {"title", "全课"}}}}}, teacher_);
  ASSERT_EQ(again.status, 201) << again.body;
  const std::string third_id = json::parse(again.body)["lesson_id"];
  const json pack3 = json::parse(admin("GET", "/v1/packs/" + std::to_string(pack_id)).body);
  EXPECT_EQ(pack3["version"], 3) << pack3.dump();
  EXPECT_EQ(json::parse(pack3["manifest"].get<std::string>())["items"][0]["lesson_id"], third_id);
  EXPECT_EQ(json::parse(admin("GET", "/v1/lessons/" + version_id).body)["superseded_by"], third_id);

  // Clips, from the new version, by an admin too.
  const std::string clips_path = "/v1/lessons/" + version_id + "/clips";
  const auto bad_range = send("POST", clips_path, {{"clips", {{{"at", "00:03-00:01"}}}}}, teacher_);
  EXPECT_EQ(bad_range.status, 400);
  EXPECT_EQ(json::parse(bad_range.body, nullptr, false).value("field", ""), "clips[0].at") << bad_range.body;
  EXPECT_EQ(send("POST", clips_path, {{"clips", {{{"at", "0-2"}}}}}, other_teacher_).status, 403);
  const auto cut = send("POST", clips_path, {{"clips", {{{"at", "00:00-00:02"}, {"title", "导入"}}}}}, admin_);
  ASSERT_EQ(cut.status, 201) << cut.body;
  const json clips = json::parse(cut.body);
  ASSERT_EQ(clips["clips"].size(), 1u);
  EXPECT_EQ(clips["registered"], true);
  const std::string clip_id = clips["clips"][0]["lesson_id"];
  EXPECT_NEAR(clips["clips"][0]["duration_s"].get<double>(), 2.0, 0.1);
  const auto clip_in_catalog = catalog.Request("GET", "/v1/lessons/" + clip_id, "", {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(clip_in_catalog.status, 200) << clip_in_catalog.body;
  const json clip_manifest = json::parse(clip_in_catalog.body)["manifest"];
  EXPECT_EQ(clip_manifest["title"], "导入");
  EXPECT_EQ(clip_manifest["parent"]["lesson_id"], version_id);
  EXPECT_EQ(clip_manifest["chapters"][0]["title"], "导入");  // the parent's chapter inside the range
  // The clip's owner is the lesson's: its teacher may cut it again.
  EXPECT_EQ(send("POST", "/v1/lessons/" + clip_id + "/clips", {{"clips", {{{"at", "0-1.5"}}}}}, teacher_).status, 201);
}

// Chapters given with the upload (tus metadata "chapters") go into the bundle's lesson.json: a last
// chapter that runs past the end is cut to the lesson's real duration; a chapter that starts after
// the end fails the job, naming it, before anything is encoded.
TEST_F(OriginServiceTest, ChaptersGivenWithTheUploadAreInTheBundle) {
  lm::testing::TusUploadOptions one_patch;
  one_patch.chunk_bytes = SIZE_MAX;
  auto metadata = DefaultMetadata();
  metadata["chapters"] = R"([{"start_s":0,"end_s":1.5,"title":"导入"},{"start_s":1.5,"end_s":30,"title":"新课"}])";
  const auto up = Upload(lm::testing::LessonClip(), one_patch, metadata);
  const json job = WaitForJob(up.upload_id, DoneAndRegistered);
  ASSERT_TRUE(DoneAndRegistered(job)) << job.dump();
  const json manifest = json::parse(ReadFile(BundleDir(job["lesson_id"]) / "lesson.json"));
  const double duration = manifest["duration_s"];
  EXPECT_NEAR(duration, 4.0, 0.2);
  EXPECT_EQ(manifest["chapters"], json::parse(R"([{"start_s":0.0,"end_s":1.5,"title":"导入"},)"
                                              R"({"start_s":1.5,"end_s":)" + json(duration).dump() + R"(,"title":"新课"}])"));
  EXPECT_EQ(manifest["title"], "分数的初步认识");
  // The catalog has the lesson as the bundle has it.
  auto in_catalog = HttpClient(catalog_.port()).Request("GET", "/v1/lessons/" + job["lesson_id"].get<std::string>(), "",
                                                        {{"Authorization", "Bearer " + admin_}});
  ASSERT_EQ(in_catalog.status, 200) << in_catalog.body;
  EXPECT_EQ(json::parse(in_catalog.body)["manifest"]["chapters"], manifest["chapters"]);

  metadata["chapters"] = R"([{"start_s":0,"end_s":2,"title":"导入"},{"start_s":90,"end_s":120,"title":"练习"}])";
  const auto late = Upload(lm::testing::LessonClip(), one_patch, metadata);
  const json failed = WaitForJob(late.upload_id, [](const json& j) { return j["state"] == "failed"; }, 60);
  ASSERT_EQ(failed["state"], "failed") << failed.dump();
  EXPECT_NE(failed["error"].get<std::string>().find("chapters[1].start_s (90.0 s) is not before the end of the lesson (4."),
            std::string::npos) << failed.dump();
  EXPECT_EQ(failed["attempts"], 1);
}

TEST_F(OriginServiceTest, BadRequestsAreRefusedAndChangeNothing) {
  // Uploading needs a teacher's token.
  auto none = lm::testing::TusUpload(origin_port(), "", "abc", {});
  EXPECT_EQ(none.failed_status, 401);
  auto unknown = lm::testing::TusUpload(origin_port(), "not-a-token", "abc", {});
  EXPECT_EQ(unknown.failed_status, 401);
  auto edge = lm::testing::TusUpload(origin_port(), edge_, "abc", {});
  EXPECT_EQ(edge.failed_status, 403);

  // Jobs: only the uploader sees one; ids are checked.
  const std::string upload_id = UploadId(std::string(1000, 'x'));
  const json job = WaitForJob(upload_id, [](const json& j) { return j["state"] == "failed"; }, 60);
  const std::string job_path = "/v1/jobs/" + std::to_string(job["id"].get<std::int64_t>());
  EXPECT_EQ(Get(job_path, teacher_).status, 200);
  EXPECT_EQ(Get(job_path, other_teacher_).status, 403);
  EXPECT_EQ(Get(job_path, edge_).status, 403);
  EXPECT_EQ(Get(job_path, "").status, 401);
  EXPECT_EQ(Get("/v1/jobs/999999", teacher_).status, 404);
  {  // a job whose upload is gone (lost from the disk) is no one's to see: once, anyone's
    const fs::path info = fs::path(config_.data_dir) / "uploads" / (upload_id + ".json");
    ASSERT_TRUE(fs::exists(info));
    fs::rename(info, info.string() + ".away");
    EXPECT_EQ(Get(job_path, other_teacher_).status, 404);
    EXPECT_EQ(Get(job_path, teacher_).status, 404);
    fs::rename(info.string() + ".away", info);
  }
  EXPECT_EQ(Get("/v1/jobs/-1", teacher_).status, 404);
  auto bad_upload = Get("/v1/jobs?upload=../../etc", teacher_);
  EXPECT_EQ(bad_upload.status, 400);
  EXPECT_EQ(json::parse(bad_upload.body)["field"], "upload");

  // Nothing outside a bundle is served.
  HttpClient web(origin_port());
  EXPECT_EQ(web.Request("GET", "/bundles/../jobs.db").status, 404);
  EXPECT_EQ(web.Request("GET", "/bundles/%2e%2e/jobs.db").status, 404);
  EXPECT_EQ(web.Request("GET", "/nothing-here").status, 404);
  // The tracker knows no torrent it does not seed.
  auto announce = web.Request("GET", "/announce?info_hash=%00%01%02%03%04%05%06%07%08%09%0a%0b%0c%0d%0e%0f%10%11%12%13"
                                     "&peer_id=-LM0001-abcdefghijkl&port=6881&left=0");
  EXPECT_EQ(announce.status, 200);
  EXPECT_NE(announce.body.find("failure reason"), std::string::npos) << announce.body;
}

}  // namespace
}  // namespace lm::origin
