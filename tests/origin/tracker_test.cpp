// The origin's tracker as BitTorrent clients use it: announces and scrapes built as requests with
// binary percent-encoded hashes, replies decoded with libtorrent's bdecode and compared whole.

#include "origin/tracker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <libtorrent/bdecode.hpp>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace lm::origin {
namespace {

using Dict = lt::entry::dictionary_type;
using Int = lt::entry::integer_type;

// 20 bytes that exercise the encoding: NUL, '%', '&', '+', '=', high bytes and plain letters.
std::string Hash(int seed) {
  static const std::string kAwkward("\0%&+=?#\xff\x80 ab", 12);
  std::string h;
  for (int i = 0; i < 20; ++i) h += static_cast<char>(i < 12 ? kAwkward[i] : seed * 31 + i * 7);
  h[19] = static_cast<char>(seed);
  return h;
}

// Percent-encodes as libtorrent does: unreserved characters as themselves, the rest as %XX.
std::string Escape(std::string_view bytes) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

std::string Compact(std::string_view address_bytes, int port) {
  std::string out(address_bytes);
  out += static_cast<char>(port >> 8);
  out += static_cast<char>(port & 0xff);
  return out;
}
std::string V4(unsigned char a, unsigned char b, unsigned char c, unsigned char d, int port) {
  const char bytes[] = {static_cast<char>(a), static_cast<char>(b), static_cast<char>(c), static_cast<char>(d)};
  return Compact(std::string_view(bytes, 4), port);
}

http::Request Get(const std::string& target, const std::string& peer = "10.0.0.1:50000") {
  http::Request r;
  r.method = "GET";
  r.target = target;
  const size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query = http::ParseQuery(std::string_view(target).substr(q + 1));
  r.peer = peer;
  return r;
}

// Decodes a tracker reply with libtorrent, checking it is a 200 of canonical bencode.
lt::entry Decode(const http::Reply& reply) {
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain");
  lt::error_code ec;
  const lt::bdecode_node node = lt::bdecode(lt::span<const char>(reply.body.data(), reply.body.size()), ec);
  EXPECT_FALSE(ec) << ec.message() << " in " << reply.body;
  if (ec) return {};
  lt::entry e(node);
  std::string again;
  lt::bencode(std::back_inserter(again), e);
  EXPECT_EQ(again, reply.body) << "not canonical bencode";
  return e;
}

lt::entry FailureEntry(const std::string& reason) {
  Dict d;
  d["failure reason"] = reason;
  return d;
}

lt::entry AnnounceEntry(Int complete, Int incomplete, std::string peers, std::string peers6 = {}) {
  Dict d;
  d["interval"] = Int{120};
  d["min interval"] = Int{60};
  d["complete"] = complete;
  d["incomplete"] = incomplete;
  d["peers"] = std::move(peers);
  if (!peers6.empty()) d["peers6"] = std::move(peers6);
  return d;
}

lt::entry ScrapeCounts(Int complete, Int downloaded, Int incomplete) {
  Dict d;
  d["complete"] = complete;
  d["downloaded"] = downloaded;
  d["incomplete"] = incomplete;
  return d;
}

// An announce as libtorrent sends it; setters change one parameter each.
class Announce {
 public:
  Announce& InfoHash(std::string h) {
    info_hash_ = std::move(h);
    return *this;
  }
  Announce& PeerId(std::string id) {
    peer_id_ = std::move(id);
    return *this;
  }
  Announce& Port(int port) {
    port_ = port;
    return *this;
  }
  Announce& Left(std::int64_t left) {
    left_ = left;
    return *this;
  }
  Announce& Event(std::string event) {
    event_ = std::move(event);
    return *this;
  }
  // Appended as is: "&numwant=3", ...
  Announce& Extra(std::string extra) {
    extra_ = std::move(extra);
    return *this;
  }

  std::string Target() const {
    const std::string id = peer_id_.empty() ? "-LT2080-" + std::to_string(100000000000 + port_) : peer_id_;
    std::string t = "/announce?info_hash=" + Escape(info_hash_) + "&peer_id=" + Escape(id) +
                    "&port=" + std::to_string(port_) + "&uploaded=0&downloaded=0&left=" + std::to_string(left_) +
                    "&corrupt=0&key=1A2B3C4D&compact=1&no_peer_id=1&supportcrypto=1&redundant=0";
    if (!event_.empty()) t += "&event=" + event_;
    return t + extra_;
  }

