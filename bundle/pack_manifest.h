#pragma once
// The signed manifest of one published resource-pack version: everything an edge needs to fetch
// and keep the pack (items with lesson ids, info hashes, files, needed-by and pinned-until dates;
// targets; rendition policy), as canonical JSON (keys sorted, no spaces). The catalog builds and
// signs it; the edge verifies the signature with its pinned key, parses it and checks that it is
// meant for its school. The bytes signed are the bytes served. Plain values; reentrant.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/status.h"

namespace lm {
class SigningKey;
}

namespace lm::bundle {

inline constexpr int kPackManifestSchema = 1;

struct PackItem {
  std::string lesson_id;
  std::string kind;  // lesson | document
  std::string title;
  std::string info_hash_v1;  // 40 hex digits
  std::string info_hash_v2;  // 64 hex digits
  std::int64_t total_bytes = 0;
  std::vector<BundleFile> files;
  std::string needed_by;     // YYYY-MM-DD
  std::string pinned_until;  // YYYY-MM-DD or ""
};

struct PackTargets {
  std::vector<std::string> communities;
  std::vector<std::string> schools;
};

struct PackManifest {
  std::int64_t pack_id = 0;
  std::int64_t version = 0;
  std::string title;
  std::string description;
  std::string rendition_policy = "all";  // all | low (240p + audio) | audio
  std::int64_t published_at = 0;         // unix seconds
  PackTargets targets;
  std::vector<PackItem> items;
};

struct SignedPackManifest {
  std::string manifest;   // canonical JSON, exactly the bytes signed
  std::string signature;  // base64 Ed25519
};

// Who is asking: an edge's school and the communities it belongs to.
struct PackAudience {
  std::string school_id;
  std::vector<std::string> communities;
};

// The canonical bytes of `manifest`.
std::string CanonicalPackManifest(const PackManifest& manifest);

// Canonical bytes and their signature.
Result<SignedPackManifest> SignPackManifest(const SigningKey& key, const PackManifest& manifest);

// Parses canonical bytes; kInvalidArgument naming the field if they are not a schema-1 pack
// manifest (ids, hashes, dates, file paths and sizes are all checked; sizes, each item's total and
// all the files together are at most kMaxBundleBytes).
Result<PackManifest> ParsePackManifest(std::string_view json_text);

// What an edge accepts: the signature verifies under `pinned_public_key_base64`, the bytes parse,
// and the targets name `audience.school_id` or one of its communities. Otherwise kInvalidArgument
// with field "signature", the manifest's field, or "targets".
Result<PackManifest> VerifyPackManifest(const SignedPackManifest& signed_manifest,
                                        std::string_view pinned_public_key_base64, const PackAudience& audience);

// True if `date` is a calendar date written YYYY-MM-DD.
bool IsIsoDate(std::string_view date);

}  // namespace lm::bundle
