#include "catalog/auth.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace lm::catalog {

namespace {
std::string Hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    s += kHex[p[i] >> 4];
    s += kHex[p[i] & 15];
  }
  return s;
}
}  // namespace

Result<std::string> NewToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) return Internal("RAND_bytes failed");
  return Hex(bytes, sizeof(bytes));
}

std::string TokenHash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(token.data(), token.size(), digest, &len, EVP_sha256(), nullptr);
  return Hex(digest, len);
}

std::string BearerToken(std::string_view h) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size() || h.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string_view t = h.substr(kPrefix.size());
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty() || t.size() > 512) return "";
  return std::string(t);
}

}  // namespace lm::catalog