 private:
  std::string info_hash_ = Hash(1);
  std::string peer_id_;  // empty: derived from the port
  int port_ = 6881;
  std::int64_t left_ = 1000;
  std::string event_;
  std::string extra_;
};

class TrackerTest : public ::testing::Test {
 protected:
  TrackerTest() : tracker_(Options()) {
    EXPECT_TRUE(tracker_.AddTorrent(Hash(1)).ok());
    EXPECT_TRUE(tracker_.AddTorrent(Hash(2)).ok());
  }

  TrackerOptions Options() {
    TrackerOptions o;
    o.interval_seconds = 120;
    o.min_interval_seconds = 60;
    o.peer_expiry_seconds = 300;
    o.now = [this] { return now_.load(); };
    return o;
  }

  lt::entry Send(const Announce& a, const std::string& peer) { return Decode(tracker_.Handle(Get(a.Target(), peer))); }
  lt::entry Send(const std::string& target, const std::string& peer = "10.0.0.1:50000") {
    return Decode(tracker_.Handle(Get(target, peer)));
  }

  std::atomic<std::int64_t> now_{1000};
  Tracker tracker_;
};

TEST_F(TrackerTest, OwnsItsRoutesAndAnswersOnlyGet) {
  EXPECT_TRUE(tracker_.Owns("/announce"));
  EXPECT_TRUE(tracker_.Owns("/scrape"));
  EXPECT_FALSE(tracker_.Owns("/announce/x"));
  EXPECT_FALSE(tracker_.Owns("/bundles/x"));
  http::Request post = Get(Announce().Target());
  post.method = "POST";
  EXPECT_EQ(tracker_.Handle(post).status, 405);
}

TEST_F(TrackerTest, TwoPeersGetEachOtherNotThemselves) {
  const Announce a = Announce().Port(6881).Event("started");
  const Announce b = Announce().Port(51413).Event("started");
  EXPECT_EQ(Send(a, "10.0.0.1:40001"), AnnounceEntry(0, 1, ""));
  EXPECT_EQ(Send(b, "192.168.7.200:40002"), AnnounceEntry(0, 2, V4(10, 0, 0, 1, 6881)));
  EXPECT_EQ(Send(Announce().Port(6881), "10.0.0.1:40003"), AnnounceEntry(0, 2, V4(192, 168, 7, 200, 51413)));
  // The peer's own address comes from the connection, never from a remote peer's `ip` parameter.
  const std::string peers = Send(Announce().Port(7000).Extra("&ip=1.2.3.4"), "10.0.0.3:1").dict().at("peers").string();
  ASSERT_EQ(peers.size(), 12u);
  EXPECT_EQ((std::set<std::string>{peers.substr(0, 6), peers.substr(6)}),
            (std::set<std::string>{V4(10, 0, 0, 1, 6881), V4(192, 168, 7, 200, 51413)}));
  const std::string to_b = Send(b, "192.168.7.200:40002").dict().at("peers").string();
  ASSERT_EQ(to_b.size(), 12u);
  EXPECT_EQ((std::set<std::string>{to_b.substr(0, 6), to_b.substr(6)}),
            (std::set<std::string>{V4(10, 0, 0, 1, 6881), V4(10, 0, 0, 3, 7000)}));
  // A torrent's swarm is its own.
  EXPECT_EQ(Send(Announce().InfoHash(Hash(2)).Port(9000), "10.0.0.9:1"), AnnounceEntry(0, 1, ""));
}

// Boxes of one LAN group (a county network) meet on the LAN: the tracker leaves them out of each
// other's replies, and still gives them every peer outside the group and the group to outsiders.
TEST_F(TrackerTest, PeersOfTheSameLanGroupAreLeftOutOfEachOthersReplies) {
  const Announce a = Announce().Port(1001).Extra("&lan_group=county1");
  const Announce b = Announce().Port(1002).Extra("&lan_group=county1");
  const Announce c = Announce().Port(1003).Extra("&lan_group=county2");
  EXPECT_EQ(Send(a, "10.0.0.1:1"), AnnounceEntry(0, 1, ""));
  EXPECT_EQ(Send(b, "10.0.0.2:1"), AnnounceEntry(0, 2, ""));  // a is in its group
  EXPECT_EQ(Send(c, "10.0.0.3:1").dict().at("peers").string().size(), 12u);  // a and b
  EXPECT_EQ(Send(a, "10.0.0.1:1"), AnnounceEntry(0, 3, V4(10, 0, 0, 3, 1003)));
  // Without a group (a stock client, or an edge with none set) a peer gets everyone.
  EXPECT_EQ(Send(Announce().Port(1004), "10.0.0.4:1").dict().at("peers").string().size(), 18u);
  EXPECT_EQ(Send(Announce().Port(1005).Extra("&lan_group=" + std::string(65, 'x')), "10.0.0.5:1"),
            FailureEntry("invalid lan_group"));
}

TEST_F(TrackerTest, UnknownAndRemovedTorrentsAreRefused) {
  EXPECT_EQ(Send(Announce().InfoHash(Hash(3)), "10.0.0.1:1"), FailureEntry("unregistered torrent"));
  EXPECT_EQ(Send(Announce(), "10.0.0.1:1"), AnnounceEntry(0, 1, ""));
  tracker_.RemoveTorrent(Hash(1));
  tracker_.RemoveTorrent(Hash(9));  // unknown: ignored
  EXPECT_EQ(Send(Announce(), "10.0.0.1:1"), FailureEntry("unregistered torrent"));
  ASSERT_TRUE(tracker_.AddTorrent(Hash(1)).ok());
  EXPECT_EQ(Send(Announce(), "10.0.0.1:1"), AnnounceEntry(0, 1, ""));  // a fresh swarm
  EXPECT_EQ(tracker_.AddTorrent(std::string(19, 'x')).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tracker_.AddTorrent("").code(), StatusCode::kInvalidArgument);
}

TEST_F(TrackerTest, HybridTorrentIsTrackedUnderBothHashes) {
  const std::string v1 = Hash(5);
  const std::string v2_truncated = Hash(6);  // the first 20 bytes of the SHA-256 info hash
  ASSERT_TRUE(tracker_.AddTorrent(v1).ok());
  ASSERT_TRUE(tracker_.AddTorrent(v2_truncated).ok());
  EXPECT_EQ(Send(Announce().InfoHash(v1).Port(1000), "10.0.0.1:1"), AnnounceEntry(0, 1, ""));
  EXPECT_EQ(Send(Announce().InfoHash(v2_truncated).Port(1000), "10.0.0.1:1"), AnnounceEntry(0, 1, ""));
  EXPECT_EQ(Send(Announce().InfoHash(v2_truncated).Port(2000), "10.0.0.2:1"),
            AnnounceEntry(0, 2, V4(10, 0, 0, 1, 1000)));
}

TEST_F(TrackerTest, MalformedAnnouncesGetFailureReasons) {
  const std::string id = "&peer_id=" + Escape("-LT2080-123456789012");
  const std::string hash = "info_hash=" + Escape(Hash(1));
  const std::string tail = "&port=6881&left=0";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/announce", "missing info_hash"},
      {"/announce?peer_id=x&port=1", "missing info_hash"},
      {"/announce?info_hash=" + Escape(Hash(1).substr(0, 19)) + id + tail, "invalid info_hash"},
      {"/announce?info_hash=" + Escape(Hash(1) + "x") + id + tail, "invalid info_hash"},
      {"/announce?info_hash=" + Escape(Hash(1).substr(0, 18)) + "%G1" + id + tail, "invalid info_hash"},
      {"/announce?info_hash=" + Escape(Hash(1).substr(0, 19)) + "%A" + id + tail, "invalid info_hash"},
      {"/announce?info_hash=" + id + tail, "invalid info_hash"},
      {"/announce?" + hash + tail, "missing peer_id"},
      {"/announce?" + hash + "&peer_id=short" + tail, "invalid peer_id"},
      {"/announce?" + hash + id + "&left=0", "missing port"},
      {"/announce?" + hash + id + "&port=abc", "invalid port"},
      {"/announce?" + hash + id + "&port=70000", "invalid port"},
      {"/announce?" + hash + id + "&port=-1", "invalid port"},
      {"/announce?" + hash + id + "&port=0", "invalid port"},
      {"/announce?" + hash + id + "&port=1&left=-5", "invalid left"},
      {"/announce?" + hash + id + "&port=1&left=", "invalid left"},
  };
  for (const auto& [target, reason] : cases) {
    EXPECT_EQ(Send(target), FailureEntry(reason)) << target;
  }
  EXPECT_EQ(Decode(tracker_.Handle(Get(Announce().Target(), "not an address"))),
            FailureEntry("cannot determine the peer's address"));
  // Nothing above joined the swarm.
  EXPECT_EQ(Send("/scrape?info_hash=" + Escape(Hash(1))).dict().at("files").dict().at(Hash(1)), ScrapeCounts(0, 0, 0));
}

