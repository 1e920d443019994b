#pragma once
// Resamples decoded audio to one AudioProfile and encodes it as AAC-LC, in whole 1024-sample
// frames, with timestamps counted in samples from the first input frame. Owned by the decode
// thread; not thread-safe.

#include <cstdint>
#include <functional>
#include <memory>

#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

class AudioEncoder {
 public:
  using PacketFn = std::function<Status(AVPacket*)>;  // packet in time_base(); callee may ref it

  ~AudioEncoder() { av_channel_layout_uninit(&in_layout_); }
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;

  static Result<std::unique_ptr<AudioEncoder>> Create(const AudioProfile& profile, PacketFn on_packet);

  // `start_seconds` is the frame's time on the lesson timeline (0 = start of the source).
  Status Push(const AVFrame* frame, double start_seconds);
  Status Flush();

  const AVCodecContext* codec() const { return enc_.get(); }
  AVRational time_base() const { return enc_->time_base; }

 private:
  AudioEncoder() = default;
  Status Configure(const AVFrame* frame);
  Status AllocateOutputFrame(AVFrame* f, int nb_samples);  // in the encoder's format
  Status Resample(const uint8_t** in, int in_samples);      // null flushes the resampler
  Status EncodeFromFifo(bool flush);
  Status Drain();

  AudioProfile profile_;
  PacketFn on_packet_;
  av::CodecPtr enc_;
  av::SwrPtr swr_;
  av::AudioFifoPtr fifo_;
  av::FramePtr in_frame_;   // reused resample output
  av::FramePtr enc_frame_;  // reused encoder input
  av::PacketPtr pkt_;
  int in_rate_ = 0;
  int in_format_ = -1;
  AVChannelLayout in_layout_{};
  std::int64_t next_pts_ = -1;  // in samples at the output rate
};

}  // namespace lm::transcoder
