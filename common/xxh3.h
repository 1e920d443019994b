#pragma once
// Streaming XXH3-128, the content hash of every bundle file and of uploads.
// One hasher per stream; not thread-safe.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace lm {

// 16 bytes, printed as 32 lower-case hex digits (big-endian canonical form).
struct Xxh3Digest {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
  std::string Hex() const;
  bool operator==(const Xxh3Digest&) const = default;
};

class Xxh3Hasher {
 public:
  Xxh3Hasher();
  ~Xxh3Hasher();
  Xxh3Hasher(const Xxh3Hasher&) = delete;
  Xxh3Hasher& operator=(const Xxh3Hasher&) = delete;

  void Update(const void* data, std::size_t size);
  void Update(std::string_view s) { Update(s.data(), s.size()); }
  Xxh3Digest Digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

Xxh3Digest Xxh3Of(std::string_view bytes);

}  // namespace lm
