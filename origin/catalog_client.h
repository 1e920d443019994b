#pragma once
// The origin's calls to the catalog: whose token an uploader presented, and registering a finished
// bundle (its lesson.json and lesson.torrent) so that admins can put it in resource packs.
// Blocking; one HTTP request per call. Thread-safe.

#include <filesystem>
#include <string>

#include "common/status.h"

namespace lm::origin {

struct TokenOwner {
  std::string role;       // "teacher", "admin", ...
  std::string school_id;  // the school a teacher belongs to
};

class CatalogClient {
 public:
  // `base_url`: "http://host:port" or "https://..."; `origin_token`: a catalog token with role
  // origin; `ca_file`: the CAs to trust for https ("" = the system's).
  CatalogClient(std::string base_url, std::string origin_token, int timeout_ms = 10000, std::string ca_file = {});

  // Whose token a caller presented (POST /v1/whois, with the origin's own token). kNotFound: the
  // catalog does not know the token, or it was revoked or has expired (the message says which);
  // kIo: the catalog cannot be reached, or refused the origin's own token.
  Result<TokenOwner> WhoIs(const std::string& bearer_token) const;

  // Registers the bundle in `bundle_dir`. kIo when the catalog cannot be reached or failed (5xx):
  // try again later; kInvalidArgument when it refused the bundle (4xx), with its reason.
  Status RegisterLesson(const std::filesystem::path& bundle_dir, const std::string& school_id) const;

 private:
  std::string base_url_;
  std::string origin_token_;
  std::string ca_file_;
  int timeout_ms_;
};

}  // namespace lm::origin
