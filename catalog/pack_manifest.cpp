#include "catalog/pack_manifest.h"

#include <nlohmann/json.hpp>

namespace lm::catalog {

Result<PackVersion> BuildSignedPackVersion(const SigningKey& key, std::int64_t pack_id, std::int64_t version,
                                           const PackSpec& spec, const std::vector<Lesson>& lessons,
                                           std::int64_t now) {
  if (lessons.size() != spec.items.size()) return Internal("pack items and lessons differ");
  nlohmann::json items = nlohmann::json::array();
  for (size_t i = 0; i < spec.items.size(); ++i) {
    const PackItem& item = spec.items[i];
    const Lesson* lesson = &lessons[i];
    nlohmann::json files = nlohmann::json::array();
    auto manifest = nlohmann::json::parse(lesson->manifest_json, nullptr, false);
    if (manifest.is_object() && manifest.contains("files")) {
      for (const auto& f : manifest["files"]) {
        files.push_back({{"path", f.value("path", "")}, {"size", f.value("size", 0)},
                         {"xxh3_128", f.value("xxh3_128", "")}});
      }
    }
    items.push_back({{"lesson_id", lesson->id},
                     {"kind", lesson->kind},
                     {"title", lesson->title},
                     {"info_hash_v1", lesson->info_hash_v1},
                     {"info_hash_v2", lesson->info_hash_v2},
                     {"total_bytes", lesson->total_bytes},
                     {"files", files},
                     {"needed_by", item.needed_by},
                     {"pinned_until", item.pinned_until}});
  }
  // nlohmann::json keeps object keys sorted: dump() without indent is canonical.
  nlohmann::json j = {{"schema", 1},
                      {"pack_id", pack_id},
                      {"version", version},
                      {"title", spec.title},
                      {"description", spec.description},
                      {"rendition_policy", spec.rendition_policy},
                      {"published_at", now},
                      {"targets", {{"communities", spec.target_communities}, {"schools", spec.target_schools}}},
                      {"items", items}};
  PackVersion v;
  v.pack_id = pack_id;
  v.version = version;
  v.published_at = now;
  v.manifest = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  ASSIGN_OR_RETURN(v.signature, key.Sign(v.manifest));
  return v;
}

}  // namespace lm::catalog
