#include "origin/uploader_auth.h"

#include <openssl/sha.h>

#include "common/hex.h"

namespace lm::origin {

namespace {
constexpr std::size_t kMaxCached = 10000;
constexpr auto kUnknownTtl = std::chrono::seconds(10);  // a new token works within seconds

std::string Fingerprint(const std::string& token) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), digest);
  return HexEncode(digest, 8);
}
}  // namespace

UploaderAuth::UploaderAuth(WhoIs who_is, std::chrono::seconds ttl, Clock clock)
    : who_is_(std::move(who_is)), ttl_(ttl), clock_(std::move(clock)) {}

Result<std::string> UploaderAuth::Authenticate(const std::string& bearer_token) {
  ASSIGN_OR_RETURN(Uploader who, Identify(bearer_token));
  return who.id;
}

Result<UploaderAuth::Uploader> UploaderAuth::Identify(const std::string& bearer_token) {
  if (bearer_token.empty()) return Status(StatusCode::kNotFound, "a teacher's bearer token is required");
  const std::string fingerprint = Fingerprint(bearer_token);
  const auto now = clock_ ? clock_() : std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(fingerprint);
    if (it != cache_.end() && it->second.expires > now) return it->second.answer;
  }
  auto owner = who_is_(bearer_token);
  Result<Uploader> answer = Status(StatusCode::kNotFound, "unknown token");
  auto ttl = std::chrono::duration_cast<std::chrono::steady_clock::duration>(ttl_);
  if (owner.ok()) {
    if (owner->role == "teacher" || owner->role == "admin") {
      answer = Uploader{owner->school_id + "/" + fingerprint, owner->role};
    } else {
      answer = InvalidArgument("only teachers upload lessons; this token's role is " + owner->role, "token");
    }
  } else if (owner.status().code() == StatusCode::kNotFound) {
    ttl = kUnknownTtl;
  } else {
    // The catalog is unreachable: a token seen before keeps working (the entry is only stale).
    std::lock_guard lock(mu_);
    auto it = cache_.find(fingerprint);
    if (it != cache_.end() && it->second.answer.ok()) return it->second.answer;
    return owner.status();
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= kMaxCached) cache_.clear();
  cache_.insert_or_assign(fingerprint, Entry{answer, now + ttl});
  return answer;
}

std::string UploaderAuth::SchoolOf(const std::string& uploader) {
  const size_t slash = uploader.rfind('/');
  return slash == std::string::npos ? std::string() : uploader.substr(0, slash);
}

}  // namespace lm::origin
