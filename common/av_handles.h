#pragma once
// RAII owners for libav* handles. Wrap a handle on the line that creates it.

#include <memory>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/audio_fifo.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace lm::av {

template <auto F>
struct Free {
  void operator()(auto* p) const noexcept { F(p); }
};
template <auto F>
struct FreePP {
  void operator()(auto* p) const noexcept { F(&p); }
};

using FramePtr = std::unique_ptr<AVFrame, FreePP<av_frame_free>>;
using PacketPtr = std::unique_ptr<AVPacket, FreePP<av_packet_free>>;
using CodecPtr = std::unique_ptr<AVCodecContext, FreePP<avcodec_free_context>>;
using InputPtr = std::unique_ptr<AVFormatContext, FreePP<avformat_close_input>>;
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, FreePP<avfilter_graph_free>>;
using SwsPtr = std::unique_ptr<SwsContext, Free<sws_freeContext>>;
using SwrPtr = std::unique_ptr<SwrContext, FreePP<swr_free>>;
using AudioFifoPtr = std::unique_ptr<AVAudioFifo, Free<av_audio_fifo_free>>;
using CodecParamsPtr = std::unique_ptr<AVCodecParameters, FreePP<avcodec_parameters_free>>;

// An output AVFormatContext whose AVIOContext we own (custom I/O): frees the context only.
using OutputPtr = std::unique_ptr<AVFormatContext, Free<avformat_free_context>>;

// A custom AVIOContext: frees its buffer and itself.
struct AvioFree {
  void operator()(AVIOContext* p) const noexcept {
    if (p) av_freep(&p->buffer);
    avio_context_free(&p);
  }
};
using AvioPtr = std::unique_ptr<AVIOContext, AvioFree>;

inline FramePtr NewFrame() { return FramePtr(av_frame_alloc()); }
inline PacketPtr NewPacket() { return PacketPtr(av_packet_alloc()); }

}  // namespace lm::av
