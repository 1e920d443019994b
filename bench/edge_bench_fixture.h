#pragma once
// Shared by bench/edge_scale and bench/edge_serve: an edge cache filled directly (no catalog, no
// download): document bundles made by the transcoder's bundle code (no FFmpeg involved for
// documents), one signed pack naming them all, each lesson recorded as verified and ready. The
// settings point the pack follower and reporter at a closed loopback port, so they only back off.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "common/read_file.h"
#include "common/signing.h"
#include "edge/edge_config.h"
#include "edge/edge_store.h"
#include "transcoder/bundle.h"

namespace lm::bench {

// A PDF-looking document of `size` bytes, different for each seed.
inline std::string MakeDocument(std::size_t size, int seed) {
  std::string pdf = "%PDF-1.4\n% LessonMesh bench courseware " + std::to_string(seed) + "\n";
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(seed) * 7919u;
  pdf.reserve(size);
  while (pdf.size() < size) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pdf += static_cast<char>('A' + x % 26);
  }
  pdf.resize(size);
  return pdf;
}

inline void Die(const std::string& what) {
  std::fprintf(stderr, "edge bench: %s\n", what.c_str());
  std::exit(1);
}

// Fills `dir` (recreated) with `count` ready documents of `bytes_each` bytes; returns the settings of
// an edge over it and the lesson ids.
inline std::pair<edge::EdgeConfig, std::vector<std::string>> FillEdge(const std::filesystem::path& dir, int count,
                                                                       std::size_t bytes_each) {
  namespace fs = std::filesystem;
  fs::remove_all(dir);
  const fs::path cache = dir / "edge";
  const fs::path lessons = cache / "lessons";
  fs::create_directories(lessons);
  fs::create_directories(dir / "src");
  auto key = SigningKey::Generate();
  if (!key.ok()) Die(key.status().message());

  bundle::PackManifest pack;
  pack.pack_id = 1;
  pack.version = 1;
  pack.title = "bench pack";
  pack.published_at = 1790000000;
  pack.targets.schools = {"bench-school"};
  std::map<std::string, std::string> torrents;
  std::vector<bundle::LessonManifest> manifests;
  for (int i = 0; i < count; ++i) {
    const fs::path src = dir / "src" / ("doc" + std::to_string(i) + ".pdf");
    { std::ofstream(src, std::ios::binary) << MakeDocument(bytes_each, i); }
    transcoder::BundleOptions opts;
    opts.metadata = {"课件 " + std::to_string(i), "王老师", "数学", "三年级"};
    auto made = transcoder::MakeBundleUnder(src, lessons, opts);
    if (!made.ok()) Die(made.status().message());
    fs::remove(src);
    auto manifest = bundle::ReadLessonManifest(made->dir);
    if (!manifest.ok()) Die(manifest.status().message());
    auto torrent = ReadFileBytes(made->dir / bundle::kLessonTorrentFile, 64 << 20);
    if (!torrent.ok()) Die(torrent.status().message());
    bundle::PackItem item;
    item.lesson_id = made->id;
    item.kind = "document";
    item.title = manifest->metadata.title;
    item.info_hash_v1 = made->info_hash_v1;
    item.info_hash_v2 = made->info_hash_v2;
    item.total_bytes = made->total_bytes;
    item.files = manifest->files;
    item.needed_by = "2026-12-01";
    pack.items.push_back(item);
    torrents[made->id] = *torrent;
    manifests.push_back(*manifest);
  }
  auto signed_pack = bundle::SignPackManifest(*key, pack);
  if (!signed_pack.ok()) Die(signed_pack.status().message());
  {
    auto store = edge::EdgeStore::Open((cache / "state.db").string());
    if (!store.ok()) Die(store.status().message());
    auto added = (*store)->ApplyPack(*signed_pack, pack, torrents, 1790000000);
    if (!added.ok()) Die(added.status().message());
    for (const auto& m : manifests) {
      if (auto st = (*store)->SetMetadata(m.id, m, {}); !st.ok()) Die(st.message());
      if (auto st = (*store)->SetState(m.id, edge::LessonState::kReady, "", 1790000000); !st.ok()) Die(st.message());
    }
  }
  { std::ofstream(dir / "edge.token") << "bench-token\n"; }
  edge::EdgeConfig c;
  c.school_id = "bench-school";
  c.catalog_url = "http://127.0.0.1:9";  // closed: the follower and reporter back off
  c.token_file = (dir / "edge.token").string();
  c.catalog_key = key->public_key_base64();
  c.cache_dir = cache.string();
  c.quota = "100GB";
  c.min_free = "100MB";
  c.listen_address = "127.0.0.1";
  c.port = 0;
  c.torrent_port = 0;
  c.lsd = false;
  std::vector<std::string> ids;
  for (const auto& m : manifests) ids.push_back(m.id);
  return {c, ids};
}

}  // namespace lm::bench
