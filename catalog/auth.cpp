#include "catalog/auth.h"

#include "common/hex.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

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

Result<std::string> IssueToken(CatalogStore& store, Role role, const std::string& school, const std::string& label) {
  ASSIGN_OR_RETURN(std::string token, NewToken());
  RETURN_IF_ERROR(store.PutToken(TokenHash(token), {role, school}, label));
  return token;
}

}  // namespace lm::catalog
