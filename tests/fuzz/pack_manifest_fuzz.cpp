// Signed pack manifests as an edge receives them from the catalog's feed or a USB drive
// (bundle::ParsePackManifest, bundle::VerifyPackManifest), under a fixed test key. The input is
//   manifest bytes
//   --
//   base64 signature
//   --
//   school id, then community ids, one a line
// Properties: a manifest that parses has well-formed ids, hashes, dates and safe file paths, sizes
// that add up without overflow, and its canonical bytes parse back to themselves. Verify accepts only the test key's signature of
// exactly these bytes (Ed25519 signatures are deterministic: the one accepted signature is the
// one the key makes), never another key's, never for changed bytes, and only for a manifest that
// targets the school or one of its communities; with the test key's own signature it accepts
// exactly those.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "bundle/pack_manifest.h"
#include "common/signing.h"
#include "common/text_checks.h"
#include "tests/fuzz/fuzz_check.h"

namespace fs = std::filesystem;
using lm::bundle::PackAudience;
using lm::bundle::PackManifest;
using lm::bundle::SignedPackManifest;

namespace {

// The catalog's key for the corpus: the seeds' signatures are made with it.
constexpr char kTestKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIBh8UyBZMG2FEczpvr/3JcstWbHuZAPio2lUo+OgGQgt\n"
    "-----END PRIVATE KEY-----\n";
// A key the edge never pinned.
constexpr char kOtherKeyPem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIMVKO/UADeLypfo41X7kGvzAcvffpKAWPxu8KO0XFha/\n"
    "-----END PRIVATE KEY-----\n";

lm::SigningKey LoadKey(const char* pem) {
  const fs::path dir = lm::fuzz::TempDir("key");
  const fs::path path = dir / "key.pem";
  FILE* f = std::fopen(path.c_str(), "w");
  FUZZ_CHECK(f != nullptr && std::fputs(pem, f) >= 0 && std::fclose(f) == 0, "the test key is written");
  auto key = lm::SigningKey::LoadOrCreate(path);
  fs::remove_all(dir);
  FUZZ_CHECK(key.ok(), "the test key loads");
  return std::move(*key);
}

const lm::SigningKey& TestKey() {
  static const lm::SigningKey key = LoadKey(kTestKeyPem);
  return key;
}
const lm::SigningKey& OtherKey() {
  static const lm::SigningKey key = LoadKey(kOtherKeyPem);
  return key;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool MeantFor(const PackManifest& m, const PackAudience& audience) {
  if (Contains(m.targets.schools, audience.school_id)) return true;
  return std::any_of(audience.communities.begin(), audience.communities.end(),
                     [&](const std::string& c) { return Contains(m.targets.communities, c); });
}

void CheckWellFormed(const PackManifest& m) {
  FUZZ_CHECK(m.pack_id > 0 && m.version > 0, "pack id and version are positive");
  __int128 total = 0;  // what an edge adds up, without overflowing
  for (const auto& item : m.items) {
    for (const auto& f : item.files) total += f.size_bytes;
  }
  FUZZ_CHECK(total <= lm::bundle::kMaxBundleBytes, "all the files add up to at most kMaxBundleBytes");
  FUZZ_CHECK(m.rendition_policy == "all" || m.rendition_policy == "low" || m.rendition_policy == "audio",
             "a known rendition policy");
  for (const auto& item : m.items) {
    FUZZ_CHECK(lm::IsLowerHex(item.lesson_id, 32), "lesson ids are 32 hex digits");
    FUZZ_CHECK(lm::IsLowerHex(item.info_hash_v1, 40) && lm::IsLowerHex(item.info_hash_v2, 64),
               "info hashes are hex of the right length");
    FUZZ_CHECK(lm::bundle::IsIsoDate(item.needed_by), "needed_by is a date");
    FUZZ_CHECK(item.pinned_until.empty() || lm::bundle::IsIsoDate(item.pinned_until), "pinned_until is a date");
    FUZZ_CHECK(item.total_bytes >= 0, "total_bytes is not negative");
    for (const auto& f : item.files) {
      FUZZ_CHECK(lm::bundle::IsSafeBundlePath(f.path), "file paths stay inside the bundle");
      FUZZ_CHECK(f.size_bytes >= 0 && lm::IsLowerHex(f.xxh3_128, 32), "file sizes and digests are well formed");
    }
  }
}

PackAudience ReadAudience(std::string_view text) {
  PackAudience audience;
  bool first = true;
  while (true) {
    const std::size_t nl = text.find('\n');
    const std::string line(text.substr(0, nl));
    if (first) {
      audience.school_id = line;
      first = false;
    } else if (!line.empty()) {
      audience.communities.push_back(line);
    }
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return audience;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto parts = lm::fuzz::SplitParts(lm::fuzz::Text(data, size), "--", 3);
  const SignedPackManifest given{std::string(parts[0]), parts.size() > 1 ? std::string(parts[1]) : ""};
  const PackAudience audience = ReadAudience(parts.size() > 2 ? parts[2] : "");
  const std::string& public_key = TestKey().public_key_base64();

  auto parsed = lm::bundle::ParsePackManifest(given.manifest);
  if (parsed.ok()) {
    CheckWellFormed(*parsed);
    const std::string canonical = lm::bundle::CanonicalPackManifest(*parsed);
    auto again = lm::bundle::ParsePackManifest(canonical);
    FUZZ_CHECK(again.ok(), "canonical bytes parse");
    FUZZ_CHECK(lm::bundle::CanonicalPackManifest(*again) == canonical, "canonical bytes parse back to themselves");
  } else {
    FUZZ_CHECK(parsed.status().code() == lm::StatusCode::kInvalidArgument, "a bad manifest is kInvalidArgument");
  }

  // The signature as given.
  auto ours = TestKey().Sign(given.manifest);
  FUZZ_CHECK(ours.ok(), "the test key signs");
  auto verified = lm::bundle::VerifyPackManifest(given, public_key, audience);
  if (verified.ok()) {
    FUZZ_CHECK(given.signature == *ours, "only the key's own signature of these bytes verifies");
    FUZZ_CHECK(parsed.ok(), "only a manifest that parses verifies");
    FUZZ_CHECK(MeantFor(*verified, audience), "only a manifest for this school or its communities verifies");
  }

  // The test key's signature: accepted exactly when the manifest parses and is meant for us.
  const SignedPackManifest signed_by_us{given.manifest, *ours};
  verified = lm::bundle::VerifyPackManifest(signed_by_us, public_key, audience);
  FUZZ_CHECK(verified.ok() == (parsed.ok() && MeantFor(*parsed, audience)),
             "a manifest the key signed verifies exactly when it parses and is meant for us");
  if (!verified.ok() && parsed.ok()) FUZZ_CHECK(verified.status().field() == "targets", "refused for its targets");

  // Another key's signature, or these bytes changed: never.
  auto theirs = OtherKey().Sign(given.manifest);
  FUZZ_CHECK(theirs.ok(), "the other key signs");
  verified = lm::bundle::VerifyPackManifest({given.manifest, *theirs}, public_key, audience);
  FUZZ_CHECK(!verified.ok() && verified.status().field() == "signature", "another key's signature never verifies");
  std::string changed = given.manifest;
  if (changed.empty()) {
    changed = " ";
  } else {
    changed[size % changed.size()] ^= 0x01;
  }
  verified = lm::bundle::VerifyPackManifest({changed, *ours}, public_key, audience);
  FUZZ_CHECK(!verified.ok() && verified.status().field() == "signature", "changed bytes never verify");
  return 0;
}
