#include "tests/testing/long_poll_crowd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include <nlohmann/json.hpp>

#include "bundle/pack_manifest.h"
#include "catalog/auth.h"
#include "catalog/catalog_store.h"
#include "common/unique_fd.h"
#include "common/unix_time.h"
#include "tests/testing/wait_for.h"

namespace lm::testing {

using Clock = std::chrono::steady_clock;

struct LongPollCrowd::Connection {
  UniqueFd fd;
  std::string buffer;  // bytes of the reply being read
};

namespace {

// One whole reply at the front of `buffer` (removed from it), or nullopt while it is incomplete.
std::optional<CrowdReply> TakeReply(std::string& buffer) {
  const auto head_end = buffer.find("\r\n\r\n");
  if (head_end == std::string::npos) return std::nullopt;
  CrowdReply reply;
  if (buffer.compare(0, 9, "HTTP/1.1 ") != 0) return CrowdReply{};  // not HTTP: status 0
  reply.status = std::atoi(buffer.c_str() + 9);
  std::size_t line = buffer.find("\r\n") + 2;
  while (line < head_end) {
    const std::size_t eol = buffer.find("\r\n", line);
    const std::size_t colon = buffer.find(':', line);
    if (colon != std::string::npos && colon < eol) {
      std::string name = buffer.substr(line, colon - line);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      std::size_t value = colon + 1;
      while (value < eol && buffer[value] == ' ') ++value;
      reply.headers[name] = buffer.substr(value, eol - value);
    }
    line = eol + 2;
  }
  std::size_t length = 0;
  if (auto it = reply.headers.find("content-length"); it != reply.headers.end()) {
    length = std::strtoull(it->second.c_str(), nullptr, 10);
  }
  if (reply.status == 304 || reply.status / 100 == 1) length = 0;
  if (buffer.size() < head_end + 4 + length) return std::nullopt;
  reply.body = buffer.substr(head_end + 4, length);
  buffer.erase(0, head_end + 4 + length);
  reply.at = Clock::now();
  return reply;
}

std::string PollRequest(const CrowdEdge& edge, int wait_seconds, const std::string& etag) {
  std::string target = "/v1/edges/" + edge.school + "/packs";
  if (wait_seconds > 0) target += "?wait=" + std::to_string(wait_seconds);
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + edge.token + "\r\n";
  if (!etag.empty()) req += "If-None-Match: " + etag + "\r\n";
  return req + "\r\n";
}

bool SendAll(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

LongPollCrowd::LongPollCrowd(std::uint16_t port, int wait_seconds) : port_(port), wait_seconds_(wait_seconds) {}

LongPollCrowd::~LongPollCrowd() = default;

std::string LongPollCrowd::Park(const std::vector<CrowdEdge>& edges) {
  connections_.clear();
  connections_.reserve(edges.size());
  first_.assign(edges.size(), {});
  replies_.assign(edges.size(), {});
  for (std::size_t i = 0; i < edges.size(); ++i) {
    const std::string who = "edge " + std::to_string(i) + " (" + edges[i].school + "): ";
    Connection c{UniqueFd(::socket(AF_INET, SOCK_STREAM, 0)), {}};
    if (c.fd.get() < 0) return who + "socket: " + std::strerror(errno);
    timeval timeout{static_cast<time_t>(Scaled(60)), 0};  // for the first reply only
    ::setsockopt(c.fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    int one = 1;
    ::setsockopt(c.fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(c.fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return who + "connect: " + std::strerror(errno);
    }
    if (!SendAll(c.fd.get(), PollRequest(edges[i], 0, ""))) return who + "send: " + std::strerror(errno);
    std::optional<CrowdReply> first;
    char chunk[16384];
    while (!(first = TakeReply(c.buffer))) {
      const ssize_t n = ::recv(c.fd.get(), chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return who + "no reply to the first GET (" + (n == 0 ? "closed" : std::strerror(errno)) + ")";
      c.buffer.append(chunk, static_cast<std::size_t>(n));
    }
    first_[i] = *first;
    const auto etag = first->headers.find("etag");
    if (first->status != 200 || etag == first->headers.end()) {
      return who + "the first GET answered " + std::to_string(first->status) + " " + first->body;
    }
    if (!SendAll(c.fd.get(), PollRequest(edges[i], wait_seconds_, etag->second))) {
      return who + "send: " + std::strerror(errno);
    }
    connections_.push_back(std::move(c));
  }
  return "";
}

int LongPollCrowd::WaitForReplies(double seconds) {
  const auto deadline = Clock::now() + ScaledDuration(seconds);
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  int answered = 0;
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    if (replies_[i].status != 0) {
      ++answered;
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = i;
    ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, connections_[i].fd.get(), &ev);
  }
  std::vector<epoll_event> events(256);
  char chunk[16384];
  while (answered < static_cast<int>(connections_.size())) {
    const auto left_ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left_ms <= 0) break;
    const int n = ::epoll_wait(epoll.get(), events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::min<long long>(left_ms, 1000)));
    for (int e = 0; e < n; ++e) {
      const std::size_t i = events[e].data.u64;
      Connection& c = connections_[i];
      const ssize_t got = ::recv(c.fd.get(), chunk, sizeof(chunk), MSG_DONTWAIT);
      if (got > 0) c.buffer.append(chunk, static_cast<std::size_t>(got));
      auto reply = TakeReply(c.buffer);
      const bool closed = got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR);
      if (reply || closed) {
        if (reply) replies_[i] = std::move(*reply);
        ++answered;  // a closed connection without a reply counts as answered, with status 0
        ::epoll_ctl(epoll.get(), EPOLL_CTL_DEL, c.fd.get(), nullptr);
      }
    }
  }
  return static_cast<int>(std::count_if(replies_.begin(), replies_.end(), [](const CrowdReply& r) {
    return r.status != 0;
  }));
}

std::vector<CrowdEdge> AddCrowdSchools(catalog::CatalogStore& store, int count, const std::string& community_id,
                                       std::string* error) {
  const std::int64_t now = UnixNow();
  std::vector<CrowdEdge> crowd;
  catalog::Community community{community_id, "县域教共体", "fusion", "county", "", {}};
  for (int i = 0; i < count; ++i) {
    char id[32];
    std::snprintf(id, sizeof(id), "school-%05d", i);
    catalog::School school{id, "第" + std::to_string(i + 1) + "小学", "广东", "广州", "从化", "rural", 300};
    if (Status st = store.PutSchool(school); !st.ok()) {
      *error = st.message();
      return {};
    }
    community.members.push_back(id);
    auto token = catalog::IssueToken(store, {.role = catalog::Role::kEdge, .school_id = id, .label = "crowd"}, now);
    if (!token.ok()) {
      *error = token.status().message();
      return {};
    }
    crowd.push_back({id, token->token});
  }
  if (!community.members.empty()) community.core_school = community.members.front();
  if (Status st = store.PutCommunity(community); !st.ok()) {
    *error = st.message();
    return {};
  }
  return crowd;
}

std::string VerifyPackInFeed(const CrowdReply& reply, const std::string& school, std::int64_t pack_id,
                             const std::string& public_key_base64, std::int64_t* version) {
  if (reply.status != 200) return "status " + std::to_string(reply.status) + " " + reply.body;
  const auto feed = nlohmann::json::parse(reply.body, nullptr, false);
  if (!feed.is_object() || !feed.contains("packs") || !feed["packs"].is_array()) return "not a pack feed: " + reply.body;
  bundle::PackAudience audience{school, {}};
  for (const auto& c : feed.value("communities", nlohmann::json::array())) {
    if (c.is_string()) audience.communities.push_back(c.get<std::string>());
  }
  for (const auto& entry : feed["packs"]) {
    if (!entry.is_object() || entry.value("pack_id", std::int64_t{0}) != pack_id) continue;
    bundle::SignedPackManifest signed_manifest{entry.value("manifest", ""), entry.value("signature", "")};
    auto manifest = bundle::VerifyPackManifest(signed_manifest, public_key_base64, audience);
    if (!manifest.ok()) return "pack " + std::to_string(pack_id) + " does not verify: " + manifest.status().message();
    if (manifest->pack_id != pack_id) return "the signed manifest names pack " + std::to_string(manifest->pack_id);
    *version = manifest->version;
    return "";
  }
  return "pack " + std::to_string(pack_id) + " is not in the feed";
}

std::uint64_t RaiseOpenFileLimit(std::uint64_t wanted) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < wanted) {
    limit.rlim_cur = std::min<rlim_t>(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

}  // namespace lm::testing
