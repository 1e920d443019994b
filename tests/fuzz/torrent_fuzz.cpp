// Torrents as an edge receives them, from the catalog or a USB drive (bundle::ParseTorrent: what
// it checks against the info hashes the signed manifest names before the torrent goes to
// libtorrent), and the origin's v1-only twin of a torrent (bundle::V1OnlyTorrent). Any bytes are
// refused as kInvalidArgument or give a torrent with at least one info hash, each lower-case hex of
// its length, that parses again to the same hashes from the bytes kept. Only a torrent with a v1
// part has a twin, and the twin is a torrent with a v1 hash and no v2 one; a torrent that has none
// (a hybrid whose parts disagree, a v1 part libtorrent cannot read alone) is bad input, never an
// internal error.

#include <string>

#include "bundle/torrent_file.h"
#include "bundle/v1_torrent.h"
#include "common/text_checks.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string bytes(lm::fuzz::Text(data, size));
  auto torrent = lm::bundle::ParseTorrent(bytes);
  if (!torrent.ok()) {
    FUZZ_CHECK(torrent.status().code() == lm::StatusCode::kInvalidArgument, "a bad torrent is kInvalidArgument");
    FUZZ_CHECK(!lm::bundle::V1OnlyTorrent(bytes).ok(), "what is not a torrent has no twin");
    return 0;
  }
  const auto& t = *torrent;
  FUZZ_CHECK(!t.info_hash_v1.empty() || !t.info_hash_v2.empty(), "a torrent has an info hash");
  FUZZ_CHECK(t.info_hash_v1.empty() || lm::IsLowerHex(t.info_hash_v1, 40), "a v1 hash is 40 hex digits");
  FUZZ_CHECK(t.info_hash_v2.empty() || lm::IsLowerHex(t.info_hash_v2, 64), "a v2 hash is 64 hex digits");
  FUZZ_CHECK(t.bytes == bytes, "the bytes kept are the bytes received");
  auto again = lm::bundle::ParseTorrent(t.bytes);
  FUZZ_CHECK(again.ok() && again->info_hash_v1 == t.info_hash_v1 && again->info_hash_v2 == t.info_hash_v2,
             "the bytes kept parse to the same hashes");

  auto twin = lm::bundle::V1OnlyTorrent(bytes);
  if (lm::fuzz::Tracing()) {
    std::fprintf(stderr, "v1 %s v2 %s twin %s\n", t.info_hash_v1.c_str(), t.info_hash_v2.c_str(),
                 twin.ok() ? "ok" : twin.status().ToString().c_str());
  }
  FUZZ_CHECK(twin.ok() || twin.status().code() == lm::StatusCode::kInvalidArgument, "a torrent without a twin is bad input");
  FUZZ_CHECK(!twin.ok() || !t.info_hash_v1.empty(), "only a torrent with a v1 part has a twin");
  if (twin.ok()) {
    auto parsed_twin = lm::bundle::ParseTorrent(*twin);
    FUZZ_CHECK(parsed_twin.ok() && !parsed_twin->info_hash_v1.empty() && parsed_twin->info_hash_v2.empty(),
               "the twin is a v1-only torrent");
  }
  return 0;
}
