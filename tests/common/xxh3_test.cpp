#include "common/xxh3.h"

#include <gtest/gtest.h>

#include <string>

namespace lm {
namespace {

TEST(Xxh3Test, KnownVectors) {
  // Reference values of XXH3-128 with seed 0 (xxhsum -H2).
  EXPECT_EQ(Xxh3Of("").Hex(), "99aa06d3014798d86001c324468d497f");
}

TEST(Xxh3Test, StreamingEqualsOneShot) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data += static_cast<char>(i * 31 + (i >> 7));
  Xxh3Hasher h;
  size_t pos = 0;
  for (size_t step : {1u, 7u, 64u, 1000u, 4096u}) {
    h.Update(data.data() + pos, step);
    pos += step;
  }
  h.Update(data.data() + pos, data.size() - pos);
  EXPECT_EQ(h.Digest(), Xxh3Of(data));
  EXPECT_NE(Xxh3Of(data).Hex(), Xxh3Of(data.substr(1)).Hex());
  EXPECT_EQ(h.Digest().Hex().size(), 32u);
}

}  // namespace
}  // namespace lm
