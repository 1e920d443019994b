#include "common/base64.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <algorithm>

namespace lm {

namespace {

const unsigned char* Bytes(std::string_view s) {
  // OpenSSL wants a valid pointer even for zero bytes; a default string_view has none.
  static const unsigned char kEmpty = 0;
  return s.data() == nullptr ? &kEmpty : reinterpret_cast<const unsigned char*>(s.data());
}

// Value of a base64 alphabet character (RFC 4648 section 4), or -1.
int Base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  // EVP_EncodeBlock takes an int length: encode in chunks of whole 3-byte groups.
  constexpr size_t kChunkBytes = 3 * 1024 * 1024;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  while (!bytes.empty()) {
    const size_t n = std::min(bytes.size(), kChunkBytes);
    const size_t pos = out.size();
    out.resize(pos + (n + 2) / 3 * 4 + 1);  // + NUL that EVP_EncodeBlock appends
    const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + pos), Bytes(bytes),
                                        static_cast<int>(n));
    out.resize(pos + static_cast<size_t>(written));
    bytes.remove_prefix(n);
  }
  return out;
}

Result<std::string> Base64Decode(std::string_view text) {
  // Strict RFC 4648: standard alphabet, padded to whole quads, no whitespace, and the bits that
  // padding drops are zero, so each byte string has exactly one accepted encoding.
  if (text.size() % 4 != 0) {
    return InvalidArgument("base64 length " + std::to_string(text.size()) + " is not a multiple of 4");
  }
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view body = text.substr(0, text.size() - padding);
  for (size_t i = 0; i < body.size(); ++i) {
    if (Base64Value(body[i]) < 0) return InvalidArgument("invalid base64 character at offset " + std::to_string(i));
  }
  if (padding > 0) {
    const int last = Base64Value(body.back());
    const int unused_bits_mask = padding == 1 ? 0x03 : 0x0f;
    if ((last & unused_bits_mask) != 0) return InvalidArgument("non-canonical base64 padding bits");
  }

  // EVP_DecodeBlock takes an int length and returns 3 bytes per quad, padding included: decode in
  // chunks of whole quads and drop the padding's bytes at the end.
  constexpr size_t kChunkChars = 4 * 1024 * 1024;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  while (!text.empty()) {
    const size_t n = std::min(text.size(), kChunkChars);
    const size_t pos = out.size();
    out.resize(pos + n / 4 * 3);
    const int written =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data() + pos), Bytes(text), static_cast<int>(n));
    if (written < 0 || static_cast<size_t>(written) != n / 4 * 3) {
      ERR_clear_error();
      return InvalidArgument("invalid base64");
    }
    text.remove_prefix(n);
  }
  out.resize(out.size() - padding);
  return out;
}

}  // namespace lm
