#pragma once
// Decides who may upload: a bearer token the catalog knows with role teacher (or admin). Answers
// are cached so that a teacher's many PATCH requests cost the catalog one call per 30 s: a token
// revoked at the catalog stops working here within those 30 s. Unknown tokens are remembered for
// 10 s. While the catalog cannot be reached, a token it accepted before keeps working (the entry is
// only stale), so that a catalog briefly down does not stop uploads under way; a token never seen
// gets 503. Thread-safe.

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
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // How long an accepted token is trusted without asking the catalog again: the most a revoked
  // token keeps working here.
  static constexpr std::chrono::seconds kPositiveTtl{30};

  // `clock`: null = steady_clock (tests move it).
  explicit UploaderAuth(WhoIs who_is, std::chrono::seconds ttl = kPositiveTtl, Clock clock = nullptr);

  // The uploader's identity, "<school id>/<token fingerprint>" (the token itself is never kept).
  // kNotFound: unknown token (HTTP 401); kInvalidArgument: not a teacher (403); kIo: the catalog
  // cannot be reached and the token is not in the cache (503).
  Result<std::string> Authenticate(const std::string& bearer_token);

  // Authenticate's identity and the token's role ("teacher" or "admin").
  struct Uploader {
    std::string id;
    std::string role;
  };
  Result<Uploader> Identify(const std::string& bearer_token);

  // The school part of an identity made by Authenticate.
  static std::string SchoolOf(const std::string& uploader);

 private:
  struct Entry {
    Result<Uploader> answer;
    std::chrono::steady_clock::time_point expires;
  };
  WhoIs who_is_;
  std::chrono::seconds ttl_;
  Clock clock_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by token fingerprint
};

}  // namespace lm::origin
