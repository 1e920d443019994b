#pragma once
// A file of encoded packets, written by one pass of a chunked transcode and read back in order by
// the pass that stitches the chunks into a rendition: a rung's H.264 for one chunk of the lesson,
// or the AAC muxed into every rung. Holds what a packet carries into an fMP4 fragment (timestamps,
// duration, key flag, payload); side data is not kept. Owned by one thread; not thread-safe.

#include <cstdio>
#include <filesystem>
#include <memory>

#include "common/av_handles.h"
#include "common/status.h"

namespace lm::transcoder {

struct SpoolFileClose {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
using SpoolFilePtr = std::unique_ptr<std::FILE, SpoolFileClose>;

class PacketSpoolWriter {
 public:
  static Result<std::unique_ptr<PacketSpoolWriter>> Create(const std::filesystem::path& path);
  Status Write(const AVPacket* pkt);
  Status Close();  // flushes; the file is complete once this returns ok

 private:
  explicit PacketSpoolWriter(std::filesystem::path path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::filesystem::path path_;
  SpoolFilePtr file_;
};

class PacketSpoolReader {
 public:
  static Result<std::unique_ptr<PacketSpoolReader>> Open(const std::filesystem::path& path);
  // The next packet into `pkt` (its previous contents released): true, or false at the end.
  Result<bool> Next(AVPacket* pkt);

 private:
  explicit PacketSpoolReader(std::filesystem::path path, std::FILE* f) : path_(std::move(path)), file_(f) {}
  std::filesystem::path path_;
  SpoolFilePtr file_;
};

}  // namespace lm::transcoder
