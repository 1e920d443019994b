// The origin's BitTorrent tracker (origin::Tracker) fed announces and scrapes as clients send them.
// The input is one request a line, "METHOD PEER TARGET" ("GET 10.0.0.7:6881 /announce?info_hash=..."),
// to a tracker that tracks three torrents (info hashes "AAAAAAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBBBBBB"
// and twenty 0xff bytes); a fake clock moves 20 s a line, so peers expire, and swarms hold at most 4
// peers, so they evict. Every reply to a GET is HTTP 200 with a bencoded dictionary: a failure
// reason, a scrape's files (only tracked torrents, counts not negative), or an announce's intervals,
// counts and peers: compact lists of 6- and 18-byte entries, no more than the caller may get, never
// the caller itself, no loopback peer for a remote (IPv4) caller, swarms no larger than the limit.
// Anything but GET is 405.

#include <arpa/inet.h>

#include <libtorrent/bdecode.hpp>

#include <string>
#include <string_view>

#include "common/http/http_types.h"
#include "origin/tracker.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

constexpr int kMaxPeersReturned = 3;
constexpr std::size_t kMaxPeersPerTorrent = 4;
const std::string kTracked[] = {std::string(20, 'A'), std::string(20, 'B'), std::string(20, '\xff')};

bool IsTracked(std::string_view hash) {
  for (const auto& h : kTracked) {
    if (h == hash) return true;
  }
  return false;
}

// libtorrent's string_view is Boost's.
std::string_view Sv(lt::string_view s) { return {s.data(), s.size()}; }

lt::bdecode_node Decode(const std::string& body) {
  lt::error_code ec;
  lt::bdecode_node node = lt::bdecode(body, ec);
  FUZZ_CHECK(!ec && node.type() == lt::bdecode_node::dict_t, "a reply is a bencoded dictionary");
  return node;
}

std::int64_t Count(const lt::bdecode_node& dict, const char* key) {
  const lt::bdecode_node n = dict.dict_find_int(key);
  FUZZ_CHECK(n.type() == lt::bdecode_node::int_t, "counts are integers");
  FUZZ_CHECK(n.int_value() >= 0, "counts are not negative");
  return n.int_value();
}

bool IsLoopback(std::string_view compact) {
  if (compact.size() == 6) return static_cast<unsigned char>(compact[0]) == 127;
  return compact.substr(0, 16) == std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
}

// "10.0.0.7:6881": a caller on another machine (callers written otherwise are not checked for it).
bool IsRemoteIpv4(std::string_view peer) {
  const std::string address(peer.substr(0, peer.rfind(':')));
  unsigned char bytes[4];
  return inet_pton(AF_INET, address.c_str(), bytes) == 1 && bytes[0] != 127;
}

