#include "origin/tracker.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <iterator>
#include <libtorrent/bencode.hpp>
#include <libtorrent/entry.hpp>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lm::origin {

using http::Reply;
using http::Request;

namespace {

constexpr std::size_t kHashBytes = 20;

// A peer as the tracker knows it. `endpoint` is its compact form (BEP 23 / BEP 7): a 4- or
// 16-byte address then a 2-byte port, network order; it is also the peer's key in its swarm.
struct Peer {
  std::string endpoint;
  std::string peer_id;  // 20 bytes
  std::string lan_group;  // see Announcement::lan_group
  std::int64_t last_seen = 0;
  bool seeder = false;
};

bool IsLoopbackAddress(std::string_view address_bytes) {
  if (address_bytes.size() == 4) return static_cast<unsigned char>(address_bytes[0]) == 127;
  if (address_bytes.size() == 16) return address_bytes == std::string_view("\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
  return false;
}

std::string_view AddressOf(std::string_view endpoint) { return endpoint.substr(0, endpoint.size() - 2); }

int PortOf(std::string_view endpoint) {
  const auto* p = reinterpret_cast<const unsigned char*>(endpoint.data() + endpoint.size() - 2);
  return p[0] << 8 | p[1];
}

// Raw address bytes (4 or 16) of "1.2.3.4", "::1", "[::1]" or "fe80::1%eth0"; an IPv4-mapped IPv6
// address becomes IPv4, as dual-stack sockets report IPv4 clients that way.
std::optional<std::string> ParseAddress(std::string_view text) {
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  if (const size_t zone = text.find('%'); zone != std::string_view::npos) text = text.substr(0, zone);
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string z(text);
  unsigned char buf[16];
  if (inet_pton(AF_INET, z.c_str(), buf) == 1) return std::string(reinterpret_cast<char*>(buf), 4);
  if (inet_pton(AF_INET6, z.c_str(), buf) != 1) return std::nullopt;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::equal(buf, buf + 12, kMapped)) return std::string(reinterpret_cast<char*>(buf + 12), 4);
  return std::string(reinterpret_cast<char*>(buf), 16);
}

// The address part of http::Request::peer: "1.2.3.4:5", "::1:5" (as the server writes IPv6) or "[::1]:5".
std::optional<std::string> ParsePeerAddress(std::string_view peer) {
  if (!peer.empty() && peer.front() == '[') {
    const size_t close = peer.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return ParseAddress(peer.substr(1, close - 1));
  }
  const size_t colon = peer.rfind(':');
  return ParseAddress(colon == std::string_view::npos ? peer : peer.substr(0, colon));
}

std::string AddressText(std::string_view address_bytes) {
  char buf[INET6_ADDRSTRLEN] = {};
  const int family = address_bytes.size() == 4 ? AF_INET : AF_INET6;
  if (inet_ntop(family, address_bytes.data(), buf, sizeof(buf)) == nullptr) return {};
  return buf;
}

// The query of a request target split at '&' and '=', keys decoded and values left raw: binary
// values (info_hash, peer_id) must be decoded byte-exact, and keys may repeat (scrape).
class RawQuery {
 public:
  explicit RawQuery(std::string_view target) {
    const size_t q = target.find('?');
    if (q == std::string_view::npos) return;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const size_t amp = rest.find('&');
      const std::string_view pair = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (pair.empty()) continue;
      const size_t eq = pair.find('=');
      std::string key;
      if (!http::PercentDecode(pair.substr(0, eq), &key, true)) continue;
      pairs_.emplace_back(std::move(key), eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
  }

  // The last raw value of `key` (as in http::Request::query), or nullopt.
  std::optional<std::string_view> Last(std::string_view key) const {
    for (auto it = pairs_.rbegin(); it != pairs_.rend(); ++it)
      if (it->first == key) return it->second;
    return std::nullopt;
  }
  std::vector<std::string_view> All(std::string_view key) const {
    std::vector<std::string_view> out;
    for (const auto& [k, v] : pairs_)
      if (k == key) out.push_back(v);
    return out;
  }

 private:
  std::vector<std::pair<std::string, std::string_view>> pairs_;
};

// Decodes %XX byte-exact; '+' stays '+' (clients escape a literal '+', as opentracker assumes).
std::optional<std::string> DecodeBinary(std::string_view raw) {
  std::string out;
  if (!http::PercentDecode(raw, &out, false)) return std::nullopt;
  return out;
}

std::optional<std::uint64_t> DecodeNumber(std::string_view raw) {
  const auto text = DecodeBinary(raw);
  if (!text || text->empty()) return std::nullopt;
  std::uint64_t value = 0;
  const char* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

Reply Bencoded(const lt::entry& e) {
  Reply reply;
  reply.status = 200;
  reply.content_type = "text/plain";
  lt::bencode(std::back_inserter(reply.body), e);
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

// A protocol error as clients expect it: HTTP 200 with d14:failure reason...e.
Reply Failure(std::string reason) {
  lt::entry e(lt::entry::dictionary_t);
  e["failure reason"] = std::move(reason);
  return Bencoded(e);
}


// One announce, as read from its query: who is asking, what it says about itself, what it wants.
struct Announcement {
  std::string info_hash;  // 20 bytes
  std::string peer_id;    // 20 bytes
  std::string endpoint;   // compact address and port: the peer's key in the swarm
  // A LessonMesh edge's LAN group (its county network, from its tracker URL): boxes of one group
  // find each other on their LAN, so the tracker does not hand them each other's WAN addresses.
  std::string lan_group;
  bool requester_loopback = false;
  bool stopped = false;
  bool completed = false;
  bool seeder = false;
  bool compact = true;
  bool no_peer_id = false;
  std::size_t numwant = 0;
};

// Reads an announce; a non-ok Status's message is the failure reason for the client.
Result<Announcement> ParseAnnounce(const Request& request, int max_peers_returned) {
  const RawQuery query(request.target);
  Announcement a;

  const auto raw_hash = query.Last("info_hash");
  if (!raw_hash) return InvalidArgument("missing info_hash");
  const auto info_hash = DecodeBinary(*raw_hash);
  if (!info_hash || info_hash->size() != kHashBytes) return InvalidArgument("invalid info_hash");
  a.info_hash = *info_hash;

  const auto raw_peer_id = query.Last("peer_id");
  if (!raw_peer_id) return InvalidArgument("missing peer_id");
  const auto peer_id = DecodeBinary(*raw_peer_id);
  if (!peer_id || peer_id->size() != kHashBytes) return InvalidArgument("invalid peer_id");
  a.peer_id = *peer_id;

  std::string event;
  if (const auto raw = query.Last("event")) event = DecodeBinary(*raw).value_or("");
  a.stopped = event == "stopped";
  a.completed = event == "completed";

  const auto raw_port = query.Last("port");
  if (!raw_port) return InvalidArgument("missing port");
  const auto port = DecodeNumber(*raw_port);
  if (!port || *port > 65535 || (*port == 0 && !a.stopped)) return InvalidArgument("invalid port");

  std::optional<std::uint64_t> left;
  if (const auto raw = query.Last("left")) {
    left = DecodeNumber(*raw);
    if (!left) return InvalidArgument("invalid left");
  }
  a.seeder = a.completed || (left && *left == 0);

  if (const auto raw = query.Last("lan_group")) {
    const auto group = DecodeBinary(*raw);
    if (!group || group->size() > 64) return InvalidArgument("invalid lan_group");
    a.lan_group = *group;
  }

  const auto raw_compact = query.Last("compact");
  a.compact = !(raw_compact && *raw_compact == "0");
  const auto raw_no_peer_id = query.Last("no_peer_id");
  a.no_peer_id = raw_no_peer_id && *raw_no_peer_id == "1";

  a.numwant = static_cast<std::size_t>(std::max(0, max_peers_returned));
  if (const auto raw = query.Last("numwant")) {
    if (const auto n = DecodeNumber(*raw)) a.numwant = std::min<std::uint64_t>(a.numwant, *n);
  }
  if (a.stopped) a.numwant = 0;

  auto address = ParsePeerAddress(request.peer);
  if (!address) return InvalidArgument("cannot determine the peer's address");
  // The origin's own seeder announces over loopback and says where the schools can reach it.
  if (IsLoopbackAddress(*address)) {
    if (const auto raw_ip = query.Last("ip")) {
      const auto text = DecodeBinary(*raw_ip);
      if (auto announced = text ? ParseAddress(*text) : std::nullopt) address = std::move(announced);
    }
  }
  a.requester_loopback = IsLoopbackAddress(*address);
  a.endpoint = *address;
  a.endpoint += static_cast<char>(*port >> 8);
  a.endpoint += static_cast<char>(*port & 0xff);
  return a;
}

// The bencoded answer: intervals, swarm counts, and the chosen peers in the form the client asked for.
Reply EncodeAnnounceReply(const Announcement& a, const std::vector<Peer>& peers, std::int64_t complete,
                          std::int64_t incomplete, const TrackerOptions& options) {
  lt::entry reply(lt::entry::dictionary_t);
  reply["interval"] = lt::entry::integer_type{options.interval_seconds};
  reply["min interval"] = lt::entry::integer_type{options.min_interval_seconds};
  reply["complete"] = lt::entry::integer_type{complete};
  reply["incomplete"] = lt::entry::integer_type{incomplete};
  if (a.compact) {
    std::string peers4, peers6;
    for (const Peer& p : peers) (p.endpoint.size() == 6 ? peers4 : peers6) += p.endpoint;
    reply["peers"] = std::move(peers4);
    if (!peers6.empty()) reply["peers6"] = std::move(peers6);
  } else {
    lt::entry::list_type peer_list;
    for (const Peer& p : peers) {
      lt::entry d(lt::entry::dictionary_t);
      d["ip"] = AddressText(AddressOf(p.endpoint));
      d["port"] = lt::entry::integer_type{PortOf(p.endpoint)};
      if (!a.no_peer_id) d["peer id"] = p.peer_id;
      peer_list.push_back(std::move(d));
    }
    reply["peers"] = std::move(peer_list);
  }
  return Bencoded(reply);
}

}  // namespace

struct Tracker::Swarm {
  std::vector<Peer> peers;
  std::unordered_map<std::string, std::size_t> index;  // endpoint -> position in `peers`
  std::int64_t seeders = 0;
  std::int64_t downloaded = 0;  // "completed" events

  std::int64_t leechers() const { return static_cast<std::int64_t>(peers.size()) - seeders; }

  void Remove(std::size_t i) {
    if (peers[i].seeder) --seeders;
    index.erase(peers[i].endpoint);
    if (i + 1 != peers.size()) {
      peers[i] = std::move(peers.back());
      index[peers[i].endpoint] = i;
    }
    peers.pop_back();
  }

  void Expire(std::int64_t now, std::int64_t expiry_seconds) {
    for (std::size_t i = 0; i < peers.size();) {
      if (now - peers[i].last_seen >= expiry_seconds) {
        Remove(i);
      } else {
        ++i;
      }
    }
  }

  void EvictLeastRecentlySeen() {
    if (peers.empty()) return;
    const auto oldest = std::min_element(peers.begin(), peers.end(),
                                         [](const Peer& a, const Peer& b) { return a.last_seen < b.last_seen; });
    Remove(static_cast<std::size_t>(oldest - peers.begin()));
  }

  // Records what the announcing peer says about itself: leaves, joins (evicting the least recently
  // seen peer of a full swarm) or refreshes. Fails only when the swarm takes no peers at all.
  Status Update(const Announcement& a, std::int64_t now, std::size_t max_peers) {
    const auto known = index.find(a.endpoint);
    if (a.stopped) {
      if (known != index.end()) Remove(known->second);
      return Status::Ok();
    }
    Peer* peer = nullptr;
    if (known != index.end()) {
      peer = &peers[known->second];
    } else {
      if (max_peers == 0) return InvalidArgument("the swarm is full");
      while (peers.size() >= max_peers) EvictLeastRecentlySeen();
      index.emplace(a.endpoint, peers.size());
      peer = &peers.emplace_back();
      peer->endpoint = a.endpoint;
    }
    if (a.completed && !peer->seeder) ++downloaded;
    if (peer->seeder != a.seeder) seeders += a.seeder ? 1 : -1;
    peer->seeder = a.seeder;
    peer->peer_id = a.peer_id;
    peer->lan_group = a.lan_group;
    peer->last_seen = now;
    return Status::Ok();
  }

  // Up to a.numwant others, at random: not this endpoint, nor this client on its other address
  // family; seeders need no seeders; loopback addresses mean nothing to a remote peer; a peer of
  // the same LAN group is reached over the LAN, not at the address it announced from.
  std::vector<Peer> PickPeers(const Announcement& a, std::mt19937_64& random) const {
    std::vector<const Peer*> candidates;
    if (a.numwant > 0) {
      candidates.reserve(peers.size());
      for (const Peer& p : peers) {
        if (p.endpoint == a.endpoint || p.peer_id == a.peer_id) continue;
        if (a.seeder && p.seeder) continue;
        if (!a.requester_loopback && IsLoopbackAddress(AddressOf(p.endpoint))) continue;
        if (!a.lan_group.empty() && p.lan_group == a.lan_group) continue;
        candidates.push_back(&p);
      }
    }
    std::vector<const Peer*> chosen;
    std::sample(candidates.begin(), candidates.end(), std::back_inserter(chosen), a.numwant, random);
    std::vector<Peer> out;
    out.reserve(chosen.size());
    for (const Peer* p : chosen) out.push_back(*p);
    return out;
  }
};

Tracker::Tracker(TrackerOptions options) : options_(std::move(options)), random_(std::random_device{}()) {}

Tracker::~Tracker() = default;

std::int64_t Tracker::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

bool Tracker::Owns(const std::string& path) const { return path == "/announce" || path == "/scrape"; }

Reply Tracker::Handle(const Request& request) {
  if (request.method != "GET") {
    Reply reply = http::ErrorReply(405, "method_not_allowed", "the tracker answers GET");
    reply.headers.emplace_back("Allow", "GET");
    return reply;
  }
  if (request.path == "/announce") return Announce(request);
  if (request.path == "/scrape") return Scrape(request);
  return http::ErrorReply(404, "not_found", "no such tracker route");
}

Status Tracker::AddTorrent(std::string_view info_hash) {
  if (info_hash.size() != kHashBytes) {
    return InvalidArgument("an info hash is 20 bytes, got " + std::to_string(info_hash.size()), "info_hash");
  }
  std::lock_guard lock(mutex_);
  auto& swarm = swarms_[std::string(info_hash)];
  if (!swarm) swarm = std::make_unique<Swarm>();
  return Status::Ok();
}

void Tracker::RemoveTorrent(std::string_view info_hash) {
  std::lock_guard lock(mutex_);
  if (auto it = swarms_.find(info_hash); it != swarms_.end()) swarms_.erase(it);
}

void Tracker::Sweep() {
  const std::int64_t now = Now();
  std::lock_guard lock(mutex_);
  for (auto& [hash, swarm] : swarms_) swarm->Expire(now, options_.peer_expiry_seconds);
}

Reply Tracker::Announce(const Request& request) {
  auto announcement = ParseAnnounce(request, options_.max_peers_returned);
  if (!announcement.ok()) return Failure(announcement.status().message());
  const Announcement& a = *announcement;
  const std::int64_t now = Now();
  std::vector<Peer> peers;
  std::int64_t complete = 0, incomplete = 0;
  {
    std::lock_guard lock(mutex_);
    const auto it = swarms_.find(a.info_hash);
    if (it == swarms_.end()) return Failure("unregistered torrent");
    Swarm& swarm = *it->second;
    swarm.Expire(now, options_.peer_expiry_seconds);
    if (Status st = swarm.Update(a, now, options_.max_peers_per_torrent); !st.ok()) return Failure(st.message());
    peers = swarm.PickPeers(a, random_);
    complete = swarm.seeders;
    incomplete = swarm.leechers();
  }
  return EncodeAnnounceReply(a, peers, complete, incomplete, options_);
}

Reply Tracker::Scrape(const Request& request) {
  const RawQuery query(request.target);
  std::vector<std::string> wanted;
  for (const std::string_view raw : query.All("info_hash")) {
    auto hash = DecodeBinary(raw);
    if (!hash || hash->size() != kHashBytes) return Failure("invalid info_hash");
    wanted.push_back(std::move(*hash));
  }

  const std::int64_t now = Now();
  lt::entry files(lt::entry::dictionary_t);
  {
    std::lock_guard lock(mutex_);
    auto add = [&](const std::string& hash, Swarm& swarm) {
      swarm.Expire(now, options_.peer_expiry_seconds);
      lt::entry& f = files[hash];
      f = lt::entry(lt::entry::dictionary_t);
      f["complete"] = lt::entry::integer_type{swarm.seeders};
      f["downloaded"] = lt::entry::integer_type{swarm.downloaded};
      f["incomplete"] = lt::entry::integer_type{swarm.leechers()};
    };
    if (wanted.empty()) {
      for (auto& [hash, swarm] : swarms_) add(hash, *swarm);
    } else {
      for (const std::string& hash : wanted) {
        if (const auto it = swarms_.find(hash); it != swarms_.end()) add(hash, *it->second);
      }
    }
  }
  lt::entry reply(lt::entry::dictionary_t);
  reply["files"] = std::move(files);
  return Bencoded(reply);
}

}  // namespace lm::origin
