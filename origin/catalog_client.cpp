#include "origin/catalog_client.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

#include "common/http/http_client.h"
#include "common/signing.h"
#include "transcoder/detail/torrent_maker.h"

namespace lm::origin {

using nlohmann::json;

namespace {

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The catalog's JSON error message, or the status line.
std::string ReasonOf(const http::ClientReply& reply) {
  auto j = json::parse(reply.body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_string()) return j["error"].get<std::string>();
  return "HTTP " + std::to_string(reply.status);
}

}  // namespace

CatalogClient::CatalogClient(std::string base_url, std::string origin_token, int timeout_ms)
    : base_url_(std::move(base_url)), origin_token_(std::move(origin_token)), timeout_ms_(timeout_ms) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
}

Result<TokenOwner> CatalogClient::WhoIs(const std::string& bearer_token) const {
  http::ClientRequest req;
  req.url = base_url_ + "/v1/whoami";
  req.headers["Authorization"] = "Bearer " + bearer_token;
  req.timeout_ms = timeout_ms_;
  ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
  if (reply.status == 401) return Status(StatusCode::kNotFound, "the catalog does not know this token");
  if (reply.status != 200) return IoError("catalog whoami: " + ReasonOf(reply));
  auto j = json::parse(reply.body, nullptr, false);
  if (!j.is_object() || !j.contains("role") || !j["role"].is_string()) {
    return IoError("catalog whoami: unexpected reply");
  }
  return TokenOwner{j["role"].get<std::string>(), j.value("school_id", std::string())};
}

Status CatalogClient::RegisterLesson(const std::filesystem::path& bundle_dir, const std::string& school_id) const {
  ASSIGN_OR_RETURN(std::string manifest_text, ReadWholeFile(bundle_dir / "lesson.json"));
  auto manifest = json::parse(manifest_text, nullptr, false);
  if (!manifest.is_object()) return IoError("unreadable " + (bundle_dir / "lesson.json").string());
  ASSIGN_OR_RETURN(std::string torrent, ReadWholeFile(bundle_dir / "lesson.torrent"));
  ASSIGN_OR_RETURN(auto hashes, transcoder::ReadTorrentFile((bundle_dir / "lesson.torrent").string()));

  json body = {{"manifest", manifest},
               {"torrent_base64", Base64Encode(torrent)},
               {"info_hash_v1", hashes.info_hash_v1},
               {"info_hash_v2", hashes.info_hash_v2}};
  if (!school_id.empty()) body["school_id"] = school_id;
  http::ClientRequest req;
  req.method = "POST";
  req.url = base_url_ + "/v1/lessons";
  req.headers["Authorization"] = "Bearer " + origin_token_;
  req.headers["Content-Type"] = "application/json";
  req.body = body.dump();
  req.timeout_ms = timeout_ms_;
  ASSIGN_OR_RETURN(http::ClientReply reply, http::Fetch(req));
  if (reply.status == 200 || reply.status == 201) return Status::Ok();
  if (reply.status >= 400 && reply.status < 500) {
    return InvalidArgument("the catalog refused lesson " + manifest.value("id", std::string()) + ": " + ReasonOf(reply));
  }
  return IoError("catalog registration: " + ReasonOf(reply));
}

}  // namespace lm::origin
