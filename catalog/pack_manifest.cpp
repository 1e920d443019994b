#include "catalog/pack_manifest.h"

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"

namespace lm::catalog {

Result<PackVersion> BuildSignedPackVersion(const SigningKey& key, std::int64_t pack_id, std::int64_t version,
                                           const PackSpec& spec, const std::vector<Lesson>& lessons,
                                           std::int64_t now) {
  if (lessons.size() != spec.items.size()) return Internal("pack items and lessons differ");
  bundle::PackManifest m;
  m.pack_id = pack_id;
  m.version = version;
  m.title = spec.title;
  m.description = spec.description;
  m.rendition_policy = spec.rendition_policy;
  m.published_at = now;
  m.targets.communities = spec.target_communities;
  m.targets.schools = spec.target_schools;
  for (size_t i = 0; i < spec.items.size(); ++i) {
    const Lesson& lesson = lessons[i];
    auto manifest = bundle::ParseLessonManifest(lesson.manifest_json);
    if (!manifest.ok()) return manifest.status().WithContext("stored lesson.json of " + lesson.id);
    bundle::PackItem item;
    item.lesson_id = lesson.id;
    item.kind = lesson.kind;
    item.title = lesson.title;
    item.info_hash_v1 = lesson.info_hash_v1;
    item.info_hash_v2 = lesson.info_hash_v2;
    item.total_bytes = lesson.total_bytes;
    item.files = std::move(manifest->files);
    item.needed_by = spec.items[i].needed_by;
    item.pinned_until = spec.items[i].pinned_until;
    m.items.push_back(std::move(item));
  }
  ASSIGN_OR_RETURN(bundle::SignedPackManifest signed_manifest, bundle::SignPackManifest(key, m));
  PackVersion v;
  v.pack_id = pack_id;
  v.version = version;
  v.published_at = now;
  v.manifest = std::move(signed_manifest.manifest);
  v.signature = std::move(signed_manifest.signature);
  return v;
}

}  // namespace lm::catalog
