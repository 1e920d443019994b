#pragma once
// Many school edges long-polling the catalog's pack feed at once, for the catalog's load test and
// bench/catalog_long_poll: one plain keep-alive socket per edge (no thread per edge). Park() has
// each fetch its school's feed (GET /v1/edges/SCHOOL/packs, to learn the ETag) and then send the
// long poll (?wait=N with If-None-Match) without waiting for its reply; WaitForReplies() watches
// every socket from the calling thread (epoll) and keeps each reply with the time it arrived.
// Needs one descriptor per edge (see RaiseOpenFileLimit). Owned and called by one thread.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace lm::catalog {
class CatalogStore;
}

namespace lm::testing {

struct CrowdEdge {
  std::string school;
  std::string token;  // an edge token of that school
};

struct CrowdReply {
  int status = 0;  // 0: no reply yet (or the connection closed without one)
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
  std::chrono::steady_clock::time_point at{};  // when its last byte arrived
};

class LongPollCrowd {
 public:
  LongPollCrowd(std::uint16_t port, int wait_seconds);
  ~LongPollCrowd();  // closes every socket
  LongPollCrowd(const LongPollCrowd&) = delete;
  LongPollCrowd& operator=(const LongPollCrowd&) = delete;

  // Connects every edge, fetches its feed (which must be 200 with an ETag) and sends its long
  // poll. "" or why not (the first edge that failed).
  std::string Park(const std::vector<CrowdEdge>& edges);
  // The feed each edge got first (the reply before its long poll), by edge.
  const std::vector<CrowdReply>& first_replies() const { return first_; }

  // Reads replies until every long poll has one or `seconds` (scaled for the sanitizer build)
  // pass; returns how many have one.
  int WaitForReplies(double seconds);
  // The long polls' replies, by edge (status 0 for those without one).
  const std::vector<CrowdReply>& replies() const { return replies_; }

 private:
  struct Connection;
  std::uint16_t port_;
  int wait_seconds_;
  std::vector<Connection> connections_;
  std::vector<CrowdReply> first_;
  std::vector<CrowdReply> replies_;
};

// Registers `count` rural schools school-00000.. in `store`, all members of one community
// `community_id` (the first school its core), and issues an edge token for each: the crowd.
std::vector<CrowdEdge> AddCrowdSchools(catalog::CatalogStore& store, int count, const std::string& community_id,
                                       std::string* error);

// Checks a reply of the pack feed as the edge would: 200, and the pack `pack_id` in it signed by
// `public_key_base64` for `school` (and the communities the feed names). Its version, or why not.
std::string VerifyPackInFeed(const CrowdReply& reply, const std::string& school, std::int64_t pack_id,
                             const std::string& public_key_base64, std::int64_t* version);

// Raises this process's soft limit on open files to at least `wanted` (up to the hard limit);
// children started afterwards inherit it. Returns the soft limit now in force.
std::uint64_t RaiseOpenFileLimit(std::uint64_t wanted);

}  // namespace lm::testing