TEST_F(TrackerTest, GarbageNeverCrashesAndAlwaysGetsBencode) {
  std::mt19937 rng(7);
  const std::string alphabet = "%&=?+0123456789abcdefABCDEFGinfo_hashpeer_idportleftevent\x01\xff []:";
  const std::vector<std::string> peers = {
      "",          ":", "[", "[::1", "]:1", "::1", "1.2.3.4", "999.1.1.1:2", "[::ffff:1.2.3.4]:5", "fe80::1%eth0:6",
      "\xff\xfe:1"};
  for (int i = 0; i < 3000; ++i) {
    std::string target = i % 2 ? "/announce?" : "/scrape?";
    if (i % 3 == 0) target += "info_hash=" + Escape(Hash(1)) + "&";
    const int n = static_cast<int>(rng() % 80);
    for (int k = 0; k < n; ++k) target += alphabet[rng() % alphabet.size()];
    const http::Reply reply = tracker_.Handle(Get(target, peers[rng() % peers.size()]));
    lt::error_code ec;
    lt::bdecode(lt::span<const char>(reply.body.data(), reply.body.size()), ec);
    ASSERT_EQ(reply.status, 200) << target;
    ASSERT_FALSE(ec) << target;
  }
}

TEST_F(TrackerTest, StoppedRemovesThePeer) {
  EXPECT_EQ(Send(Announce().Port(1), "10.0.0.1:9"), AnnounceEntry(0, 1, ""));
  EXPECT_EQ(Send(Announce().Port(2), "10.0.0.2:9"), AnnounceEntry(0, 2, V4(10, 0, 0, 1, 1)));
  EXPECT_EQ(Send(Announce().Port(1).Event("stopped"), "10.0.0.1:9"), AnnounceEntry(0, 1, ""));
  EXPECT_EQ(Send(Announce().Port(2), "10.0.0.2:9"), AnnounceEntry(0, 1, ""));
  // Stopping an unknown peer, or with port 0, is harmless.
  EXPECT_EQ(Send(Announce().Port(0).Event("stopped"), "10.0.0.7:9"), AnnounceEntry(0, 1, ""));
  // Another host cannot stop 10.0.0.2's entry.
  EXPECT_EQ(Send(Announce().Port(2).Event("stopped"), "10.0.0.66:9"), AnnounceEntry(0, 1, ""));
}

