#pragma once
// `lessonmesh-edge enrol`: the one moment an edge talks to the catalog without a pinned key. It
// fetches the catalog's pack-signing public key once, shows its fingerprint for the county admin
// to compare, and writes the edge's token file (mode 0600) and a commented edge.toml that pins the
// key; after that the key is never fetched again. Called from main.

#include <string>

#include "common/status.h"

namespace lm::edge {

struct EnrolRequest {
  std::string catalog_url;
  std::string ca_file;    // https: the CAs to trust ("" = the system's); written into the config
  std::string token;      // this school's edge token, from the admin
  std::string school_id;
  std::string out_path = "edge.toml";
  std::string cache_dir = "/var/lib/lessonmesh-edge";
};

struct EnrolResult {
  std::string public_key;   // base64
  std::string fingerprint;  // for the admin to compare
  std::string token_file;
};

// Checks the token with the catalog (GET /v1/whoami must say role edge for this school) before
// writing anything; an existing config is not overwritten.
Result<EnrolResult> Enrol(const EnrolRequest& request);

}  // namespace lm::edge
