#include "transcoder/detail/audio_encoder.h"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/opt.h>
}

#include "common/av_status.h"

namespace lm::transcoder {

Result<std::unique_ptr<AudioEncoder>> AudioEncoder::Create(const AudioProfile& profile, PacketFn on_packet) {
  std::unique_ptr<AudioEncoder> a(new AudioEncoder());
  a->profile_ = profile;
  a->on_packet_ = std::move(on_packet);
  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_AAC);
  if (!codec) return Internal("no AAC encoder in this libavcodec");
  a->enc_.reset(avcodec_alloc_context3(codec));
  if (!a->enc_) return Internal("avcodec_alloc_context3 failed");
  AVCodecContext* c = a->enc_.get();
  c->sample_rate = profile.sample_rate;
  c->sample_fmt = AV_SAMPLE_FMT_FLTP;
  av_channel_layout_default(&c->ch_layout, profile.channels);
  c->bit_rate = static_cast<int64_t>(profile.bitrate_kbps) * 1000;
  c->profile = FF_PROFILE_AAC_LOW;
  c->time_base = {1, profile.sample_rate};
  c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER | AV_CODEC_FLAG_BITEXACT;
  RETURN_IF_ERROR(av::AvStatus(avcodec_open2(c, codec, nullptr), "avcodec_open2(aac)"));
  a->fifo_.reset(av_audio_fifo_alloc(AV_SAMPLE_FMT_FLTP, profile.channels, c->frame_size * 4));
  a->in_frame_ = av::NewFrame();
  a->enc_frame_ = av::NewFrame();
  a->pkt_ = av::NewPacket();
  if (!a->fifo_ || !a->in_frame_ || !a->enc_frame_ || !a->pkt_) return Internal("out of memory");
  return a;
}

Status AudioEncoder::Configure(const AVFrame* frame) {
  // A stream may not say which channel is which; assume the usual layout for its channel count.
  AVChannelLayout swr_in{};
  if (frame->ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame->ch_layout.nb_channels == 0) {
    av_channel_layout_default(&swr_in, std::max(1, frame->ch_layout.nb_channels));
  } else {
    RETURN_IF_ERROR(av::AvStatus(av_channel_layout_copy(&swr_in, &frame->ch_layout), "av_channel_layout_copy"));
  }
  SwrContext* raw = nullptr;
  int ret = swr_alloc_set_opts2(&raw, &enc_->ch_layout, enc_->sample_fmt, enc_->sample_rate, &swr_in,
                                static_cast<AVSampleFormat>(frame->format), frame->sample_rate, 0, nullptr);
  av_channel_layout_uninit(&swr_in);
  swr_.reset(raw);
  RETURN_IF_ERROR(av::AvStatus(ret, "swr_alloc_set_opts2"));
  RETURN_IF_ERROR(av::AvStatus(swr_init(swr_.get()), "swr_init"));
  // Remember the layout as the frames state it, to notice when it changes.
  av_channel_layout_uninit(&in_layout_);
  RETURN_IF_ERROR(av::AvStatus(av_channel_layout_copy(&in_layout_, &frame->ch_layout), "av_channel_layout_copy"));
  in_rate_ = frame->sample_rate;
  in_format_ = frame->format;
  return Status::Ok();
}

Status AudioEncoder::Push(const AVFrame* frame, double start_seconds) {
  if (frame->sample_rate <= 0 || frame->nb_samples <= 0) return Status::Ok();
  if (!swr_ || frame->sample_rate != in_rate_ || frame->format != in_format_ ||
      av_channel_layout_compare(&frame->ch_layout, &in_layout_) != 0) {
    if (swr_) RETURN_IF_ERROR(Resample(nullptr, 0));  // keep what the old resampler holds
    RETURN_IF_ERROR(Configure(frame));
  }
  if (next_pts_ < 0) next_pts_ = std::max<int64_t>(0, std::llround(start_seconds * enc_->sample_rate));

  RETURN_IF_ERROR(Resample(const_cast<const uint8_t**>(frame->extended_data), frame->nb_samples));
  return EncodeFromFifo(false);
}

Status AudioEncoder::AllocateOutputFrame(AVFrame* f, int nb_samples) {
  av_frame_unref(f);
  f->format = enc_->sample_fmt;
  f->sample_rate = enc_->sample_rate;
  RETURN_IF_ERROR(av::AvStatus(av_channel_layout_copy(&f->ch_layout, &enc_->ch_layout), "av_channel_layout_copy"));
  f->nb_samples = nb_samples;
  return av::AvStatus(av_frame_get_buffer(f, 0), "av_frame_get_buffer");
}

Status AudioEncoder::Resample(const uint8_t** in, int in_samples) {
  const int out_samples = swr_get_out_samples(swr_.get(), in_samples);
  if (out_samples <= 0) return Status::Ok();
  RETURN_IF_ERROR(AllocateOutputFrame(in_frame_.get(), out_samples));
  const int got = swr_convert(swr_.get(), in_frame_->data, out_samples, in, in_samples);
  RETURN_IF_ERROR(av::AvStatus(got, "swr_convert"));
  if (got == 0) return Status::Ok();
  return av::AvStatus(av_audio_fifo_write(fifo_.get(), reinterpret_cast<void**>(in_frame_->data), got),
                      "av_audio_fifo_write");
}

Status AudioEncoder::EncodeFromFifo(bool flush) {
  const int frame_size = enc_->frame_size;
  while (av_audio_fifo_size(fifo_.get()) >= frame_size || (flush && av_audio_fifo_size(fifo_.get()) > 0)) {
    const int n = std::min(frame_size, av_audio_fifo_size(fifo_.get()));
    RETURN_IF_ERROR(AllocateOutputFrame(enc_frame_.get(), n));
    RETURN_IF_ERROR(av::AvStatus(av_audio_fifo_read(fifo_.get(), reinterpret_cast<void**>(enc_frame_->data), n),
                                 "av_audio_fifo_read"));
    enc_frame_->pts = next_pts_;
    next_pts_ += n;
    RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc_.get(), enc_frame_.get()), "avcodec_send_frame(aac)"));
    RETURN_IF_ERROR(Drain());
  }
  return Status::Ok();
}

Status AudioEncoder::Drain() {
  for (;;) {
    ASSIGN_OR_RETURN(av::AvFlow flow, av::AvFlowOf(avcodec_receive_packet(enc_.get(), pkt_.get()),
                                                   "avcodec_receive_packet(aac)"));
    if (flow != av::AvFlow::kOk) return Status::Ok();
    Status st = on_packet_(pkt_.get());
    av_packet_unref(pkt_.get());
    RETURN_IF_ERROR(st);
  }
}

Status AudioEncoder::Flush() {
  if (swr_) {
    RETURN_IF_ERROR(Resample(nullptr, 0));  // the samples still inside the resampler
    RETURN_IF_ERROR(EncodeFromFifo(true));
  }
  RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc_.get(), nullptr), "avcodec_send_frame(aac flush)"));
  return Drain();
}

}  // namespace lm::transcoder