TEST_F(TrackerTest, CompletedIsCountedAndSeedersGetOnlyLeechers) {
  const std::string scrape = "/scrape?info_hash=" + Escape(Hash(1));
  auto counts = [&] { return Send(scrape).dict().at("files").dict().at(Hash(1)); };

  Send(Announce().Port(1).Left(5000).Event("started"), "10.0.0.1:9");
  Send(Announce().Port(2).Left(5000).Event("started"), "10.0.0.2:9");
  EXPECT_EQ(counts(), ScrapeCounts(0, 0, 2));
  EXPECT_EQ(Send(Announce().Port(1).Left(0).Event("completed"), "10.0.0.1:9"), AnnounceEntry(1, 1, V4(10, 0, 0, 2, 2)));
  EXPECT_EQ(counts(), ScrapeCounts(1, 1, 1));
  // A repeated "completed" is not another download; a seeder that starts (left=0) is none either.
  Send(Announce().Port(1).Left(0).Event("completed"), "10.0.0.1:9");
  EXPECT_EQ(Send(Announce().Port(3).Left(0).Event("started"), "10.0.0.3:9"),
            AnnounceEntry(2, 1, V4(10, 0, 0, 2, 2)));  // seeders are not sent seeders
  EXPECT_EQ(counts(), ScrapeCounts(2, 1, 1));
  // The leecher sees both seeders.
  const std::string peers = Send(Announce().Port(2), "10.0.0.2:9").dict().at("peers").string();
  ASSERT_EQ(peers.size(), 12u);
  EXPECT_EQ((std::set<std::string>{peers.substr(0, 6), peers.substr(6)}),
            (std::set<std::string>{V4(10, 0, 0, 1, 1), V4(10, 0, 0, 3, 3)}));
  // "completed" without `left` still makes a seeder.
  Send("/announce?info_hash=" + Escape(Hash(1)) + "&peer_id=" + Escape("-qB4500-abcdefghijkl") +
           "&port=4&event=completed",
       "10.0.0.4:9");
  EXPECT_EQ(counts(), ScrapeCounts(3, 2, 1));
}

