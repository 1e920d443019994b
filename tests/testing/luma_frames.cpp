#include "tests/testing/luma_frames.h"

#include "common/av_handles.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace lm::testing {

namespace {

// Appends the frame's luma plane; an error for a picture that is not 8-bit YUV.
std::string Keep(const AVFrame& f, std::vector<LumaFrame>& out) {
  const AVPixFmtDescriptor* d = av_pix_fmt_desc_get(static_cast<AVPixelFormat>(f.format));
  if (!d || (d->flags & AV_PIX_FMT_FLAG_RGB) || d->comp[0].depth != 8 || d->comp[0].step != 1) {
    return std::string("not 8-bit planar YUV: ") + (d ? d->name : "unknown");
  }
  LumaFrame l;
  l.width = f.width;
  l.height = f.height;
  l.y.resize(static_cast<std::size_t>(f.width) * f.height);
  for (int row = 0; row < f.height; ++row) {
    const std::uint8_t* src = f.data[0] + static_cast<std::ptrdiff_t>(row) * f.linesize[0];
    std::copy(src, src + f.width, l.y.begin() + static_cast<std::ptrdiff_t>(row) * f.width);
  }
  out.push_back(std::move(l));
  return "";
}

}  // namespace

LumaFrames DecodeLumaFrames(const std::string& url, int max_frames) {
  LumaFrames out;
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, url.c_str(), nullptr, nullptr) < 0) {
    out.error = "cannot open " + url;
    return out;
  }
  av::InputPtr in(raw);
  if (avformat_find_stream_info(in.get(), nullptr) < 0) {
    out.error = "no stream info in " + url;
    return out;
  }
  const AVCodec* codec = nullptr;
  const int stream = av_find_best_stream(in.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream < 0 || !codec) {
    out.error = "no video stream in " + url;
    return out;
  }
  av::CodecPtr dec(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(dec.get(), in->streams[stream]->codecpar);
  if (avcodec_open2(dec.get(), codec, nullptr) < 0) {
    out.error = "cannot open the decoder";
    return out;
  }
  av::PacketPtr pkt = av::NewPacket();
  av::FramePtr frame = av::NewFrame();
  auto full = [&] { return max_frames > 0 && static_cast<int>(out.frames.size()) >= max_frames; };
  auto drain = [&] {
    while (out.error.empty() && !full() && avcodec_receive_frame(dec.get(), frame.get()) >= 0) {
      out.error = Keep(*frame, out.frames);
      av_frame_unref(frame.get());
    }
  };
  while (out.error.empty() && !full() && av_read_frame(in.get(), pkt.get()) >= 0) {
    if (pkt->stream_index == stream && avcodec_send_packet(dec.get(), pkt.get()) < 0) {
      out.error = "a packet did not decode";
    }
    av_packet_unref(pkt.get());
    drain();
  }
  if (out.error.empty() && !full()) {
    avcodec_send_packet(dec.get(), nullptr);
    drain();
  }
  return out;
}

}  // namespace lm::testing
