#pragma once
// A video rendition branch: frame rate, scale and pixel format (libavfilter), H.264 (libx264) with
// keyframes forced at every segment boundary, and the shared AAC packets muxed in beside it.

#include <deque>
#include <memory>
#include <optional>

#include "transcoder/detail/filter_chain.h"
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
  Status WriteReady(bool video_done, bool audio_done);

  VideoRenditionConfig config_;
  av::CodecParamsPtr audio_params_;
  AVRational audio_time_base_{};
  av::CodecPtr enc_;
  std::optional<FilterChain> chain_;
  std::unique_ptr<Fmp4Writer> writer_;
  av::PacketPtr pkt_;
  std::deque<av::PacketPtr> pending_video_;
  std::deque<av::PacketPtr> pending_audio_;
  int last_forced_segment_ = -1;
  bool encoder_flushed_ = false;
};

}  // namespace lm::transcoder