void CheckAnnounce(const lt::bdecode_node& reply, std::string_view peer) {
  FUZZ_CHECK(Count(reply, "interval") > 0 && Count(reply, "min interval") > 0, "intervals are positive");
  const std::int64_t swarm = Count(reply, "complete") + Count(reply, "incomplete");
  FUZZ_CHECK(swarm <= static_cast<std::int64_t>(kMaxPeersPerTorrent), "a swarm stays within its limit");
  const bool remote = IsRemoteIpv4(peer);
  std::size_t returned = 0;
  const lt::bdecode_node peers = reply.dict_find("peers");
  if (peers.type() == lt::bdecode_node::string_t) {
    const std::string_view v4 = Sv(peers.string_value());
    FUZZ_CHECK(v4.size() % 6 == 0, "compact peers are 6 bytes each");
    returned += v4.size() / 6;
    for (std::size_t i = 0; i < v4.size(); i += 6) {
      FUZZ_CHECK(!(remote && IsLoopback(v4.substr(i, 6))), "no loopback peer for a remote caller");
    }
    if (const auto node6 = reply.dict_find_string("peers6"); node6.type() == lt::bdecode_node::string_t) {
      const std::string_view v6 = Sv(node6.string_value());
      FUZZ_CHECK(v6.size() % 18 == 0, "compact IPv6 peers are 18 bytes each");
      returned += v6.size() / 18;
      for (std::size_t i = 0; i < v6.size(); i += 18) {
        FUZZ_CHECK(!(remote && IsLoopback(v6.substr(i, 18))), "no loopback peer for a remote caller");
      }
    }
  } else {
    FUZZ_CHECK(peers.type() == lt::bdecode_node::list_t, "peers are a string or a list");
    returned = static_cast<std::size_t>(peers.list_size());
    for (int i = 0; i < peers.list_size(); ++i) {
      const lt::bdecode_node p = peers.list_at(i);
      FUZZ_CHECK(p.type() == lt::bdecode_node::dict_t && !p.dict_find_string_value("ip").empty() &&
                     p.dict_find_int_value("port", -1) >= 0 && p.dict_find_int_value("port", -1) <= 65535,
                 "a listed peer has an address and a port");
    }
  }
  FUZZ_CHECK(returned <= static_cast<std::size_t>(kMaxPeersReturned), "no more peers than the cap");
  FUZZ_CHECK(static_cast<std::int64_t>(returned) < swarm || swarm == 0 || returned == 0,
             "the caller is never among its own peers");
}

void CheckScrape(const lt::bdecode_node& reply) {
  const lt::bdecode_node files = reply.dict_find_dict("files");
  FUZZ_CHECK(files.type() == lt::bdecode_node::dict_t, "a scrape reply has files");
  for (int i = 0; i < files.dict_size(); ++i) {
    const auto [hash, counts] = files.dict_at(i);
    FUZZ_CHECK(IsTracked(Sv(hash)), "a scrape names only tracked torrents");
    FUZZ_CHECK(Count(counts, "complete") + Count(counts, "incomplete") <= static_cast<std::int64_t>(kMaxPeersPerTorrent),
               "a swarm stays within its limit");
    (void)Count(counts, "downloaded");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::int64_t now = 1000;
  lm::origin::TrackerOptions options;
  options.peer_expiry_seconds = 100;
  options.max_peers_returned = kMaxPeersReturned;
  options.max_peers_per_torrent = kMaxPeersPerTorrent;
  options.now = [&now] { return now; };
  lm::origin::Tracker tracker(options);
  for (const auto& hash : kTracked) FUZZ_CHECK(tracker.AddTorrent(hash).ok(), "a 20-byte hash is tracked");

  std::string_view text = lm::fuzz::Text(data, size);
  for (int line_number = 0; !text.empty() && line_number < 64; ++line_number) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    now += 20;
    if (line_number % 8 == 7) tracker.Sweep();

    const std::size_t s1 = line.find(' ');
    const std::size_t s2 = s1 == std::string_view::npos ? s1 : line.find(' ', s1 + 1);
    if (s2 == std::string_view::npos) continue;
    lm::http::Request request;
    request.method = std::string(line.substr(0, s1));
    request.peer = std::string(line.substr(s1 + 1, s2 - s1 - 1));
    if (!lm::http::SetTarget(line.substr(s2 + 1), &request)) continue;  // the server answers 400
    if (!tracker.Owns(request.path)) continue;

    const lm::http::Reply reply = tracker.Handle(request);
    if (request.method != "GET") {
      FUZZ_CHECK(reply.status == 405, "only GET is answered");
      continue;
    }
    FUZZ_CHECK(reply.status == 200 && reply.content_type == "text/plain", "BitTorrent clients get 200 text/plain");
    const lt::bdecode_node node = Decode(reply.body);
    if (node.dict_find_string("failure reason").type() == lt::bdecode_node::string_t) continue;
    if (request.path == "/announce") {
      CheckAnnounce(node, request.peer);
    } else {
      CheckScrape(node);
    }
  }
  return 0;
}