TEST_F(TrackerTest, SilentPeersExpire) {
  Send(Announce().Port(1), "10.0.0.1:9");
  now_ += 200;
  EXPECT_EQ(Send(Announce().Port(2), "10.0.0.2:9"), AnnounceEntry(0, 2, V4(10, 0, 0, 1, 1)));
  now_ += 100;  // peer 1 last heard 300 s ago
  EXPECT_EQ(Send(Announce().Port(2), "10.0.0.2:9"), AnnounceEntry(0, 1, ""));
  now_ += 50;
  Send(Announce().InfoHash(Hash(2)).Port(3), "10.0.0.3:9");
  now_ += 249;
  tracker_.Sweep();
  const Dict files_before = Send("/scrape").dict().at("files").dict();
  EXPECT_EQ(files_before.at(Hash(1)), ScrapeCounts(0, 0, 1));
  EXPECT_EQ(files_before.at(Hash(2)), ScrapeCounts(0, 0, 1));
  now_ += 1;
  tracker_.Sweep();
  const Dict files_after = Send("/scrape").dict().at("files").dict();
  EXPECT_EQ(files_after.at(Hash(1)), ScrapeCounts(0, 0, 0));
  EXPECT_EQ(files_after.at(Hash(2)), ScrapeCounts(0, 0, 1));
}

TEST_F(TrackerTest, NumwantAndTheCapLimitPeers) {
  for (int i = 1; i <= 60; ++i) Send(Announce().Port(1000 + i), "10.0.1." + std::to_string(i) + ":9");
  auto peers_for = [&](const std::string& extra) {
    const std::string peers = Send(Announce().Port(9999).Extra(extra), "10.0.2.1:9").dict().at("peers").string();
    EXPECT_EQ(peers.size() % 6, 0u);
    std::set<std::string> distinct;
    for (size_t i = 0; i + 6 <= peers.size(); i += 6) distinct.insert(peers.substr(i, 6));
    EXPECT_EQ(distinct.size() * 6, peers.size()) << "duplicates";
    EXPECT_EQ(distinct.count(V4(10, 0, 2, 1, 9999)), 0u) << "itself";
    return distinct.size();
  };
  EXPECT_EQ(peers_for("&numwant=10"), 10u);
  EXPECT_EQ(peers_for("&numwant=0"), 0u);
  EXPECT_EQ(peers_for("&numwant=500"), 50u);  // the tracker's cap
  EXPECT_EQ(peers_for("&numwant=junk"), 50u);
  EXPECT_EQ(peers_for(""), 50u);
  EXPECT_EQ(peers_for("&numwant=0&numwant=7"), 7u);  // the last value wins, as in http::Request::query
  // With a different cap and no numwant at all.
  TrackerOptions o;
  o.max_peers_returned = 3;
  Tracker small(o);
  ASSERT_TRUE(small.AddTorrent(Hash(1)).ok());
  for (int i = 1; i <= 5; ++i) {
    small.Handle(Get(Announce().Port(i).Target(), "10.0.3." + std::to_string(i) + ":9"));
  }
  const std::string bare =
      "/announce?info_hash=" + Escape(Hash(1)) + "&peer_id=" + Escape("-TR3000-000000000000") + "&port=5555&left=10";
  EXPECT_EQ(Decode(small.Handle(Get(bare, "10.0.4.1:9"))).dict().at("peers").string().size(), 18u);
}

