#include "catalog/detail/edge_pack_polls.h"

#include <nlohmann/json.hpp>

#include <algorithm>

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
  auto body = PacksBody(school);
  if (!body.ok()) return http::ErrorReply(body.status());
  const std::string& etag = body->second;
  if (!http::IfNoneMatchHolds(req.Header("if-none-match"), etag)) {
    Reply r = http::JsonReply(200, body->first);
    r.headers.push_back({"ETag", etag});
    return r;
  }
  int wait = 0;
  const std::string w = req.Query("wait");
  if (!w.empty()) {
    if (!IsDecimal(w, 4)) return http::ErrorReply(InvalidArgument("wait must be a number of seconds", "wait"));
    wait = std::min(std::stoi(w), max_wait_seconds_);
  }
  const Reply not_modified = NotModified(etag);
  std::lock_guard lock(mu_);
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
  std::map<std::uint64_t, Waiter> parked;
  {
    std::lock_guard lock(mu_);
    parked.swap(waiters_);
  }
  std::map<std::uint64_t, Waiter> still;
  for (auto& [id, w] : parked) {
    auto body = PacksBody(w.school_id);
    if (body.ok() && body->second == w.etag) {
      still.emplace(id, std::move(w));
      continue;
    }
    Reply r = body.ok() ? http::JsonReply(200, body->first) : http::ErrorReply(body.status());
    if (body.ok()) r.headers.push_back({"ETag", body->second});
    on_late_reply_(r);
    w.respond(std::move(r));
  }
  std::lock_guard lock(mu_);
  for (auto& [id, w] : still) waiters_.emplace(id, std::move(w));
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
