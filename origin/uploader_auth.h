#pragma once
// Decides who may upload: a bearer token the catalog knows with role teacher (or admin). Answers
// are cached for a few minutes so that a teacher's many PATCH requests cost the catalog one call,
// and a catalog that is briefly down does not stop uploads already under way. Thread-safe.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "common/status.h"
#include "origin/catalog_client.h"

namespace lm::origin {

class UploaderAuth {
 public:
  using WhoIs = std::function<Result<TokenOwner>(const std::string& bearer_token)>;
  explicit UploaderAuth(WhoIs who_is, std::chrono::seconds ttl = std::chrono::minutes(5));

  // The uploader's identity, "<school id>/<token fingerprint>" (the token itself is never kept).
  // kNotFound: unknown token (HTTP 401); kInvalidArgument: not a teacher (403); kIo: the catalog
  // cannot be reached and the token is not in the cache (503).
  Result<std::string> Authenticate(const std::string& bearer_token);

  // The school part of an identity made by Authenticate.
  static std::string SchoolOf(const std::string& uploader);

 private:
  struct Entry {
    Result<std::string> answer;
    std::chrono::steady_clock::time_point expires;
  };
  WhoIs who_is_;
  std::chrono::seconds ttl_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by token fingerprint
};

}  // namespace lm::origin