TEST_F(TrackerTest, FullSwarmEvictsTheLeastRecentlySeen) {
  TrackerOptions o;
  o.max_peers_per_torrent = 3;
  std::int64_t t = 0;
  o.now = [&t] { return t; };
  Tracker small(o);
  ASSERT_TRUE(small.AddTorrent(Hash(1)).ok());
  auto announce = [&](int port) {
    ++t;
    return Decode(small.Handle(Get(Announce().Port(port).Target(), "10.0.0." + std::to_string(port) + ":9")));
  };
  announce(1);
  announce(2);
  announce(3);
  announce(1);  // 2 is now the least recently seen
  const std::string peers = announce(4).dict().at("peers").string();
  ASSERT_EQ(peers.size(), 12u);
  EXPECT_EQ((std::set<std::string>{peers.substr(0, 6), peers.substr(6)}),
            (std::set<std::string>{V4(10, 0, 0, 1, 1), V4(10, 0, 0, 3, 3)}));
  EXPECT_EQ(Decode(small.Handle(Get("/scrape"))).dict().at("files").dict().at(Hash(1)), ScrapeCounts(0, 0, 3));
}

TEST_F(TrackerTest, ScrapesOneSeveralOrAll) {
  ASSERT_TRUE(tracker_.AddTorrent(Hash(3)).ok());
  Send(Announce().InfoHash(Hash(1)).Port(1).Left(0), "10.0.0.1:9");
  Send(Announce().InfoHash(Hash(1)).Port(2), "10.0.0.2:9");
  Send(Announce().InfoHash(Hash(2)).Port(1).Event("completed"), "10.0.0.1:9");

  auto files = [&](const std::string& target) {
    const lt::entry e = Send(target);
    EXPECT_EQ(e.dict().size(), 1u);
    return e.dict().at("files");
  };
  Dict one;
  one[Hash(1)] = ScrapeCounts(1, 0, 1);
  EXPECT_EQ(files("/scrape?info_hash=" + Escape(Hash(1))), lt::entry(one));

  Dict several;
  several[Hash(1)] = ScrapeCounts(1, 0, 1);
  several[Hash(2)] = ScrapeCounts(1, 1, 0);
  EXPECT_EQ(files("/scrape?info_hash=" + Escape(Hash(1)) + "&info_hash=" + Escape(Hash(2)) +
                  "&info_hash=" + Escape(Hash(8)) + "&info_hash=" + Escape(Hash(1))),
            lt::entry(several));  // unknown hashes are left out, repeats collapse

  Dict all = several;
  all[Hash(3)] = ScrapeCounts(0, 0, 0);
  EXPECT_EQ(files("/scrape"), lt::entry(all));
  EXPECT_EQ(files("/scrape?info_hash=" + Escape(Hash(9))), lt::entry(Dict{}));

  EXPECT_EQ(Send("/scrape?info_hash=" + Escape(Hash(1)) + "&info_hash=abc"), FailureEntry("invalid info_hash"));
  EXPECT_EQ(Send("/scrape?info_hash=%ZZ"), FailureEntry("invalid info_hash"));
}

