#include "catalog/catalog_service.h"

#include <nlohmann/json.hpp>

#include <chrono>

#include "catalog/auth.h"
#include "catalog/detail/api_json.h"
#include "catalog/pack_manifest.h"
#include "catalog/reports.h"
#include "common/xxh3.h"
#include "common/text_checks.h"

namespace lm::catalog {

using nlohmann::json;
using http::ErrorReply;
using http::JsonReply;
using http::Reply;
using http::Request;

struct CatalogService::Caller {
  bool authenticated = false;
  TokenInfo token;
  bool Is(std::initializer_list<Role> roles) const {
    if (!authenticated) return false;
    for (Role r : roles)
      if (token.role == r) return true;
    return false;
  }
};

namespace {

constexpr std::size_t kDefaultBodyLimit = 64 * 1024;
constexpr std::size_t kLessonBodyLimit = 16 * 1024 * 1024;  // lesson.json + a torrent, base64
constexpr std::size_t kReportBodyLimit = 4 * 1024 * 1024;

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

Reply Unauthorized() { return ErrorReply(401, "unauthenticated", "a valid bearer token is required"); }
Reply Forbidden(const std::string& why) { return ErrorReply(403, "forbidden", why); }
Reply NotFoundReply() { return ErrorReply(404, "not_found", "no such resource"); }
Reply MethodNotAllowed() { return ErrorReply(405, "method_not_allowed", "method not allowed on this resource"); }

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace

CatalogService::CatalogService(CatalogStore& store, const SigningKey& key, CatalogServiceOptions options)
    : store_(store), key_(key), options_(std::move(options)) {}

std::int64_t CatalogService::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CatalogService::SetRunAfter(RunAfter run_after) {
  std::lock_guard lock(mu_);
  run_after_ = std::move(run_after);
}

std::size_t CatalogService::BodyLimit(const std::string& method, const std::string& target) {
  if (method == "POST" && target.rfind("/v1/lessons", 0) == 0) return kLessonBodyLimit;
  if (method == "POST" && target.find("/report") != std::string::npos) return kReportBodyLimit;
  return kDefaultBodyLimit;
}

void CatalogService::Handle(Request req, http::Responder respond) {
  const auto started = std::chrono::steady_clock::now();
  Caller caller;
  const std::string token = BearerToken(req.Header("authorization"));
  if (!token.empty()) {
    auto info = store_.FindToken(TokenHash(token));
    if (info.ok()) {
      caller.authenticated = true;
      caller.token = *info;
    }
  }
  std::string route = "other";
  http::Responder deferred = respond;
  Reply reply = Dispatch(req, caller, SplitPath(req.path), &deferred, &route);
  if (!deferred) return;  // parked: a long poll answers later
  metrics_.Observe(route, reply.status,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  deferred(std::move(reply));
}

Reply CatalogService::Dispatch(const Request& req, const Caller& caller, const std::vector<std::string>& p,
                               http::Responder* respond, std::string* route) {
  const std::string& m = req.method;
  const size_t n = p.size();
  if (n == 1 && p[0] == "healthz") {
    *route = "/healthz";
    return JsonReply(200, R"({"status":"ok"})");
  }
  if (n == 1 && p[0] == "metrics") {
    *route = "/metrics";
    std::vector<std::pair<std::string, double>> gauges;
    if (auto size = store_.SizeBytes(); size.ok()) gauges.push_back({"lessonmesh_store_bytes", double(*size)});
    if (auto count = store_.CountLessons(); count.ok()) gauges.push_back({"lessonmesh_lessons", double(*count)});
    Reply r;
    r.content_type = "text/plain; version=0.0.4";
    r.body = metrics_.Render(gauges);
    return r;
  }
  if (n < 2 || p[0] != "v1") return NotFoundReply();
  if (n == 2 && p[1] == "keys") {
    *route = "/v1/keys";
    return JsonReply(200, Dump({{"algorithm", "ed25519"}, {"public_key", key_.public_key_base64()}}));
  }
  if (!caller.authenticated) return Unauthorized();
  if (n == 2 && p[1] == "whoami") {
    // Lets another service (the origin) check a token its caller presented.
    *route = "/v1/whoami";
    if (m != "GET") return MethodNotAllowed();
    return JsonReply(200, Dump({{"role", RoleName(caller.token.role)}, {"school_id", caller.token.school_id}}));
  }

  // Schools and communities.
  if (p[1] == "schools" && n <= 3) {
    *route = n == 2 ? "/v1/schools" : "/v1/schools/{id}";
    if (m == "POST" && n == 2) {
      if (!caller.Is({Role::kAdmin})) return Forbidden("only admins register schools");

      auto body = ParseBody(req);
      if (!body.ok()) return ErrorReply(body.status());
      auto school = SchoolFrom(*body);
      if (!school.ok()) return ErrorReply(school.status());
      if (Status st = store_.PutSchool(*school); !st.ok()) return ErrorReply(st);
      return JsonReply(201, Dump(SchoolJson(*school)));
    }
    if (m != "GET") return MethodNotAllowed();
    if (!caller.Is({Role::kAdmin, Role::kSupervisor})) return Forbidden("admins and supervisors only");
    if (n == 3) {
      auto s = store_.GetSchool(p[2]);
      return s.ok() ? JsonReply(200, Dump(SchoolJson(*s))) : ErrorReply(s.status());
    }
    auto all = store_.ListSchools();
    if (!all.ok()) return ErrorReply(all.status());
    json list = json::array();
    for (const auto& s : *all) list.push_back(SchoolJson(s));
    return JsonReply(200, Dump({{"schools", list}}));
  }
  if (p[1] == "communities" && n <= 3) {
    *route = n == 2 ? "/v1/communities" : "/v1/communities/{id}";
    if (m == "POST" && n == 2) {
      if (!caller.Is({Role::kAdmin})) return Forbidden("only admins define communities");
      auto body = ParseBody(req);
      if (!body.ok()) return ErrorReply(body.status());
      auto c = CommunityFrom(*body);
      if (!c.ok()) return ErrorReply(c.status());
      if (Status st = store_.PutCommunity(*c); !st.ok()) return ErrorReply(st);
      return JsonReply(201, Dump({{"id", c->id}, {"members", c->members}}));
    }
    if (m != "GET" || n != 3) return MethodNotAllowed();
    if (!caller.Is({Role::kAdmin, Role::kSupervisor})) return Forbidden("admins and supervisors only");
    auto c = store_.GetCommunity(p[2]);
    if (!c.ok()) return ErrorReply(c.status());
    return JsonReply(200, Dump({{"id", c->id}, {"name", c->name}, {"model", c->model}, {"level", c->level},
                                {"core_school", c->core_school}, {"members", c->members}}));
  }

  // Lessons.
  if (p[1] == "lessons") {
    if (n == 2 && m == "POST") {
      *route = "/v1/lessons";
      if (!caller.Is({Role::kOrigin, Role::kAdmin})) return Forbidden("lessons are registered by the origin");
      auto body = ParseBody(req);
      if (!body.ok()) return ErrorReply(body.status());
      const json& b = *body;
      if (!b.contains("manifest") || !b["manifest"].is_object()) {
        return ErrorReply(InvalidArgument("manifest (the bundle's lesson.json) is required", "manifest"));
      }
      const json& mf = b["manifest"];
      Lesson l;
      auto id = RequiredString(mf, "id", 64);
      if (!id.ok() || !IsLowerHex(*id, 32)) {
        return ErrorReply(InvalidArgument("manifest.id must be a 32-digit lesson id", "manifest.id"));
      }
      l.id = *id;
      l.kind = OptionalString(mf, "kind");
      if (l.kind != "lesson" && l.kind != "document") {
        return ErrorReply(InvalidArgument("manifest.kind must be lesson or document", "manifest.kind"));
      }
      l.title = OptionalString(mf, "title");
      if (l.title.empty()) return ErrorReply(InvalidArgument("manifest.title is required", "manifest.title"));
      l.teacher = OptionalString(mf, "teacher");
      l.subject = OptionalString(mf, "subject");
      l.grade = OptionalString(mf, "grade");
      l.duration_s = mf.value("duration_s", 0.0);
      l.school_id = OptionalString(b, "school_id");
      l.description = OptionalString(b, "description");
      auto tags = StringList(b, "tags");
      if (!tags.ok()) return ErrorReply(tags.status());
      l.tags = *tags;
      auto v1 = RequiredString(b, "info_hash_v1", 40);
      auto v2 = RequiredString(b, "info_hash_v2", 64);
      if (!v1.ok() || !IsLowerHex(*v1, 40)) {
        return ErrorReply(InvalidArgument("info_hash_v1 must be 40 hex digits", "info_hash_v1"));
      }
      if (!v2.ok() || !IsLowerHex(*v2, 64)) {
        return ErrorReply(InvalidArgument("info_hash_v2 must be 64 hex digits", "info_hash_v2"));
      }
      l.info_hash_v1 = *v1;
      l.info_hash_v2 = *v2;
      auto torrent = Base64Decode(OptionalString(b, "torrent_base64"));
      if (!torrent.ok() || torrent->empty() || (*torrent)[0] != 'd') {
        return ErrorReply(InvalidArgument("torrent_base64 must hold the bundle's lesson.torrent", "torrent_base64"));
      }
      l.torrent = *torrent;
      for (const auto& f : mf.value("files", json::array())) l.total_bytes += f.value("size", std::int64_t{0});
      l.manifest_json = Dump(mf);
      l.created_at = Now();
      Status st = store_.PutLesson(l);
      if (st.code() == StatusCode::kAlreadyExists) {
        return JsonReply(200, Dump({{"id", l.id}, {"created", false}}));  // same bytes, same lesson
      }
      if (!st.ok()) return ErrorReply(st);
      return JsonReply(201, Dump({{"id", l.id}, {"created", true}}));
    }
    if (m != "GET") return MethodNotAllowed();
    if (n == 2) {
      *route = "/v1/lessons";
      SearchQuery q;
      q.text = req.Query("q");
      q.subject = req.Query("subject");
      q.grade = req.Query("grade");
      q.teacher = req.Query("teacher");
      const std::string page = req.Query("page");
      if (!page.empty()) {
        if (!IsDecimal(page, 6, /*positive=*/true)) {
          return ErrorReply(InvalidArgument("page must be a positive number", "page"));
        }
        q.page = std::stoi(page);
      }
      auto hits = store_.SearchLessons(q);
      if (!hits.ok()) return ErrorReply(hits.status());
      json list = json::array();
      for (const auto& h : *hits) list.push_back(LessonJson(h.lesson));
      return JsonReply(200, Dump({{"page", q.page}, {"lessons", list}}));
    }
    auto lesson = store_.GetLesson(p[2]);
    if (!lesson.ok()) return ErrorReply(lesson.status());
    if (n == 3) {
      *route = "/v1/lessons/{id}";
      json j = LessonJson(*lesson);
      j["manifest"] = json::parse(lesson->manifest_json, nullptr, false);
      return JsonReply(200, Dump(j));
    }
    if (n == 4 && p[3] == "torrent") {
      *route = "/v1/lessons/{id}/torrent";
      Reply r;
      r.content_type = "application/x-bittorrent";
      r.body = lesson->torrent;
      return r;
    }
    return NotFoundReply();
  }

  // Packs.
  if (p[1] == "packs" && n <= 5) {
    *route = n == 2 ? "/v1/packs" : "/v1/packs/{id}";
    if (!caller.Is({Role::kAdmin, Role::kSupervisor})) return Forbidden("admins and supervisors only");
    if ((m == "POST" && n == 2) || (m == "PUT" && n == 3)) {
      if (!caller.Is({Role::kAdmin})) return Forbidden("only admins publish packs");
      auto body = ParseBody(req);
      if (!body.ok()) return ErrorReply(body.status());
      auto spec = PackSpecFrom(*body);
      if (!spec.ok()) return ErrorReply(spec.status());
      std::int64_t pack_id = 0;
      std::int64_t version = 1;
      if (n == 3) {
        if (!IsDecimal(p[2], 18, true)) return NotFoundReply();
        pack_id = std::stoll(p[2]);
        auto latest = store_.GetPackVersion(pack_id, 0);
        if (!latest.ok()) return ErrorReply(latest.status());
        version = latest->version + 1;
      }
      // Check every lesson and target before creating anything.
      for (const auto& s : spec->target_schools) {
        if (!store_.GetSchool(s).ok()) return ErrorReply(InvalidArgument("unknown school " + s, "targets"));
      }
      for (const auto& c : spec->target_communities) {
        if (!store_.GetCommunity(c).ok()) return ErrorReply(InvalidArgument("unknown community " + c, "targets"));
      }
      std::vector<Lesson> lessons;
      for (const auto& i : spec->items) {
        auto lesson = store_.GetLesson(i.lesson_id);
        if (lesson.status().code() == StatusCode::kNotFound) {
          return ErrorReply(InvalidArgument("unknown lesson " + i.lesson_id, "items"));
        }
        if (!lesson.ok()) return ErrorReply(lesson.status());
        lessons.push_back(std::move(*lesson));
      }
      if (n == 2) {
        auto id = store_.CreatePack(*spec, RoleName(caller.token.role));
        if (!id.ok()) return ErrorReply(id.status());
        pack_id = *id;
      }
      auto v = BuildSignedPackVersion(key_, pack_id, version, *spec, lessons, Now());
      if (!v.ok()) return ErrorReply(v.status());
      if (Status st = store_.AddPackVersion(*v, *spec); !st.ok()) return ErrorReply(st);
      WakeWaiters();
      return JsonReply(201, Dump(PackVersionJson(*v)));
    }
    if (m != "GET" || n < 3) return MethodNotAllowed();
    if (!IsDecimal(p[2], 18, true)) return NotFoundReply();
    std::int64_t version = 0;
    if (n == 5 && p[3] == "versions" && IsDecimal(p[4], 9, true)) {
      version = std::stoll(p[4]);
    } else if (n != 3) {
      return NotFoundReply();
    }
    auto v = store_.GetPackVersion(std::stoll(p[2]), version);
    return v.ok() ? JsonReply(200, Dump(PackVersionJson(*v))) : ErrorReply(v.status());
  }

  // Edges.
  if (p[1] == "edges" && n == 4) {
    const std::string& school = p[2];
    const bool own = caller.Is({Role::kEdge}) && caller.token.school_id == school;
    if (p[3] == "packs" && m == "GET") {
      *route = "/v1/edges/{school}/packs";
      if (!own && !caller.Is({Role::kAdmin})) return Forbidden("an edge reads only its own school's packs");
      return EdgePacks(req, caller, school, respond);
    }
    if (p[3] == "report" && m == "POST") {
      *route = "/v1/edges/{school}/report";
      if (!own) return Forbidden("an edge reports only for its own school");
      auto body = ParseBody(req);
      if (!body.ok()) return ErrorReply(body.status());
      EdgeReport r;
      r.school_id = school;
      auto rid = RequiredString(*body, "report_id", 100);
      if (!rid.ok()) return ErrorReply(rid.status());
      r.report_id = *rid;
      r.free_bytes = body->value("free_bytes", std::int64_t{0});
      for (const auto& e : body->value("inventory", json::array())) {
        InventoryEntry entry{OptionalString(e, "lesson_id"), OptionalString(e, "state"), e.value("bytes", std::int64_t{0})};
        if (entry.lesson_id.empty() || (entry.state != "complete" && entry.state != "partial" && entry.state != "missing")) {
          return ErrorReply(InvalidArgument("inventory entries need lesson_id and state complete|partial|missing", "inventory"));
        }
        r.inventory.push_back(std::move(entry));
      }
      for (const auto& e : body->value("plays", json::array())) {
        PlayEvent play{OptionalString(e, "lesson_id"), e.value("started_at", std::int64_t{0}), e.value("seconds", 0.0)};
        if (play.lesson_id.empty() || play.started_at <= 0 || play.seconds < 0) {
          return ErrorReply(InvalidArgument("plays need lesson_id, started_at and seconds", "plays"));
        }
        r.plays.push_back(std::move(play));
      }
      auto applied = store_.ApplyReport(r, Now());
      if (!applied.ok()) return ErrorReply(applied.status());
      return JsonReply(200, Dump({{"report_id", r.report_id}, {"applied", *applied}}));
    }
    return MethodNotAllowed();
  }

  // Reports.
  if (p[1] == "reports" && n == 3 && m == "GET") {
    if (!caller.Is({Role::kSupervisor, Role::kAdmin})) return Forbidden("supervisors and admins only");
    if (p[2] == "coverage") {
      *route = "/v1/reports/coverage";
      return CoverageReport(store_, req);
    }
    if (p[2] == "monthly") {
      *route = "/v1/reports/monthly";
      return MonthlyReport(store_, req);
    }
  }
  return NotFoundReply();
}

Result<std::pair<std::string, std::string>> CatalogService::PacksBody(const std::string& school) {
  ASSIGN_OR_RETURN(std::vector<PackVersion> packs, store_.PacksForSchool(school));
  json list = json::array();
  std::string fingerprint;
  for (const auto& v : packs) {
    list.push_back(PackVersionJson(v));
    fingerprint += std::to_string(v.pack_id) + ":" + std::to_string(v.version) + ";";
  }
  const std::string etag = "\"" + Xxh3Of(school + "|" + fingerprint).Hex() + "\"";
  return std::make_pair(Dump({{"school", school}, {"packs", list}}), etag);
}

Reply CatalogService::EdgePacks(const Request& req, const Caller& caller, const std::string& school,
                                http::Responder* respond) {
  if (caller.Is({Role::kEdge})) (void)store_.TouchEdge(school, Now());
  auto body = PacksBody(school);
  if (!body.ok()) return ErrorReply(body.status());
  const std::string& etag = body->second;
  if (req.Header("if-none-match") != etag) {
    Reply r = JsonReply(200, body->first);
    r.headers.push_back({"ETag", etag});
    return r;
  }
  int wait = 0;
  const std::string w = req.Query("wait");
  if (!w.empty()) {
    if (!IsDecimal(w, 4)) {
      return ErrorReply(InvalidArgument("wait must be a number of seconds", "wait"));
    }
    wait = std::min(std::stoi(w), options_.max_wait_seconds);
  }
  Reply not_modified;
  not_modified.status = 304;
  not_modified.content_type = "application/json";
  not_modified.headers.push_back({"ETag", etag});
  std::lock_guard lock(mu_);
  if (wait <= 0 || !run_after_) return not_modified;
  // Park the poll until a publish changes this school's packs or the wait runs out.
  const std::uint64_t id = next_waiter_++;
  waiters_[id] = Waiter{school, etag, *respond};
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
    metrics_.Observe("/v1/edges/{school}/packs", 304, 0);
    r(not_modified);
  });
  return {};
}

void CatalogService::WakeWaiters() {
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
    Reply r = body.ok() ? JsonReply(200, body->first) : ErrorReply(body.status());
    if (body.ok()) r.headers.push_back({"ETag", body->second});
    metrics_.Observe("/v1/edges/{school}/packs", r.status, 0);
    w.respond(std::move(r));
  }
  std::lock_guard lock(mu_);
  for (auto& [id, w] : still) waiters_.emplace(id, std::move(w));
}

void CatalogService::ReleaseWaiters() {
  std::map<std::uint64_t, Waiter> parked;
  {
    std::lock_guard lock(mu_);
    parked.swap(waiters_);
    run_after_ = nullptr;
  }
  for (auto& [id, w] : parked) {
    Reply r;
    r.status = 304;
    r.headers.push_back({"ETag", w.etag});
    w.respond(std::move(r));
  }
}

}  // namespace lm::catalog
