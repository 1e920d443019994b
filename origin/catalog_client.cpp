#include "origin/catalog_client.h"

#include <nlohmann/json.hpp>

#include "bundle/lesson_manifest.h"
#include "bundle/torrent_file.h"
#include "common/http/http_client.h"
#include "common/read_file.h"
#include "common/base64.h"

namespace lm::origin {

using nlohmann::json;

CatalogClient::CatalogClient(std::string base_url, std::string origin_token, int timeout_ms, std::string ca_file)
    : base_url_(std::move(base_url)),
      origin_token_(std::move(origin_token)),
      ca_file_(std::move(ca_file)),
      timeout_ms_(timeout_ms) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<TokenOwner> CatalogClient::WhoIs(const std::string& bearer_token) const {
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_url_ + "/v1/whois";
  req.headers["Authorization"] = "Bearer " + origin_token_;
  req.headers["Content-Type"] = "application/json";
  req.body = json{{"token", bearer_token}}.dump(-1, ' ', false, json::error_handler_t::replace);
  req.timeout_ms = timeout_ms_;
  req.ca_file = ca_file_;
  ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
  if (reply.status == 404 || reply.status == 400) return Status(StatusCode::kNotFound, http::ReasonOf(reply));
  if (reply.status != 200) return IoError("catalog whois: " + http::ReasonOf(reply));
  auto j = json::parse(reply.body, nullptr, false);
  if (!j.is_object() || !j.contains("role") || !j["role"].is_string()) {
    return IoError("catalog whois: unexpected reply");
  }
  return TokenOwner{j["role"].get<std::string>(), j.value("school_id", std::string())};
}

Status CatalogClient::RegisterLesson(const std::filesystem::path& bundle_dir, const std::string& school_id) const {
  ASSIGN_OR_RETURN(std::string manifest_text, ReadFileBytes(bundle_dir / bundle::kLessonManifestFile));
  auto manifest = bundle::ParseLessonManifest(manifest_text);
  if (!manifest.ok()) return manifest.status().WithContext((bundle_dir / bundle::kLessonManifestFile).string());
  ASSIGN_OR_RETURN(bundle::TorrentFile torrent, bundle::ReadTorrentFile(bundle_dir / bundle::kLessonTorrentFile));

  json body = {{"manifest", json::parse(manifest_text)},
               {"torrent_base64", Base64Encode(torrent.bytes)},
               {"info_hash_v1", torrent.info_hash_v1},
               {"info_hash_v2", torrent.info_hash_v2}};
  if (!school_id.empty()) body["school_id"] = school_id;
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_url_ + "/v1/lessons";
  req.headers["Authorization"] = "Bearer " + origin_token_;
  req.headers["Content-Type"] = "application/json";
  req.body = body.dump();
  req.timeout_ms = timeout_ms_;
  req.ca_file = ca_file_;
  ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
  if (reply.status == 200 || reply.status == 201) return Status::Ok();
  if (reply.status >= 400 && reply.status < 500) {
    return InvalidArgument("the catalog refused lesson " + manifest->id + ": " + http::ReasonOf(reply));
  }
  return IoError("catalog registration: " + http::ReasonOf(reply));
}

}  // namespace lm::origin
