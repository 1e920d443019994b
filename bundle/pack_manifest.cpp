#include "bundle/pack_manifest.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "common/signing.h"
#include "common/text_checks.h"

namespace lm::bundle {

using json = nlohmann::json;  // keys sorted: dump() without indent is canonical

namespace {

Status Bad(const std::string& field, const std::string& what) { return InvalidArgument(field + " " + what, field); }

Result<std::string> String(const json& j, const char* key, const std::string& prefix) {
  const std::string field = prefix + key;
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return Bad(field, "must be a string");
  return it->get<std::string>();
}

Result<std::int64_t> Int(const json& j, const char* key, const std::string& prefix) {
  const std::string field = prefix + key;
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return Bad(field, "must be an integer");
  const auto v = it->get<std::int64_t>();
  if (v < 0) return Bad(field, "must not be negative");
  return v;
}

Result<std::vector<std::string>> Strings(const json& j, const char* key, const std::string& prefix) {
  const std::string field = prefix + key;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return Bad(field, "must be an array of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return Bad(field, "must be an array of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<PackItem> ParseItem(const json& j, const std::string& prefix) {
  if (!j.is_object()) return Bad(prefix, "must be an object");
  const std::string p = prefix + ".";
  PackItem item;
  ASSIGN_OR_RETURN(item.lesson_id, String(j, "lesson_id", p));
  if (!IsLowerHex(item.lesson_id, 32)) return Bad(p + "lesson_id", "must be 32 hex digits");
  ASSIGN_OR_RETURN(item.kind, String(j, "kind", p));
  if (item.kind != "lesson" && item.kind != "document") return Bad(p + "kind", "must be lesson or document");
  ASSIGN_OR_RETURN(item.title, String(j, "title", p));
  ASSIGN_OR_RETURN(item.info_hash_v1, String(j, "info_hash_v1", p));
  if (!IsLowerHex(item.info_hash_v1, 40)) return Bad(p + "info_hash_v1", "must be 40 hex digits");
  ASSIGN_OR_RETURN(item.info_hash_v2, String(j, "info_hash_v2", p));
  if (!IsLowerHex(item.info_hash_v2, 64)) return Bad(p + "info_hash_v2", "must be 64 hex digits");
  ASSIGN_OR_RETURN(item.total_bytes, Int(j, "total_bytes", p));
  if (item.total_bytes > kMaxBundleBytes) return Bad(p + "total_bytes", "is more than 1 PiB");
  ASSIGN_OR_RETURN(item.needed_by, String(j, "needed_by", p));
  if (!IsIsoDate(item.needed_by)) return Bad(p + "needed_by", "must be a date YYYY-MM-DD");
  ASSIGN_OR_RETURN(item.pinned_until, String(j, "pinned_until", p));
  if (!item.pinned_until.empty() && !IsIsoDate(item.pinned_until)) {
    return Bad(p + "pinned_until", "must be empty or a date YYYY-MM-DD");
  }
  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) return Bad(p + "files", "must be an array");
  for (size_t i = 0; i < files->size(); ++i) {
    const json& f = (*files)[i];
    const std::string fp = p + "files[" + std::to_string(i) + "].";
    if (!f.is_object()) return Bad(fp, "must be an object");
    BundleFile file;
    ASSIGN_OR_RETURN(file.path, String(f, "path", fp));
    if (!IsSafeBundlePath(file.path)) return Bad(fp + "path", "leaves the bundle");
    ASSIGN_OR_RETURN(file.size_bytes, Int(f, "size", fp));
    ASSIGN_OR_RETURN(file.xxh3_128, String(f, "xxh3_128", fp));
    if (!IsLowerHex(file.xxh3_128, 32)) return Bad(fp + "xxh3_128", "must be 32 hex digits");
    item.files.push_back(std::move(file));
  }
  return item;
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

bool IsIsoDate(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (d[i] < '0' || d[i] > '9') return false;
  }
  const int year = std::stoi(std::string(d.substr(0, 4)));
  const int month = std::stoi(std::string(d.substr(5, 2)));
  const int day = std::stoi(std::string(d.substr(8, 2)));
  static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12 || day < 1 || day > kDays[month - 1]) return false;
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return !(month == 2 && day == 29 && !leap);
}

std::string CanonicalPackManifest(const PackManifest& m) {
  json items = json::array();
  for (const PackItem& item : m.items) {
    json files = json::array();
    for (const auto& f : item.files) {
      files.push_back({{"path", f.path}, {"size", f.size_bytes}, {"xxh3_128", f.xxh3_128}});
    }
    items.push_back({{"lesson_id", item.lesson_id},
                     {"kind", item.kind},
                     {"title", item.title},
                     {"info_hash_v1", item.info_hash_v1},
                     {"info_hash_v2", item.info_hash_v2},
                     {"total_bytes", item.total_bytes},
                     {"files", files},
                     {"needed_by", item.needed_by},
                     {"pinned_until", item.pinned_until}});
  }
  const json j = {{"schema", kPackManifestSchema},
                  {"pack_id", m.pack_id},
                  {"version", m.version},
                  {"title", m.title},
                  {"description", m.description},
                  {"rendition_policy", m.rendition_policy},
                  {"published_at", m.published_at},
                  {"targets", {{"communities", m.targets.communities}, {"schools", m.targets.schools}}},
                  {"items", items}};
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<SignedPackManifest> SignPackManifest(const SigningKey& key, const PackManifest& manifest) {
  SignedPackManifest out;
  out.manifest = CanonicalPackManifest(manifest);
  ASSIGN_OR_RETURN(out.signature, key.Sign(out.manifest));
  return out;
}

Result<PackManifest> ParsePackManifest(std::string_view json_text) {
  const json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("the pack manifest is not a JSON object", "manifest");
  PackManifest m;
  ASSIGN_OR_RETURN(std::int64_t schema, Int(j, "schema", ""));
  if (schema != kPackManifestSchema) return Bad("schema", std::to_string(schema) + " is not supported");
  ASSIGN_OR_RETURN(m.pack_id, Int(j, "pack_id", ""));
  ASSIGN_OR_RETURN(m.version, Int(j, "version", ""));
  if (m.pack_id <= 0 || m.version <= 0) return Bad("version", "and pack_id must be positive");
  ASSIGN_OR_RETURN(m.title, String(j, "title", ""));
  ASSIGN_OR_RETURN(m.description, String(j, "description", ""));
  ASSIGN_OR_RETURN(m.rendition_policy, String(j, "rendition_policy", ""));
  if (m.rendition_policy != "all" && m.rendition_policy != "low" && m.rendition_policy != "audio") {
    return Bad("rendition_policy", "must be all, low or audio");
  }
  ASSIGN_OR_RETURN(m.published_at, Int(j, "published_at", ""));
  auto targets = j.find("targets");
  if (targets == j.end() || !targets->is_object()) return Bad("targets", "must be an object");
  ASSIGN_OR_RETURN(m.targets.communities, Strings(*targets, "communities", "targets."));
  ASSIGN_OR_RETURN(m.targets.schools, Strings(*targets, "schools", "targets."));
  auto items = j.find("items");
  if (items == j.end() || !items->is_array()) return Bad("items", "must be an array");
  std::int64_t total = 0;  // of every item's files: the edge adds them up
  for (size_t i = 0; i < items->size(); ++i) {
    const std::string prefix = "items[" + std::to_string(i) + "]";
    ASSIGN_OR_RETURN(PackItem item, ParseItem((*items)[i], prefix));
    for (const BundleFile& f : item.files) {
      if (f.size_bytes > kMaxBundleBytes - total) return Bad(prefix + ".files", "add up to more than 1 PiB");
      total += f.size_bytes;
    }
    m.items.push_back(std::move(item));
  }
  return m;
}

Result<PackManifest> VerifyPackManifest(const SignedPackManifest& signed_manifest,
                                        std::string_view pinned_public_key_base64, const PackAudience& audience) {
  RETURN_IF_ERROR(VerifySignature(pinned_public_key_base64, signed_manifest.manifest, signed_manifest.signature));
  ASSIGN_OR_RETURN(PackManifest m, ParsePackManifest(signed_manifest.manifest));
  bool for_us = Contains(m.targets.schools, audience.school_id);
  for (const auto& c : audience.communities) for_us = for_us || Contains(m.targets.communities, c);
  if (!for_us) {
    return InvalidArgument("pack " + std::to_string(m.pack_id) + " v" + std::to_string(m.version) +
                               " is not meant for school " + audience.school_id,
                           "targets");
  }
  return m;
}

}  // namespace lm::bundle
