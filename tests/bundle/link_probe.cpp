// A program that links lm_bundle alone, as the edge will: the BundleLinksNoMediaLibrary test reads
// its dynamic libraries. It uses each part so that the linker keeps them.
#include <cstdio>

#include "bundle/lesson_manifest.h"
#include "bundle/pack_manifest.h"
#include "bundle/torrent_file.h"
#include "bundle/v1_torrent.h"

int main(int argc, char** argv) {
  const char* path = argc > 1 ? argv[1] : "lesson.torrent";
  auto torrent = lm::bundle::ReadTorrentFile(path);
  auto twin = lm::bundle::V1OnlyTorrent(torrent.ok() ? torrent->bytes : "");
  auto manifest = lm::bundle::ParseLessonManifest("{}");
  auto pack = lm::bundle::VerifyPackManifest({}, "", {});
  std::printf("%d %d %d %d\n", torrent.ok(), twin.ok(), manifest.ok(), pack.ok());
  return 0;
}
