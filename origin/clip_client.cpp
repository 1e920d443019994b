#include "origin/clip_client.h"

#include <nlohmann/json.hpp>

#include "common/http/http_client.h"

namespace lm::origin {

using nlohmann::json;

Result<std::vector<ClipMade>> RequestClips(const ClipRequest& r) {
  json clips = json::array();
  for (const auto& range : r.ranges) {
    json c = {{"at", range.at}};
    if (!range.title.empty()) c["title"] = range.title;
    clips.push_back(std::move(c));
  }
  http::ClientRequest req;
  req.method = "POST";
  req.url = r.origin_url + "/v1/lessons/" + r.lesson_id + "/clips";
  req.headers = {{"Authorization", "Bearer " + r.token}, {"Content-Type", "application/json"}};
  req.body = json{{"clips", clips}}.dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout_ms = r.timeout_ms;
  ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
  const json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  const std::string message = body.is_object() && body.contains("error") && body["error"].is_string()
                                  ? body["error"].get<std::string>()
                                  : "HTTP " + std::to_string(reply.status);
  switch (reply.status) {
    case 201: break;
    case 400: return InvalidArgument(message, body.is_object() ? body.value("field", "") : "");
    case 401:
    case 403: return InvalidArgument("the origin refused the token: " + message, "token");
    case 404: return Status(StatusCode::kNotFound, message);
    default: return IoError("the origin failed: " + message);
  }
  if (!body.is_object() || !body.contains("clips") || !body["clips"].is_array()) {
    return IoError("unexpected reply from the origin");
  }
  std::vector<ClipMade> out;
  for (const json& c : body["clips"]) {
    if (!c.is_object()) return IoError("unexpected reply from the origin");
    out.push_back({c.value("lesson_id", ""), c.value("start_s", 0.0), c.value("end_s", 0.0),
                   c.value("segments_copied", 0), c.value("segments_reencoded", 0)});
  }
  return out;
}

}  // namespace lm::origin
