#include "catalog/lesson_versions.h"

#include <algorithm>
#include <tuple>

#include "bundle/lesson_manifest.h"
#include "catalog/pack_manifest.h"

namespace lm::catalog {

namespace {

// A pack published concurrently by an admin is tried again this often before giving up.
constexpr int kPublishAttempts = 3;
// Versions of one lesson followed back (each chapter edit is one).
constexpr size_t kMaxVersions = 64;

Status NotAVersion(const std::string& why) { return InvalidArgument("manifest.revises: " + why, "manifest.revises"); }

// The pack's next version with `old_id` replaced by `new_id`; false if the latest no longer holds it.
Result<bool> RepublishWith(CatalogStore& store, const SigningKey& key, std::int64_t pack_id, const std::string& old_id,
                           const Lesson& version, std::int64_t now) {
  ASSIGN_OR_RETURN(PackVersion latest, store.GetPackVersion(pack_id, 0));
  ASSIGN_OR_RETURN(PackSpec spec, store.GetPackSpec(pack_id));
  auto old_item = std::find_if(spec.items.begin(), spec.items.end(), [&](const PackItem& i) { return i.lesson_id == old_id; });
  if (old_item == spec.items.end()) return false;
  const bool holds_new = std::any_of(spec.items.begin(), spec.items.end(),
                                     [&](const PackItem& i) { return i.lesson_id == version.id; });
  if (holds_new) {
    spec.items.erase(old_item);  // the admin had added the new version already
  } else {
    old_item->lesson_id = version.id;
  }
  std::vector<Lesson> lessons;
  for (const auto& item : spec.items) {
    if (item.lesson_id == version.id) {
      lessons.push_back(version);
      continue;
    }
    ASSIGN_OR_RETURN(Lesson l, store.GetLesson(item.lesson_id));
    lessons.push_back(std::move(l));
  }
  ASSIGN_OR_RETURN(PackVersion next, BuildSignedPackVersion(key, pack_id, latest.version + 1, spec, lessons, now));
  RETURN_IF_ERROR(store.AddPackVersion(next, spec));
  return true;
}

}  // namespace

Status CheckIsVersionOf(const Lesson& version, const Lesson& old) {
  auto mine = bundle::ParseLessonManifest(version.manifest_json);
  auto theirs = bundle::ParseLessonManifest(old.manifest_json);
  if (!mine.ok() || !theirs.ok()) return NotAVersion("the manifests do not parse");
  if (mine->kind != theirs->kind) return NotAVersion("lesson " + old.id + " is of another kind");
  using Key = std::tuple<std::string, std::int64_t, std::string>;
  auto files = [](const bundle::LessonManifest& m) {
    std::vector<Key> out;
    for (const auto& f : m.files) out.emplace_back(f.path, f.size_bytes, f.xxh3_128);
    std::sort(out.begin(), out.end());
    return out;
  };
  if (files(*mine) != files(*theirs)) return NotAVersion("a new version keeps the media of lesson " + old.id);
  return Status::Ok();
}

Result<std::vector<std::int64_t>> AdoptNewVersion(CatalogStore& store, const SigningKey& key, const Lesson& version,
                                                  std::int64_t now) {
  // The lesson revised and the versions that took its place before (chapters set twice on the
  // same lesson): packs may hold any of them.
  std::vector<std::string> replaced = {version.revises};
  while (replaced.size() < kMaxVersions) {
    ASSIGN_OR_RETURN(Lesson l, store.GetLesson(replaced.back()));
    if (l.superseded_by.empty() || l.superseded_by == version.id ||
        std::find(replaced.begin(), replaced.end(), l.superseded_by) != replaced.end()) {
      break;
    }
    replaced.push_back(l.superseded_by);
  }
  std::vector<std::int64_t> published;
  for (const std::string& old_id : replaced) {
    RETURN_IF_ERROR(store.SupersedeLesson(old_id, version.id));
    ASSIGN_OR_RETURN(std::vector<std::int64_t> packs, store.PacksHoldingLesson(old_id));
    for (const std::int64_t pack_id : packs) {
      for (int attempt = 1;; ++attempt) {
        auto done = RepublishWith(store, key, pack_id, old_id, version, now);
        if (done.ok()) {
          if (*done && std::find(published.begin(), published.end(), pack_id) == published.end()) {
            published.push_back(pack_id);
          }
          break;
        }
        if (done.status().code() != StatusCode::kAlreadyExists || attempt == kPublishAttempts) return done.status();
      }
    }
  }
  return published;
}

}  // namespace lm::catalog
