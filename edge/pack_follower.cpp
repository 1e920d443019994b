#include "edge/pack_follower.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "bundle/pack_manifest.h"
#include "bundle/torrent_file.h"
#include "common/http/http_client.h"
#include "common/logging.h"
#include "common/unix_time.h"
#include "common/xxh3.h"

namespace lm::edge {

using nlohmann::json;

struct PackFollower::Impl {
  FollowerOptions options;
  EdgeStore& store;
  OnApplied on_applied;
  std::shared_ptr<spdlog::logger> log = AreaLogger("edge.packs");

  mutable std::mutex mu;
  std::condition_variable wake;
  bool stopping = false;
  bool sync_now = false;
  std::atomic<bool> cancel{false};  // ends a long poll in flight (Stop, SyncNow)
  FollowerStatus status;
  std::string etag;
  std::set<std::string> refused;  // digests of the versions refused

  std::thread thread;

  Impl(FollowerOptions o, EdgeStore& s, OnApplied cb) : options(std::move(o)), store(s), on_applied(std::move(cb)) {}

  http::ClientRequest Request(const std::string& path, int timeout_ms) const {
    http::ClientRequest req;
    req.url = options.catalog_url + path;
    req.ca_file = options.ca_file;
    req.headers["Authorization"] = "Bearer " + options.token;
    req.timeout_ms = timeout_ms;
    req.cancel = &cancel;
    return req;
  }

  // Refuses a version once: the same bytes offered again are not logged or counted again.
  void Refuse(const bundle::SignedPackManifest& m, std::int64_t pack_id, const std::string& why) {
    std::lock_guard lock(mu);
    if (!refused.insert(Xxh3Of(m.manifest + "|" + m.signature).Hex()).second) return;
    log->error("pack_refused pack={} reason=\"{}\"", pack_id, why);
    ++status.packs_refused;
    status.refusals.push_back("pack " + std::to_string(pack_id) + ": " + why);
    if (status.refusals.size() > 10) status.refusals.erase(status.refusals.begin());
  }

  // One pack version from the feed: verified, its new lessons' torrents fetched and checked, stored.
  // A refusal leaves the version accepted before in force.
  Status Accept(const json& entry, const bundle::PackAudience& audience,
                const std::map<std::int64_t, std::int64_t>& held) {
    bundle::SignedPackManifest signed_manifest;
    if (!entry.is_object() || !entry.contains("manifest") || !entry["manifest"].is_string() ||
        !entry.contains("signature") || !entry["signature"].is_string()) {
      return InvalidArgument("a pack in the feed has no manifest or signature");
    }
    signed_manifest.manifest = entry["manifest"].get<std::string>();
    signed_manifest.signature = entry["signature"].get<std::string>();
    const std::int64_t claimed_id = entry.value("pack_id", std::int64_t{0});
    const std::int64_t claimed_version = entry.value("version", std::int64_t{0});
    auto it = held.find(claimed_id);
    if (it != held.end() && it->second >= claimed_version) return Status::Ok();  // nothing new

    auto manifest = bundle::VerifyPackManifest(signed_manifest, options.catalog_key, audience);
    if (!manifest.ok()) {
      Refuse(signed_manifest, claimed_id, manifest.status().message());
      return Status::Ok();
    }
    if (auto h = held.find(manifest->pack_id); h != held.end() && h->second >= manifest->version) {
      return Status::Ok();  // an older signed version replayed: keep the newer one
    }
    std::map<std::string, std::string> torrents;
    ASSIGN_OR_RETURN(const std::set<std::string> have, store.LessonIds());
    for (const bundle::PackItem& item : manifest->items) {
      if (have.count(item.lesson_id) || torrents.count(item.lesson_id)) continue;
      ASSIGN_OR_RETURN(http::ClientReply reply,
                       http::Fetch(Request("/v1/lessons/" + item.lesson_id + "/torrent", 30000)));
      if (reply.status != 200) return IoError("torrent of " + item.lesson_id + ": " + http::ReasonOf(reply));
      auto torrent = bundle::ParseTorrent(reply.body);
      if (!torrent.ok() || torrent->info_hash_v1 != item.info_hash_v1 || torrent->info_hash_v2 != item.info_hash_v2) {
        Refuse(signed_manifest, manifest->pack_id,
               "the torrent of lesson " + item.lesson_id + " does not have the info hashes the signed manifest names");
        return Status::Ok();
      }
      torrents[item.lesson_id] = std::move(torrent->bytes);
    }
    ASSIGN_OR_RETURN(std::vector<std::string> added, store.ApplyPack(signed_manifest, *manifest, torrents, UnixNow()));
    log->info("pack_accepted pack={} version={} items={} new_lessons={}", manifest->pack_id, manifest->version,
              manifest->items.size(), added.size());
    return Status::Ok();
  }

