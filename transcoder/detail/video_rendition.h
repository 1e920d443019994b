#pragma once
// A video rendition branch: frame rate, scale and pixel format (libavfilter), H.264 (libx264) with
// keyframes forced at every segment boundary, and the shared AAC packets muxed in beside it.
// A long lesson is encoded in chunks (see media_pipeline.h): then one branch per rung and chunk
// encodes its frames into a packet spool, and one branch per rung stitches the chunks' spools
// and the shared AAC's into the rendition file.

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "transcoder/detail/filter_chain.h"
#include "transcoder/detail/packet_spool.h"
#include "transcoder/detail/rendition.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

struct VideoRenditionConfig {
  PlannedRung rung;
  Rate input_fps;                // rate of the frames pushed (constant)
  AVRational input_time_base{};  // of the frames pushed
  std::string x264_preset;
  std::string x264_profile;
  const AVCodecContext* audio = nullptr;  // the shared AAC encoder, or null for no audio
  // Set for one chunk of a long lesson: the encoded packets go to this file; no audio, no
  // rendition file.
  std::filesystem::path spool;
  // Set to stitch a long lesson's rung: no frames are pushed; the rendition file is written from
  // these chunk spools, in order, and the shared AAC's spool (when `audio` is set).
  std::vector<std::filesystem::path> stitch;
  std::filesystem::path audio_spool;
};

class VideoRendition : public Rendition {
 public:
  VideoRendition(VideoRenditionConfig config, std::filesystem::path dir, int piece_size_bytes, double segment_seconds);
  ~VideoRendition() override;

 private:
  Status Open() override;
  Status Process(RenditionInput& input) override;
  Status Finish() override;

  Status Encode(AVFrame* frame);  // null flushes
  Status Stitch();
  Status WriteReady(bool video_done, bool audio_done);

  VideoRenditionConfig config_;
  av::CodecParamsPtr audio_params_;
  AVRational audio_time_base_{};
  av::CodecPtr enc_;
  std::optional<FilterChain> chain_;
  std::unique_ptr<Fmp4Writer> writer_;        // unless encoding a chunk
  std::unique_ptr<PacketSpoolWriter> spool_;  // encoding a chunk
  av::PacketPtr pkt_;
  std::deque<av::PacketPtr> pending_video_;
  std::deque<av::PacketPtr> pending_audio_;
  int last_forced_segment_ = -1;
  bool encoder_flushed_ = false;
};

}  // namespace lm::transcoder
