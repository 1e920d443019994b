#include "transcoder/detail/packet_spool.h"

#include <cerrno>
#include <cstdint>

namespace lm::transcoder {

namespace {

// One record: this header, then `size` payload bytes. Native byte order: a spool never leaves the
// process that wrote it.
struct RecordHeader {
  std::int64_t pts;
  std::int64_t dts;
  std::int64_t duration;
  std::int32_t flags;
  std::int32_t size;
};

}  // namespace

Result<std::unique_ptr<PacketSpoolWriter>> PacketSpoolWriter::Create(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return ErrnoStatus("create " + path.string(), errno);
  return std::unique_ptr<PacketSpoolWriter>(new PacketSpoolWriter(path, f));
}

Status PacketSpoolWriter::Write(const AVPacket* pkt) {
  const RecordHeader h{pkt->pts, pkt->dts, pkt->duration, pkt->flags, pkt->size};
  if (std::fwrite(&h, sizeof h, 1, file_.get()) != 1 ||
      (pkt->size > 0 && std::fwrite(pkt->data, static_cast<size_t>(pkt->size), 1, file_.get()) != 1)) {
    return ErrnoStatus("write " + path_.string(), errno);
  }
  return Status::Ok();
}

Status PacketSpoolWriter::Close() {
  if (!file_) return Status::Ok();
  const bool ok = std::fflush(file_.get()) == 0;
  const int err = errno;
  const bool closed = std::fclose(file_.release()) == 0;
  if (!ok || !closed) return ErrnoStatus("write " + path_.string(), ok ? errno : err);
  return Status::Ok();
}

Result<std::unique_ptr<PacketSpoolReader>> PacketSpoolReader::Open(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return ErrnoStatus("open " + path.string(), errno);
  return std::unique_ptr<PacketSpoolReader>(new PacketSpoolReader(path, f));
}

Result<bool> PacketSpoolReader::Next(AVPacket* pkt) {
  av_packet_unref(pkt);
  RecordHeader h{};
  const size_t got = std::fread(&h, 1, sizeof h, file_.get());
  if (got == 0 && std::feof(file_.get())) return false;
  if (got != sizeof h || h.size < 0) return IoError("truncated packet spool " + path_.string());
  if (av_new_packet(pkt, h.size) < 0) return Internal("out of memory");
  if (h.size > 0 && std::fread(pkt->data, static_cast<size_t>(h.size), 1, file_.get()) != 1) {
    return IoError("truncated packet spool " + path_.string());
  }
  pkt->pts = h.pts;
  pkt->dts = h.dts;
  pkt->duration = h.duration;
  pkt->flags = h.flags;
  return true;
}

}  // namespace lm::transcoder