  // One exchange with the catalog. Returns whether anything was applied.
  Result<bool> PollOnce(int wait_seconds) {
    http::ClientRequest req = Request("/v1/edges/" + options.school_id + "/packs?wait=" + std::to_string(wait_seconds),
                                      (wait_seconds + 30) * 1000);
    {
      std::lock_guard lock(mu);
      if (!etag.empty()) req.headers["If-None-Match"] = etag;
    }
    ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
    if (reply.status == 304) return false;
    if (reply.status != 200) return IoError("catalog packs feed: " + http::ReasonOf(reply));
    const json body = json::parse(reply.body, nullptr, false);
    if (!body.is_object() || !body.contains("packs") || !body["packs"].is_array()) {
      return IoError("catalog packs feed: unexpected reply");
    }
    bundle::PackAudience audience{options.school_id, {}};
    for (const auto& c : body.value("communities", json::array())) {
      if (c.is_string()) audience.communities.push_back(c.get<std::string>());
    }
    RETURN_IF_ERROR(store.Put("communities", json(audience.communities).dump()));
    ASSIGN_OR_RETURN(auto held, store.PackVersions());
    for (const auto& entry : body["packs"]) RETURN_IF_ERROR(Accept(entry, audience, held));
    ASSIGN_OR_RETURN(auto after, store.PackVersions());
    // A refused version is asked again only when the feed changes: keep its ETag either way.
    {
      std::lock_guard lock(mu);
      etag = reply.Header("etag");
    }
    RETURN_IF_ERROR(store.Put("packs_etag", reply.Header("etag")));
    return after != held;
  }

  FollowerStatus Status_() const {
    std::lock_guard lock(mu);
    return status;
  }

  void Run() {
    std::mt19937 rng(std::random_device{}());
    std::chrono::milliseconds backoff(1000);
    bool first = true;
    for (;;) {
      {
        std::lock_guard lock(mu);
        if (stopping) return;
        sync_now = false;
        cancel = false;
      }
      // The first exchange does not wait: a starting edge learns at once what changed.
      auto applied = PollOnce(first ? 0 : options.poll_wait_seconds);
      first = false;
      if (!applied.ok() && applied.status().code() == StatusCode::kCancelled) continue;  // Stop or SyncNow
      std::chrono::milliseconds pause(0);
      {
        std::lock_guard lock(mu);
        if (applied.ok()) {
          status.catalog_reachable = true;
          status.last_sync_at = UnixNow();
          status.last_error.clear();
          backoff = std::chrono::milliseconds(1000);
        } else {
          status.catalog_reachable = false;
          status.last_error = applied.status().message();
          // Jittered exponential backoff, capped: a county's edges do not all return at once.
          std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
          pause = std::chrono::milliseconds(jitter(rng));
          backoff = std::min(backoff * 2, options.max_backoff);
        }
      }
      if (!applied.ok()) {
        log->warn("catalog_unreachable error=\"{}\" retry_ms={}", applied.status().message(), pause.count());
      } else if (*applied && on_applied) {
        on_applied();
      }
      if (pause.count() > 0) {
        std::unique_lock lock(mu);
        wake.wait_for(lock, pause, [&] { return stopping || sync_now; });
      }
    }
  }
};

std::unique_ptr<PackFollower> PackFollower::Start(FollowerOptions options, EdgeStore& store, OnApplied on_applied) {
  while (!options.catalog_url.empty() && options.catalog_url.back() == '/') options.catalog_url.pop_back();
  auto impl = std::make_unique<Impl>(std::move(options), store, std::move(on_applied));
  if (auto etag = store.Get("packs_etag"); etag.ok() && etag->has_value()) impl->etag = **etag;
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<PackFollower>(new PackFollower(std::move(impl)));
}

PackFollower::PackFollower(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

PackFollower::~PackFollower() { Stop(); }

void PackFollower::Stop() {
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping && !impl_->thread.joinable()) return;
    impl_->stopping = true;
  }
  impl_->cancel = true;
  impl_->wake.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
}

void PackFollower::SyncNow() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->sync_now = true;
  }
  impl_->cancel = true;
  impl_->wake.notify_all();
}

FollowerStatus PackFollower::State() const { return impl_->Status_(); }

}  // namespace lm::edge
