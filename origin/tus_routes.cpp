#include "origin/tus_routes.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "common/http/bearer.h"
#include "common/text_checks.h"
#include "common/tus_headers.h"

namespace lm::origin {

using http::Reply;
using http::Request;

namespace {
constexpr char kTusVersion[] = "1.0.0";

// An HTTP date (RFC 7231 IMF-fixdate), "Sun, 06 Nov 1994 08:49:37 GMT", whatever the locale.
std::string HttpDate(std::int64_t unix_seconds) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

}  // namespace

TusRoutes::TusRoutes(UploadStore& store, TusOptions options, Authenticate authenticate, OnComplete on_complete,
                     std::function<std::int64_t()> now)
    : store_(store),
      options_(std::move(options)),
      authenticate_(std::move(authenticate)),
      on_complete_(std::move(on_complete)),
      now_(std::move(now)) {}

bool TusRoutes::Owns(const std::string& path) const {
  return path == options_.base_path || path.rfind(options_.base_path + "/", 0) == 0;
}

void TusRoutes::AddCommonHeaders(Reply& reply) const {
  reply.headers.push_back({"Tus-Resumable", kTusVersion});
  reply.headers.push_back({"Cache-Control", "no-store"});
}

void TusRoutes::AddExpires(Reply& reply, const UploadInfo& info) const {
  // tus expiration: an unfinished upload is removed this long after its last byte arrived.
  if (!info.complete()) {
    reply.headers.push_back({"Upload-Expires", HttpDate(info.updated_at + options_.expire_after_seconds)});
  }
}

Reply TusRoutes::Error(int status, std::string_view code, const std::string& message, std::string_view field) const {
  Reply r = http::ErrorReply(status, code, message, field);
  AddCommonHeaders(r);
  return r;
}

Reply TusRoutes::Options() const {
  Reply r;
  r.status = 204;
  r.content_type = "text/plain";
  AddCommonHeaders(r);
  r.headers.push_back({"Tus-Version", kTusVersion});
  r.headers.push_back({"Tus-Extension", "creation,checksum,termination,expiration"});
  r.headers.push_back({"Tus-Max-Size", std::to_string(store_.max_bytes())});
  r.headers.push_back({"Tus-Checksum-Algorithm", "sha1"});
  return r;
}

TusRoutes::OrReply<std::string> TusRoutes::Authorize(const Request& req) {
  if (req.Header("tus-resumable") != kTusVersion) {
    Reply r = Error(412, "precondition_failed", "Tus-Resumable: 1.0.0 is required", "Tus-Resumable");
    r.headers.push_back({"Tus-Version", kTusVersion});
    return r;
  }
  constexpr char kTeacherRequired[] = "a teacher's bearer token is required";
  const std::string token = http::BearerToken(req);
  if (token.empty()) return Error(401, "unauthenticated", kTeacherRequired);
  auto who = authenticate_(token);
  if (!who.ok()) {
    Reply r = http::AuthFailureReply(who.status(), kTeacherRequired);
    AddCommonHeaders(r);
    return r;
  }
  // Expiration: abandoned uploads are swept when the service is used, at most once a minute (the
  // sweep reads every upload's record).
  const std::int64_t now = now_();
  std::int64_t last = last_expiry_.load();
  if (now - last >= 60 && last_expiry_.compare_exchange_strong(last, now)) {
    (void)store_.ExpireIdleSince(now - options_.expire_after_seconds);
  }
  return std::move(*who);
}

TusRoutes::OrReply<UploadInfo> TusRoutes::FindUpload(const Request& req, const std::string& who) {
  const std::string id = req.path.substr(std::min(req.path.size(), options_.base_path.size() + 1));
  if (!IsLowerHex(id, 32)) return Error(404, "not_found", "no such upload");
  auto info = store_.Get(id);
  if (!info.ok()) return Error(404, "not_found", "no such upload");
  if (info->owner != who) return Error(403, "forbidden", "this upload belongs to someone else");
  return std::move(*info);
}

Reply TusRoutes::Handle(const Request& req) {
  if (req.method == "OPTIONS") return Options();
  auto who = Authorize(req);
  if (auto* r = std::get_if<Reply>(&who)) return std::move(*r);
  if (req.path == options_.base_path || req.path == options_.base_path + "/") {
    if (req.method != "POST") return Error(405, "method_not_allowed", "POST creates an upload");
    return Create(req, std::get<std::string>(who));
  }
  auto info = FindUpload(req, std::get<std::string>(who));
  if (auto* r = std::get_if<Reply>(&info)) return std::move(*r);
  const std::string& id = std::get<UploadInfo>(info).id;
  if (req.method == "HEAD") return Head(id);
  if (req.method == "PATCH") return Patch(req, id);
  if (req.method == "DELETE") {
    Status st = store_.Terminate(id);
    if (st.field() == "lock") return Error(423, "locked", st.message());
    if (st.field() == "finished") return Error(409, "conflict", st.message());
    if (!st.ok()) return Error(500, "internal", st.message());
    Reply r;
    r.status = 204;
    AddCommonHeaders(r);
    return r;
  }
  return Error(405, "method_not_allowed", "HEAD, PATCH or DELETE");
}

std::optional<http::StreamOrReply> TusRoutes::Stream(const Request& head) {
  if (head.method != "PATCH" || !Owns(head.path)) return std::nullopt;
  auto who = Authorize(head);
  if (auto* r = std::get_if<Reply>(&who)) return std::move(*r);
  if (head.path == options_.base_path || head.path == options_.base_path + "/") {
    return Error(405, "method_not_allowed", "POST creates an upload");
  }
  auto info = FindUpload(head, std::get<std::string>(who));
  if (auto* r = std::get_if<Reply>(&info)) return std::move(*r);
  auto patch = ParsePatch(head);
  if (auto* r = std::get_if<Reply>(&patch)) return std::move(*r);
  auto& [offset, checksum] = std::get<PatchHeaders>(patch);
  auto appender = store_.BeginAppend(std::get<UploadInfo>(info).id, offset, checksum);
  if (!appender.ok()) return PatchError(appender.status());
  // A body that is known to go past the end is refused before a byte of it is written.
  if (const auto body_bytes = ParseTusLength(head.Header("content-length"));
      body_bytes && *body_bytes > (*appender)->info().length - (*appender)->info().offset) {
    return PatchError(InvalidArgument("the body goes past Upload-Length", "body"));
  }
  // Both callbacks share the appender; on_end ends it (the server never calls them at once).
  auto shared = std::make_shared<std::unique_ptr<UploadAppender>>(std::move(*appender));
  http::BodyStream stream;
  stream.on_data = [shared](std::string_view piece) { return (*shared)->Write(piece); };
  stream.on_end = [this, shared, from = offset](const Status& outcome) -> Reply {
    const std::unique_ptr<UploadAppender> appender = std::move(*shared);
    if (outcome.ok()) {
      auto done = appender->Finish(now_());
      return done.ok() ? Patched(*done, from) : PatchError(done.status());
    }
    // Cut short: keep what arrived (nothing if a Write already failed; it dropped its bytes).
    (void)appender->Interrupt(now_());
    return PatchError(outcome);
  };
  return stream;
}

Reply TusRoutes::Create(const Request& req, const std::string& owner) {
  const auto length = ParseTusLength(req.Header("upload-length"));
  if (!length) return Error(400, "invalid_argument", "Upload-Length must be the size in bytes", "Upload-Length");
  if (*length > store_.max_bytes()) {
    return Error(413, "too_large", "the upload is larger than " + std::to_string(store_.max_bytes()) + " bytes",
                 "Upload-Length");
  }
  auto metadata = ParseUploadMetadata(req.Header("upload-metadata"));
  if (!metadata.ok()) return Error(400, "invalid_argument", metadata.status().message(), "Upload-Metadata");
  if (options_.check_metadata) {
    if (Status st = options_.check_metadata(*metadata); !st.ok()) {
      return Error(400, "invalid_argument", st.message(), st.field().empty() ? "Upload-Metadata" : st.field());
    }
  }
  auto info = store_.Create(*length, *metadata, owner, now_());
  if (!info.ok()) return Error(400, "invalid_argument", info.status().message(), info.status().field());
  Reply r;
  r.status = 201;
  AddCommonHeaders(r);
  r.headers.push_back({"Location", options_.base_path + "/" + info->id});
  r.headers.push_back({"Upload-Offset", "0"});
  AddExpires(r, *info);
  if (info->complete() && on_complete_) on_complete_(*info);  // an empty file is finished at once
  return r;
}

Reply TusRoutes::Head(const std::string& id) {
  auto info = store_.Get(id);
  if (!info.ok()) return Error(404, "not_found", "no such upload");
  Reply r;
  r.status = 200;
  r.content_type = "text/plain";
  AddCommonHeaders(r);
  r.headers.push_back({"Upload-Offset", std::to_string(info->offset)});
  r.headers.push_back({"Upload-Length", std::to_string(info->length)});
  if (!info->metadata.empty()) r.headers.push_back({"Upload-Metadata", EncodeUploadMetadata(info->metadata)});
  AddExpires(r, *info);
  return r;
}

TusRoutes::OrReply<TusRoutes::PatchHeaders> TusRoutes::ParsePatch(const Request& req) const {
  if (req.Header("content-type") != "application/offset+octet-stream") {
    return Error(415, "unsupported_media_type", "Content-Type must be application/offset+octet-stream",
                 "Content-Type");
  }
  PatchHeaders patch;
  const auto offset = ParseTusLength(req.Header("upload-offset"));
  if (!offset) return Error(400, "invalid_argument", "Upload-Offset must be a byte offset", "Upload-Offset");
  patch.offset = *offset;
  if (const std::string h = req.Header("upload-checksum"); !h.empty()) {
    auto c = ParseUploadChecksum(h);
    if (!c.ok()) return Error(400, "invalid_argument", c.status().message(), "Upload-Checksum");
    patch.checksum = *c;
  }
  return patch;
}

Reply TusRoutes::Patch(const Request& req, const std::string& id) {
  auto patch = ParsePatch(req);
  if (auto* r = std::get_if<Reply>(&patch)) return std::move(*r);
  const auto& [offset, checksum] = std::get<PatchHeaders>(patch);
  auto info = store_.Append(id, offset, req.body, checksum, now_());
  return info.ok() ? Patched(*info, offset) : PatchError(info.status());
}

Reply TusRoutes::PatchError(const Status& st) const {
  if (st.field() == "lock") return Error(423, "locked", st.message());
  if (st.code() == StatusCode::kAlreadyExists) return Error(409, "conflict", st.message(), "Upload-Offset");
  if (st.field() == "checksum") return Error(460, "checksum_mismatch", st.message(), "Upload-Checksum");
  if (st.code() == StatusCode::kInvalidArgument) return Error(413, "too_large", st.message(), "body");
  if (st.code() == StatusCode::kNotFound) return Error(404, "not_found", "no such upload");
  if (st.code() == StatusCode::kCancelled) return Error(400, "incomplete", st.message(), "body");
  return Error(500, "internal", st.message());
}

Reply TusRoutes::Patched(const UploadInfo& info, std::int64_t from) {
  Reply r;
  r.status = 204;
  AddCommonHeaders(r);
  r.headers.push_back({"Upload-Offset", std::to_string(info.offset)});
  AddExpires(r, info);
  // An empty PATCH at the end of a finished upload (a client retrying its last request) is
  // answered the same, but the upload was finished, and its job made, once.
  if (info.complete() && from < info.length && on_complete_) on_complete_(info);
  return r;
}

}  // namespace lm::origin
