#pragma once
// Keeps the edge's packs in step with the catalog: long-polls GET /v1/edges/SCHOOL/packs with
// If-None-Match, and accepts a pack version only if its Ed25519 signature verifies under the
// pinned key, it targets this school or one of its communities, and every lesson torrent fetched
// from the catalog has the info hashes the signed manifest names. Anything else is refused,
// logged and counted; the version accepted before stays in force. With the link down it retries
// with jittered backoff capped at 5 minutes, and catches up by itself when the link returns.
// Owns its thread; thread-safe.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "edge/edge_store.h"

namespace lm::edge {

struct FollowerOptions {
  std::string catalog_url;
  std::string ca_file;  // https: the CAs to trust ("" = the system's)
  std::string token;
  std::string school_id;
  std::string catalog_key;  // pinned public key, base64
  int poll_wait_seconds = 60;
  std::chrono::milliseconds max_backoff{5 * 60 * 1000};
};

struct FollowerStatus {
  bool catalog_reachable = false;
  std::int64_t last_sync_at = 0;     // unix seconds of the last answer from the catalog
  std::string last_error;            // why the last attempt failed, "" after a success
  std::int64_t packs_refused = 0;    // versions refused since start
  std::vector<std::string> refusals; // the latest reasons (a few)
};

class PackFollower {
 public:
  // Called on the follower's thread after a pack version was accepted and stored.
  using OnApplied = std::function<void()>;

  static std::unique_ptr<PackFollower> Start(FollowerOptions options, EdgeStore& store, OnApplied on_applied);
  ~PackFollower();
  PackFollower(const PackFollower&) = delete;
  PackFollower& operator=(const PackFollower&) = delete;

  // Ends the current wait and asks the catalog now.
  void SyncNow();
  FollowerStatus State() const;
  void Stop();

 private:
  struct Impl;
  explicit PackFollower(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lm::edge
