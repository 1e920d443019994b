#pragma once
// Writes one rendition as a single fragmented MP4 (CMAF) file: an init section (ftyp+moov) and
// one moof+mdat fragment per segment, and records each fragment's byte range and duration for
// the HLS playlist. Bytes flow through a HashingFile. Owned by one pipeline branch; not thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/detail/hashing_file.h"

namespace lm::transcoder {

struct ByteRange {
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

struct Segment {
  ByteRange bytes;
  double start_seconds = 0;
  double duration_seconds = 0;
};

struct StreamSpec {
  const AVCodecParameters* params = nullptr;
  AVRational time_base{};  // of the packets that will be written
};

class Fmp4Writer {
 public:
  // streams[0] is the stream that decides segment boundaries (video, or audio for audio-only).
  // Segments start every `segment_seconds`, or, when `segment_starts` is given (ascending, the
  // first 0), at those times: a segment begins at the first key packet of stream 0 at or after
  // its start.
  static Result<std::unique_ptr<Fmp4Writer>> Open(std::unique_ptr<HashingFile> file,
                                                  const std::vector<StreamSpec>& streams, double segment_seconds,
                                                  std::vector<double> segment_starts = {});
  ~Fmp4Writer();

  // `pkt` is in the time base given for `stream`. A key packet of stream 0 that falls in a later
  // segment than the current one closes the current fragment first.
  Status Write(AVPacket* pkt, int stream);

  // Writes the last fragment and closes the file.
  Result<FileDigest> Finish();

  ByteRange init() const { return init_; }
  const std::vector<Segment>& segments() const { return segments_; }
  double end_seconds() const { return end_seconds_; }

 private:
  Fmp4Writer() = default;
  static int WritePacketCallback(void* opaque, std::uint8_t* buf, int size);
  Status Flush();
  Status CloseFragment();
  int SegmentIndexAt(double seconds) const;

  std::unique_ptr<HashingFile> file_;
  av::AvioPtr avio_;
  av::OutputPtr ctx_;
  std::vector<AVRational> in_time_bases_;
  double segment_seconds_ = 6;
  std::vector<double> segment_starts_;
  Status io_status_;
  ByteRange init_;
  std::vector<Segment> segments_;
  int current_segment_index_ = -1;
  double fragment_start_seconds_ = 0;
  bool fragment_open_ = false;
  bool moov_written_ = false;
  double end_seconds_ = 0;
};

}  // namespace lm::transcoder
