#include "catalog/auth.h"

#include "common/hex.h"
#include "common/text_checks.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <ctime>

namespace lm::catalog {

Result<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Internal("RAND_bytes failed");
  return HexEncode(bytes, sizeof(bytes));
}

std::string TokenHash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(digest, len);
}

Result<IssuedToken> IssueToken(CatalogStore& store, TokenInfo info, std::int64_t now) {
  ASSIGN_OR_RETURN(std::string token, NewToken());
  info.prefix = token.substr(0, kTokenPrefixChars);
  info.created_at = now;
  info.revoked_at = 0;
  ASSIGN_OR_RETURN(info.id, store.PutToken(TokenHash(token), info));
  return IssuedToken{std::move(token), std::move(info)};
}

std::optional<TokenRefusal> RefuseToken(const TokenInfo& token, std::int64_t now) {
  if (token.revoked_at != 0) {
    return TokenRefusal{"token_revoked", "this token was revoked at " + UtcTime(token.revoked_at)};
  }
  if (token.expires_at != 0 && token.expires_at <= now) {
    return TokenRefusal{"token_expired", "this token expired at " + UtcTime(token.expires_at)};
  }
  return std::nullopt;
}

Result<std::int64_t> ParseExpiry(std::string_view text, std::int64_t now) {
  const auto bad = [&] {
    return InvalidArgument("expires must be a number of days or hours (90d, 12h) or a date YYYY-MM-DD, not '" +
                               std::string(text) + "'",
                           "expires");
  };
  std::int64_t at = 0;
  if (text.size() >= 2 && (text.back() == 'd' || text.back() == 'h') &&
      IsDecimal(text.substr(0, text.size() - 1), 6, /*positive=*/true)) {
    const std::int64_t n = std::stoll(std::string(text.substr(0, text.size() - 1)));
    at = now + n * (text.back() == 'd' ? 86400 : 3600);
  } else if (text.size() == 10 && text[4] == '-' && text[7] == '-' && IsDecimal(text.substr(0, 4), 4) &&
             IsDecimal(text.substr(5, 2), 2) && IsDecimal(text.substr(8, 2), 2)) {
    std::tm tm{};
    tm.tm_year = std::stoi(std::string(text.substr(0, 4))) - 1900;
    tm.tm_mon = std::stoi(std::string(text.substr(5, 2))) - 1;
    tm.tm_mday = std::stoi(std::string(text.substr(8, 2)));
    if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31) return bad();
    at = static_cast<std::int64_t>(timegm(&tm));
    if (UtcTime(at).substr(0, 10) != text) return bad();  // 2027-02-30 is no date
  } else {
    return bad();
  }
  if (at <= now) return InvalidArgument("expires must be in the future", "expires");
  return at;
}

std::string UtcTime(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace lm::catalog
