#include "catalog/catalog_api.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "catalog/auth.h"
#include "catalog/detail/api_json.h"
#include "catalog/detail/edge_pack_polls.h"
#include "catalog/lesson_versions.h"
#include "catalog/pack_manifest.h"
#include "catalog/pack_qr_sheet.h"
#include "catalog/reports.h"
#include "common/http/bearer.h"
#include "common/logging.h"
#include "common/text_checks.h"

namespace lm::catalog {

using nlohmann::json;
using http::ErrorReply;
using http::Forbidden;
using http::JsonReply;
using http::Reply;
using http::Request;

namespace {

constexpr std::size_t kDefaultBodyLimit = 64 * 1024;
constexpr std::size_t kLessonBodyLimit = 16 * 1024 * 1024;  // lesson.json + a torrent, base64
constexpr std::size_t kReportBodyLimit = 4 * 1024 * 1024;
constexpr char kOtherRoute[] = "other";  // the metrics label of requests that matched no route

Reply Unauthorized() { return http::Unauthenticated("a valid bearer token is required"); }
Reply Refused(const TokenRefusal& why) { return ErrorReply(401, why.code, why.message); }
Reply NotFoundReply() { return ErrorReply(404, "not_found", "no such resource"); }
Reply MethodNotAllowed() { return ErrorReply(405, "method_not_allowed", "method not allowed on this resource"); }

// The error message of an error reply, for the log.
std::string ErrorOf(const Reply& reply) {
  const json j = json::parse(reply.body, nullptr, false);
  return j.is_object() && j.contains("error") && j["error"].is_string() ? j["error"].get<std::string>() : reply.body;
}

}  // namespace

struct CatalogApi::Caller {
  bool presented = false;      // the request carried credentials
  bool authenticated = false;  // ... and they are a token in force
  std::optional<TokenRefusal> refusal;  // a known token that is revoked or expired
  TokenInfo token;
  bool Is(const std::vector<Role>& roles) const {
    return authenticated && std::find(roles.begin(), roles.end(), token.role) != roles.end();
  }
};

struct CatalogApi::Call {
  const Request& req;
  const Caller& caller;
  std::vector<std::string> params;  // the segments that filled the pattern's {..}, in order
  http::Responder* respond;         // a long poll takes it to answer later
};

struct CatalogApi::Route {
  std::string_view method;
  std::string_view pattern;  // "/v1/packs/{pack}"; also the route's metrics label
  bool is_public;            // no token needed
  std::vector<Role> roles;   // who may call it; empty: any valid token
  std::string_view refusal;  // the 403's message for anyone else
  std::size_t body_limit;
  Reply (CatalogApi::*handle)(const Call&);
  // Routes about one school name it as their first {param}, {school}: a token of another school is
  // refused (403); a token of no school (an admin's) may act for any.
  bool for_one_school = false;
  bool json_body = false;  // takes a JSON object
};

const std::vector<CatalogApi::Route>& CatalogApi::Routes() {
  using R = Role;
  static const std::vector<Role> kAdminsAndSupervisors = {R::kAdmin, R::kSupervisor};
  constexpr std::string_view kAdminsAndSupervisorsOnly = "admins and supervisors only";
  constexpr std::size_t kSmall = kDefaultBodyLimit;
  constexpr bool kJson = true;
  constexpr bool kOneSchool = true;
  static const std::vector<Route> kRoutes = {
      {"GET", "/healthz", true, {}, "", kSmall, &CatalogApi::Health},
      {"GET", "/metrics", true, {}, "", kSmall, &CatalogApi::MetricsText},
      {"GET", "/v1/keys", true, {}, "", kSmall, &CatalogApi::Keys},
      // The admin's page and the supervisor's dashboard; they sign in with a token of their own.
      {"GET", "/admin", true, {}, "", kSmall, &CatalogApi::Page},
      {"HEAD", "/admin", true, {}, "", kSmall, &CatalogApi::Page},
      {"GET", "/dashboard", true, {}, "", kSmall, &CatalogApi::Page},
      {"HEAD", "/dashboard", true, {}, "", kSmall, &CatalogApi::Page},
      {"GET", "/web/{file*}", true, {}, "", kSmall, &CatalogApi::Page},
      {"HEAD", "/web/{file*}", true, {}, "", kSmall, &CatalogApi::Page},
      // The caller's own token: role and school (an edge checks its token with it when enrolled).
      {"GET", "/v1/whoami", false, {}, "", kSmall, &CatalogApi::WhoAmI},
      // Another service (the origin) checks a token its caller presented.
      {"POST", "/v1/whois", false, {R::kOrigin, R::kAdmin}, "only the origin checks others' tokens", kSmall,
       &CatalogApi::WhoIs, false, kJson},
      {"GET", "/v1/tokens", false, {R::kAdmin}, "only admins see tokens", kSmall, &CatalogApi::ListTokens},
      {"POST", "/v1/tokens/{token}/revoke", false, {R::kAdmin}, "only admins revoke tokens", kSmall,
       &CatalogApi::RevokeToken},
      {"POST", "/v1/schools", false, {R::kAdmin}, "only admins register schools", kSmall, &CatalogApi::CreateSchool,
       false, kJson},
      {"GET", "/v1/schools", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall, &CatalogApi::ListSchools},
      {"GET", "/v1/schools/{school}", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall,
       &CatalogApi::GetSchool},
      {"POST", "/v1/communities", false, {R::kAdmin}, "only admins define communities", kSmall,
       &CatalogApi::CreateCommunity, false, kJson},
      {"GET", "/v1/communities", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall,
       &CatalogApi::ListCommunities},
      {"GET", "/v1/communities/{community}", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall,
       &CatalogApi::GetCommunity},
      {"POST", "/v1/lessons", false, {R::kOrigin, R::kAdmin}, "lessons are registered by the origin",
       kLessonBodyLimit, &CatalogApi::RegisterLesson, false, kJson},
      {"GET", "/v1/lessons", false, {}, "", kSmall, &CatalogApi::SearchLessons},
      {"GET", "/v1/lessons/{lesson}", false, {}, "", kSmall, &CatalogApi::GetLesson},
      {"GET", "/v1/lessons/{lesson}/torrent", false, {}, "", kSmall, &CatalogApi::GetLessonTorrent},
      {"POST", "/v1/packs", false, {R::kAdmin}, "only admins publish packs", kSmall, &CatalogApi::PublishPack, false,
       kJson},
      {"PUT", "/v1/packs/{pack}", false, {R::kAdmin}, "only admins publish packs", kSmall, &CatalogApi::PublishPack,
       false, kJson},
      {"GET", "/v1/packs", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall, &CatalogApi::ListPacks},
      {"GET", "/v1/packs/{pack}", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall,
       &CatalogApi::GetPackVersion},
      // The pack's printable QR sheet (PDF), for workbooks and classroom walls.
      {"GET", "/v1/packs/{pack}/qr.pdf", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall,
       &CatalogApi::PackQrSheet},
      {"GET", "/v1/packs/{pack}/versions/{version}", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall,
       &CatalogApi::GetPackVersion},
      {"GET", "/v1/edges/{school}/packs", false, {R::kEdge, R::kAdmin}, "an edge reads only its own school's packs",
       kSmall, &CatalogApi::EdgePacks, kOneSchool},
      {"GET", "/v1/edges", false, kAdminsAndSupervisors, kAdminsAndSupervisorsOnly, kSmall, &CatalogApi::ListEdges},
      {"POST", "/v1/edges/{school}/report", false, {R::kEdge}, "an edge reports only for its own school",
       kReportBodyLimit, &CatalogApi::ReceiveReport, kOneSchool, kJson},
      {"GET", "/v1/reports/coverage", false, {R::kSupervisor, R::kAdmin}, "supervisors and admins only", kSmall,
       &CatalogApi::Coverage},
      {"GET", "/v1/reports/monthly", false, {R::kSupervisor, R::kAdmin}, "supervisors and admins only", kSmall,
       &CatalogApi::Monthly},
  };
  return kRoutes;
}

std::vector<http::RouteInfo> CatalogApi::RouteTable() {
  std::vector<http::RouteInfo> out;
  for (const Route& r : Routes()) {
    http::RouteInfo info;
    info.method = r.method;
    info.pattern = r.pattern;
    info.is_public = r.is_public;
    for (Role role : r.roles) info.roles.push_back(RoleName(role));
    if (r.for_one_school) info.owner_param = "school";
    info.body_limit = r.body_limit;
    info.json_body = r.json_body;
    out.push_back(std::move(info));
  }
  return out;
}

CatalogApi::CatalogApi(CatalogStore& store, const SigningKey& key, CatalogApiOptions options)
    : store_(store),
      key_(key),
      options_(std::move(options)),
      log_(AreaLogger("catalog")),
      failed_auth_(options_.failed_auth),
      pages_(options_.web_dir, {{"/admin", "admin.html"}, {"/dashboard", "dashboard.html"}}),
      polls_(std::make_unique<EdgePackPolls>(store, options_.max_wait_seconds, [this](const Reply& reply) {
        Record("GET", "/v1/edges/{school}/packs", reply, 0);
      })) {}

CatalogApi::~CatalogApi() = default;

std::int64_t CatalogApi::Now() const {
  if (options_.now) return options_.now();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void CatalogApi::SetRunAfter(RunAfter run_after) { polls_->SetRunAfter(std::move(run_after)); }

void CatalogApi::PacksChanged() { polls_->Wake(); }

void CatalogApi::ReleaseWaiters() { polls_->ReleaseAll(); }

std::size_t CatalogApi::BodyLimit(const std::string& method, const std::string& target) {
  const std::string_view path = std::string_view(target).substr(0, target.find('?'));
  std::vector<std::string> params;
  for (const Route& r : Routes()) {
    if (r.method == method && http::MatchesPattern(r.pattern, path, &params)) return r.body_limit;
  }
  return kDefaultBodyLimit;
}

CatalogApi::Caller CatalogApi::Authenticate(const Request& req) {
  Caller caller;
  caller.presented = !req.Header("authorization").empty();
  const std::string token = http::BearerToken(req);
  if (token.empty()) return caller;
  auto info = store_.FindToken(TokenHash(token));
  if (info.ok()) {
    caller.refusal = RefuseToken(*info, Now());
    caller.authenticated = !caller.refusal;
    caller.token = *info;
  } else if (info.status().code() != StatusCode::kNotFound) {
    log_->error("token_lookup_failed error=\"{}\"", info.status().message());
  }
  return caller;
}

void CatalogApi::Handle(Request req, http::Responder respond) {
  const auto started = std::chrono::steady_clock::now();
  // An address that failed too often is refused before its token is looked at.
  if (auto too_many = failed_auth_.Refuse(req)) {
    Record(req.method, kOtherRoute, *too_many, 0);
    return respond(std::move(*too_many));
  }
  const Caller caller = Authenticate(req);
  if (caller.presented && !caller.authenticated) failed_auth_.Failed(req);

  // The route for this method and path; a path that some route has, with another method, is 405.
  const Route* route = nullptr;
  const Route* same_path = nullptr;
  std::vector<std::string> params;
  for (const Route& r : Routes()) {
    if (!http::MatchesPattern(r.pattern, req.path, &params)) continue;
    if (!same_path) same_path = &r;
    if (r.method == req.method) {
      route = &r;
      break;
    }
  }
  const bool under_v1 = req.path.rfind("/v1/", 0) == 0;
  std::string label = kOtherRoute;
  http::Responder deferred = respond;
  Reply reply;
  if (!(same_path && same_path->is_public) && (same_path || under_v1) && !caller.authenticated) {
    reply = caller.refusal ? Refused(*caller.refusal) : Unauthorized();
  } else if (!same_path) {
    reply = NotFoundReply();
  } else if (!route) {
    label = same_path->pattern;
    reply = MethodNotAllowed();
  } else {
    label = route->pattern;
    if (!route->is_public && !route->roles.empty() && !caller.Is(route->roles)) {
      reply = Forbidden(route->refusal);
    } else if (route->for_one_school && !caller.token.school_id.empty() && caller.token.school_id != params[0]) {
      reply = Forbidden("this token acts only for school " + caller.token.school_id);
    } else {
      reply = (this->*route->handle)(Call{req, caller, std::move(params), &deferred});
    }
  }
  if (!deferred) return;  // parked: a long poll answers later
  Record(req.method, label, reply,
         std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  deferred(std::move(reply));
}

void CatalogApi::Record(const std::string& method, const std::string& route, const Reply& reply, double seconds) {
  metrics_.Observe(route, reply.status, seconds);
  if (reply.status >= 500) {
    log_->error("request_failed method={} route={} status={} error=\"{}\"", method, route, reply.status,
                ErrorOf(reply));
  } else if (reply.status >= 400) {
    log_->debug("request_refused method={} route={} status={} error=\"{}\"", method, route, reply.status,
                ErrorOf(reply));
  }
}

Reply CatalogApi::Health(const Call&) { return JsonReply(200, R"({"status":"ok"})"); }

Reply CatalogApi::MetricsText(const Call&) {
  std::vector<std::pair<std::string, double>> gauges;
  if (auto size = store_.SizeBytes(); size.ok()) gauges.push_back({"lessonmesh_store_bytes", double(*size)});
  if (auto count = store_.CountLessons(); count.ok()) gauges.push_back({"lessonmesh_lessons", double(*count)});
  gauges.push_back({"lessonmesh_edge_polls_waiting", double(polls_->Waiting())});
  Reply r;
  r.content_type = "text/plain; version=0.0.4";
  r.body = metrics_.Render(gauges);
  return r;
}

Reply CatalogApi::Keys(const Call&) {
  return JsonReply(200, DumpJson({{"algorithm", "ed25519"}, {"public_key", key_.public_key_base64()}}));
}

Reply CatalogApi::WhoAmI(const Call& call) {
  const TokenInfo& t = call.caller.token;
  return JsonReply(200, DumpJson({{"role", RoleName(t.role)}, {"school_id", t.school_id}}));
}

Reply CatalogApi::CreateSchool(const Call& call) {
  auto body = ParseBody(call.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto school = SchoolFrom(*body);
  if (!school.ok()) return ErrorReply(school.status());
  if (Status st = store_.PutSchool(*school); !st.ok()) return ErrorReply(st);
  return JsonReply(201, DumpJson(SchoolJson(*school)));
}

Reply CatalogApi::ListSchools(const Call&) {
  auto all = store_.ListSchools();
  if (!all.ok()) return ErrorReply(all.status());
  json list = json::array();
  for (const auto& s : *all) list.push_back(SchoolJson(s));
  return JsonReply(200, DumpJson({{"schools", list}}));
}

Reply CatalogApi::GetSchool(const Call& call) {
  auto s = store_.GetSchool(call.params[0]);
  return s.ok() ? JsonReply(200, DumpJson(SchoolJson(*s))) : ErrorReply(s.status());
}

Reply CatalogApi::CreateCommunity(const Call& call) {
  auto body = ParseBody(call.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto c = CommunityFrom(*body);
  if (!c.ok()) return ErrorReply(c.status());
  if (Status st = store_.PutCommunity(*c); !st.ok()) return ErrorReply(st);
  return JsonReply(201, DumpJson({{"id", c->id}, {"members", c->members}}));
}

Reply CatalogApi::GetCommunity(const Call& call) {
  auto c = store_.GetCommunity(call.params[0]);
  if (!c.ok()) return ErrorReply(c.status());
  return JsonReply(200, DumpJson({{"id", c->id}, {"name", c->name}, {"model", c->model}, {"level", c->level},
                                  {"core_school", c->core_school}, {"members", c->members}}));
}

Reply CatalogApi::ListCommunities(const Call&) {
  auto all = store_.ListCommunities();
  if (!all.ok()) return ErrorReply(all.status());
  json list = json::array();
  for (const auto& c : *all) {
    list.push_back({{"id", c.id}, {"name", c.name}, {"model", c.model}, {"level", c.level},
                    {"core_school", c.core_school}, {"members", c.members}});
  }
  return JsonReply(200, DumpJson({{"communities", list}}));
}

Reply CatalogApi::RegisterLesson(const Call& call) {
  auto body = ParseBody(call.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto lesson = LessonFrom(*body);
  if (!lesson.ok()) return ErrorReply(lesson.status());
  lesson->created_at = Now();
  // A new version of a lesson held here (its chapters set) must keep that lesson's media.
  bool adopts = false;
  if (!lesson->revises.empty()) {
    auto old = store_.GetLesson(lesson->revises);
    if (old.ok()) {
      if (Status st = CheckIsVersionOf(*lesson, *old); !st.ok()) return ErrorReply(st);
      adopts = true;
    } else if (old.status().code() != StatusCode::kNotFound) {
      return ErrorReply(old.status());
    }
  }
  Status st = store_.PutLesson(*lesson);
  if (st.code() == StatusCode::kAlreadyExists) {
    return JsonReply(200, DumpJson({{"id", lesson->id}, {"created", false}}));  // same bytes, same lesson
  }
  if (!st.ok()) return ErrorReply(st);
  json reply = {{"id", lesson->id}, {"created", true}};
  if (adopts) {
    // It takes the old lesson's place in packs: their edges follow (only when first registered, so
    // that an admin who puts the old version back into a pack keeps it there).
    auto packs = AdoptNewVersion(store_, key_, *lesson, Now());
    if (!packs.ok()) return ErrorReply(packs.status());
    if (!packs->empty() && options_.publish_wakes_polls) polls_->Wake();
    reply["revises"] = lesson->revises;
    reply["packs_republished"] = *packs;
  }
  return JsonReply(201, DumpJson(reply));
}

Reply CatalogApi::SearchLessons(const Call& call) {
  auto q = SearchQueryFrom(call.req);
  if (!q.ok()) return ErrorReply(q.status());
  auto hits = store_.SearchLessons(*q);
  if (!hits.ok()) return ErrorReply(hits.status());
  json list = json::array();
  for (const auto& h : *hits) list.push_back(LessonJson(h.lesson));
  return JsonReply(200, DumpJson({{"page", q->page}, {"lessons", list}}));
}

Reply CatalogApi::GetLesson(const Call& call) {
  auto lesson = store_.GetLesson(call.params[0]);
  if (!lesson.ok()) return ErrorReply(lesson.status());
  json j = LessonJson(*lesson);
  if (!lesson->revises.empty()) j["revises"] = lesson->revises;
  if (!lesson->superseded_by.empty()) j["superseded_by"] = lesson->superseded_by;  // its packs hold that now
  j["manifest"] = json::parse(lesson->manifest_json, nullptr, false);
  return JsonReply(200, DumpJson(j));
}

Reply CatalogApi::GetLessonTorrent(const Call& call) {
  auto lesson = store_.GetLesson(call.params[0]);
  if (!lesson.ok()) return ErrorReply(lesson.status());
  Reply r;
  r.content_type = "application/x-bittorrent";
  r.body = lesson->torrent;
  return r;
}

// POST /v1/packs makes a pack and its version 1; PUT /v1/packs/{pack} its next version.
Reply CatalogApi::PublishPack(const Call& call) {
  auto body = ParseBody(call.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto spec = PackSpecFrom(*body);
  if (!spec.ok()) return ErrorReply(spec.status());
  const bool new_pack = call.params.empty();
  std::int64_t pack_id = 0;
  std::int64_t version = 1;
  if (!new_pack) {
    if (!IsDecimal(call.params[0], 18, true)) return NotFoundReply();
    pack_id = std::stoll(call.params[0]);
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
  if (new_pack) {
    auto id = store_.CreatePack(*spec, RoleName(call.caller.token.role));
    if (!id.ok()) return ErrorReply(id.status());
    pack_id = *id;
  }
  auto v = BuildSignedPackVersion(key_, pack_id, version, *spec, lessons, Now());
  if (!v.ok()) return ErrorReply(v.status());
  if (Status st = store_.AddPackVersion(*v, *spec); !st.ok()) return ErrorReply(st);
  if (options_.publish_wakes_polls) polls_->Wake();
  return JsonReply(201, DumpJson(PackVersionJson(*v)));
}

// GET /v1/packs/{pack} is the latest version; /v1/packs/{pack}/versions/{version} one of them.
Reply CatalogApi::GetPackVersion(const Call& call) {
  if (!IsDecimal(call.params[0], 18, true)) return NotFoundReply();
  std::int64_t version = 0;
  if (call.params.size() == 2) {
    if (!IsDecimal(call.params[1], 9, true)) return NotFoundReply();
    version = std::stoll(call.params[1]);
  }
  auto v = store_.GetPackVersion(std::stoll(call.params[0]), version);
  return v.ok() ? JsonReply(200, DumpJson(PackVersionJson(*v))) : ErrorReply(v.status());
}

// GET /v1/packs/{pack}/qr.pdf: the latest version's QR sheet.
Reply CatalogApi::PackQrSheet(const Call& call) {
  if (!IsDecimal(call.params[0], 18, true)) return NotFoundReply();
  auto v = store_.GetPackVersion(std::stoll(call.params[0]), 0);
  if (!v.ok()) return ErrorReply(v.status());
  auto pdf = PackQrSheetPdf(store_, *v, {options_.lan_name, options_.poster_budget_ms});
  if (!pdf.ok()) return ErrorReply(pdf.status());
  Reply r;
  r.content_type = "application/pdf";
  r.body = std::move(*pdf);
  r.headers.emplace_back("Content-Disposition", "inline; filename=\"pack-" + call.params[0] + "-qr.pdf\"");
  return r;
}

// GET /v1/packs: the latest version of every pack.
Reply CatalogApi::ListPacks(const Call&) {
  auto all = store_.ListPacks();
  if (!all.ok()) return ErrorReply(all.status());
  json list = json::array();
  for (const auto& v : *all) list.push_back(PackVersionJson(v));
  return JsonReply(200, DumpJson({{"packs", list}}));
}

// The route table has checked that an edge asks for its own school. A school not registered yet
// has no packs; a name no school can have is 404.
Reply CatalogApi::EdgePacks(const Call& call) {
  const std::string& school = call.params[0];
  if (!IsId(school)) return ErrorReply(404, "not_found", "no such school", "school");
  if (call.caller.Is({Role::kEdge})) (void)store_.TouchEdge(school, Now());
  return polls_->Poll(call.req, school, call.respond);
}

// The route table has checked that the edge reports for its own school.
Reply CatalogApi::ReceiveReport(const Call& call) {
  const std::string& school = call.params[0];
  auto body = ParseBody(call.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto report = EdgeReportFrom(*body, school);
  if (!report.ok()) return ErrorReply(report.status());
  auto applied = store_.ApplyReport(*report, Now());
  if (!applied.ok()) return ErrorReply(applied.status());
  return JsonReply(200, DumpJson({{"report_id", report->report_id}, {"applied", *applied}}));
}

// GET /v1/edges: each school's edge, when it was last heard from and its free disk.
Reply CatalogApi::ListEdges(const Call&) {
  auto all = store_.ListEdges();
  if (!all.ok()) return ErrorReply(all.status());
  json list = json::array();
  for (const auto& e : *all) {
    list.push_back({{"school_id", e.school_id}, {"last_contact", e.last_contact}, {"free_bytes", e.free_bytes}});
  }
  return JsonReply(200, DumpJson({{"edges", list}}));
}

Reply CatalogApi::Coverage(const Call& call) { return CoverageReport(store_, call.req); }

Reply CatalogApi::Monthly(const Call& call) { return MonthlyReport(store_, call.req); }

// GET /v1/tokens: every token's record, never the token itself.
Reply CatalogApi::ListTokens(const Call&) {
  auto all = store_.ListTokens();
  if (!all.ok()) return ErrorReply(all.status());
  json list = json::array();
  for (const auto& t : *all) list.push_back(TokenJson(t));
  return JsonReply(200, DumpJson({{"tokens", list}}));
}

// POST /v1/tokens/{token}/revoke: the token stops working at once here, and at the origin within
// its cache's 30 s.
Reply CatalogApi::RevokeToken(const Call& call) {
  if (!IsDecimal(call.params[0], 18, true)) return ErrorReply(404, "not_found", "no such token", "id");
  auto revoked = store_.RevokeToken(std::stoll(call.params[0]), Now());
  if (!revoked.ok()) return ErrorReply(revoked.status());
  log_->info("token_revoked id={} role={} school={}", revoked->id, RoleName(revoked->role), revoked->school_id);
  return JsonReply(200, DumpJson(TokenJson(*revoked)));
}

// POST /v1/whois {"token": "..."}: whose token another service's caller presented. A token that is
// unknown, revoked or expired is 404 saying which; its failures count against the caller of that
// service, not against the service.
Reply CatalogApi::WhoIs(const Call& call) {
  auto body = ParseBody(call.req);
  if (!body.ok()) return ErrorReply(body.status());
  auto token = RequiredString(*body, "token", 512);
  if (!token.ok()) return ErrorReply(token.status());
  auto info = store_.FindToken(TokenHash(*token));
  if (info.status().code() == StatusCode::kNotFound) {
    return ErrorReply(404, "token_unknown", "nobody was given this token", "token");
  }
  if (!info.ok()) return ErrorReply(info.status());
  if (auto refusal = RefuseToken(*info, Now())) return ErrorReply(404, refusal->code, refusal->message, "token");
  return JsonReply(200, DumpJson({{"role", RoleName(info->role)}, {"school_id", info->school_id}}));
}

Reply CatalogApi::Page(const Call& call) { return pages_.Handle(call.req); }

}  // namespace lm::catalog