TEST_F(TrackerTest, Ipv6PeersGoToPeers6) {
  const std::string v6_a("\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x05", 16);
  const std::string v6_b("\x24\x08\x80\x00\0\0\0\0\0\0\0\0\0\0\0\x42", 16);
  Send(Announce().Port(6001), "2001:db8::5:40000");      // as the HTTP server writes it
  Send(Announce().Port(6002), "[2408:8000::42]:40000");  // bracketed
  Send(Announce().Port(6003), "::ffff:10.0.0.3:40000");  // IPv4 through a dual-stack socket
  const lt::entry e = Send(Announce().Port(6004), "10.0.0.4:40000");
  const std::string p6 = e.dict().at("peers6").string();
  ASSERT_EQ(p6.size(), 36u);
  EXPECT_EQ((std::set<std::string>{p6.substr(0, 18), p6.substr(18)}),
            (std::set<std::string>{Compact(v6_a, 6001), Compact(v6_b, 6002)}));
  EXPECT_EQ(e.dict().at("peers").string(), V4(10, 0, 0, 3, 6003));
  EXPECT_EQ(e.dict().at("incomplete"), lt::entry(Int{4}));
}

TEST_F(TrackerTest, NonCompactRepliesListDictionaries) {
  const std::string id_a = "-LT2080-aaaaaaaaaaaa", id_b = "-LT2080-bbbbbbbbbbbb";
  Send(Announce().PeerId(id_a).Port(6881), "10.0.0.1:9");
  Send(Announce().PeerId(id_b).Port(6882), "2001:db8::7:9");
  const lt::entry e = Send(Announce().Port(7000).Extra("&compact=0&no_peer_id=0"), "10.0.0.3:9");
  Dict a, b;
  a["ip"] = std::string("10.0.0.1");
  a["peer id"] = id_a;
  a["port"] = Int{6881};
  b["ip"] = std::string("2001:db8::7");
  b["peer id"] = id_b;
  b["port"] = Int{6882};
  const lt::entry::list_type& peers = e.dict().at("peers").list();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_TRUE((peers[0] == lt::entry(a) && peers[1] == lt::entry(b)) ||
              (peers[0] == lt::entry(b) && peers[1] == lt::entry(a)))
      << e.to_string();
  EXPECT_EQ(e.dict().count("peers6"), 0u);
  // no_peer_id=1 leaves the ids out.
  const lt::entry no_ids = Send(Announce().Port(7000).Extra("&compact=0&no_peer_id=1"), "10.0.0.3:9");
  for (const lt::entry& p : no_ids.dict().at("peers").list()) EXPECT_EQ(p.dict().count("peer id"), 0u);
}

TEST_F(TrackerTest, SameClientOnTwoAddressFamiliesIsNotSentToItself) {
  const std::string id = "-LT2080-cccccccccccc";
  Send(Announce().PeerId(id).Port(6881), "10.0.0.1:9");
  EXPECT_EQ(Send(Announce().PeerId(id).Port(6881), "2001:db8::1:9"), AnnounceEntry(0, 2, ""));
}

TEST_F(TrackerTest, LoopbackPeersStayLocalUnlessTheyNameTheirAddress) {
  Send(Announce().Port(1), "127.0.0.1:9");
  Send(Announce().Port(2), "::1:9");
  EXPECT_EQ(Send(Announce().Port(3), "10.0.0.3:9"), AnnounceEntry(0, 3, ""));
  // The origin's own seeder names its public address (libtorrent's announce_ip).
  Send(Announce().Port(4).Left(0).Extra("&ip=203.0.113.7"), "127.0.0.1:9");
  EXPECT_EQ(Send(Announce().Port(3), "10.0.0.3:9"), AnnounceEntry(1, 3, V4(203, 0, 113, 7, 4)));
}

TEST_F(TrackerTest, ConcurrentAnnouncesAndScrapes) {
  std::vector<std::jthread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < 250; ++i) {
        const std::string peer = "10." + std::to_string(t) + "." + std::to_string(i) + ".1:9";
        tracker_.Handle(Get(Announce().Port(1000 + i).Left(i % 2 ? 0 : 1).Target(), peer));
        if (i % 50 == 0) tracker_.Handle(Get("/scrape"));
        if (i % 100 == 0) tracker_.Sweep();
      }
    });
  }
  threads.clear();
  EXPECT_EQ(Send("/scrape?info_hash=" + Escape(Hash(1))).dict().at("files").dict().at(Hash(1)),
            ScrapeCounts(500, 0, 500));
}

}  // namespace
}  // namespace lm::origin
