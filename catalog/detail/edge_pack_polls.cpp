#include "catalog/detail/edge_pack_polls.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <vector>

#include "catalog/detail/api_json.h"
#include "common/http/file_reply.h"
#include "common/text_checks.h"
#include "common/xxh3.h"

namespace lm::catalog {

using nlohmann::json;
using http::Reply;

namespace {

Reply NotModified(const std::string& etag) {
  Reply r;
  r.status = 304;
  r.headers.push_back({"ETag", etag});
  return r;
}

}  // namespace

EdgePackPolls::EdgePackPolls(CatalogStore& store, int max_wait_seconds, OnLateReply on_late_reply)
    : store_(store), max_wait_seconds_(max_wait_seconds), on_late_reply_(std::move(on_late_reply)) {}

void EdgePackPolls::SetRunAfter(RunAfter run_after) {
  std::lock_guard lock(mu_);
  run_after_ = std::move(run_after);
}

Result<std::pair<std::string, std::string>> EdgePackPolls::PacksBody(const std::string& school) {
  ASSIGN_OR_RETURN(std::vector<PackVersion> packs, store_.PacksForSchool(school));
  json list = json::array();
  std::string fingerprint;
  for (const auto& v : packs) {
    list.push_back(PackVersionJson(v));
    fingerprint += std::to_string(v.pack_id) + ":" + std::to_string(v.version) + ";";
  }
  // The school's communities, so that its edge can check each pack's targets.
  ASSIGN_OR_RETURN(std::vector<std::string> communities, store_.CommunitiesOf(school));
  for (const auto& c : communities) fingerprint += "c:" + c + ";";
  const std::string etag = "\"" + Xxh3Of(school + "|" + fingerprint).Hex() + "\"";
  return std::make_pair(DumpJson({{"school", school}, {"communities", communities}, {"packs", list}}), etag);
}

Reply EdgePackPolls::Poll(const http::Request& req, const std::string& school, http::Responder* respond) {
  int wait = 0;
  const std::string w = req.Query("wait");
  if (!w.empty() && !IsDecimal(w, 4)) {
    return http::ErrorReply(InvalidArgument("wait must be a number of seconds", "wait"));
  }
  if (!w.empty()) wait = std::min(std::stoi(w), max_wait_seconds_);
  // A Wake between reading the list and parking would pass this poll by: read it again then.
  std::unique_lock lock(mu_);
  std::uint64_t seen = wakes_;
  std::pair<std::string, std::string> body;
  for (;;) {
    lock.unlock();
    auto read = PacksBody(school);
    if (!read.ok()) return http::ErrorReply(read.status());
    body = std::move(*read);
    lock.lock();
    if (wakes_ == seen) break;
    seen = wakes_;
  }
  const std::string& etag = body.second;
  if (!http::IfNoneMatchHolds(req.Header("if-none-match"), etag)) {
    Reply r = http::JsonReply(200, body.first);
    r.headers.push_back({"ETag", etag});
    return r;
  }
  const Reply not_modified = NotModified(etag);
  if (wait <= 0 || !run_after_) return not_modified;
  // Park the poll until a publish changes this school's packs or the wait runs out.
  const std::uint64_t id = next_waiter_++;
  waiters_[id] = Waiter{school, etag, std::move(*respond)};
  *respond = nullptr;
  run_after_(std::chrono::seconds(wait), [this, id, not_modified] {
    http::Responder r;
    {
      std::lock_guard lock(mu_);
      auto it = waiters_.find(id);
      if (it == waiters_.end()) return;
      r = std::move(it->second.respond);
      waiters_.erase(it);
    }
    on_late_reply_(not_modified);
    r(not_modified);
  });
  return {};
}

void EdgePackPolls::Wake() {
  // The parked polls, read while they stay parked: a poll whose wait runs out meanwhile is still
  // found by its timer, and another Wake sees it too. Whoever takes a poll out answers it.
  struct Parked {
    std::uint64_t id;
    std::string school_id, etag;
  };
  std::vector<Parked> parked;
  {
    std::lock_guard lock(mu_);
    ++wakes_;
    for (const auto& [id, w] : waiters_) parked.push_back({id, w.school_id, w.etag});
  }
  std::map<std::string, Result<std::pair<std::string, std::string>>> bodies;  // one read per school
  for (const Parked& p : parked) {
    auto body = bodies.find(p.school_id);
    if (body == bodies.end()) body = bodies.emplace(p.school_id, PacksBody(p.school_id)).first;
    const auto& read = body->second;
    if (read.ok() && read->second == p.etag) continue;
    http::Responder respond;
    {
      std::lock_guard lock(mu_);
      auto it = waiters_.find(p.id);
      if (it == waiters_.end()) continue;  // answered meanwhile
      respond = std::move(it->second.respond);
      waiters_.erase(it);
    }
    Reply r = read.ok() ? http::JsonReply(200, read->first) : http::ErrorReply(read.status());
    if (read.ok()) r.headers.push_back({"ETag", read->second});
    on_late_reply_(r);
    respond(std::move(r));
  }
}

void EdgePackPolls::ReleaseAll() {
  std::map<std::uint64_t, Waiter> parked;
  {
    std::lock_guard lock(mu_);
    parked.swap(waiters_);
    run_after_ = nullptr;
  }
  for (auto& [id, w] : parked) w.respond(NotModified(w.etag));
}

std::size_t EdgePackPolls::Waiting() {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

}  // namespace lm::catalog
