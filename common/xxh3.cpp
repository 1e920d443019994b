#include "common/xxh3.h"

#include "common/hex.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#include <cstdio>

namespace lm {

struct Xxh3Hasher::State {
  XXH3_state_t s;
};

std::string Xxh3Digest::Hex() const {
  XXH128_hash_t h{low, high};
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, h);
  return HexEncode(c.digest, sizeof(c.digest));
}

Xxh3Hasher::Xxh3Hasher() : state_(std::make_unique<State>()) { XXH3_128bits_reset(&state_->s); }
Xxh3Hasher::~Xxh3Hasher() = default;

void Xxh3Hasher::Update(const void* data, std::size_t size) { XXH3_128bits_update(&state_->s, data, size); }

Xxh3Digest Xxh3Hasher::Digest() const {
  XXH128_hash_t h = XXH3_128bits_digest(&state_->s);
  return {h.high64, h.low64};
}

Xxh3Digest Xxh3Of(std::string_view bytes) {
  XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  return {h.high64, h.low64};
}

}  // namespace lm
