#include "transcoder/detail/poster.h"

#include <algorithm>
#include <cmath>

#include "common/av_status.h"

namespace lm::transcoder {

Result<std::string> EncodePosterJpeg(const AVFrame* frame, int max_width, int max_height) {
  const double scale = std::min({1.0, static_cast<double>(max_width) / frame->width,
                                 static_cast<double>(max_height) / frame->height});
  const int w = std::max(2, static_cast<int>(std::lround(frame->width * scale / 2)) * 2);
  const int h = std::max(2, static_cast<int>(std::lround(frame->height * scale / 2)) * 2);

  av::SwsPtr sws(sws_getContext(frame->width, frame->height, static_cast<AVPixelFormat>(frame->format), w, h,
                                AV_PIX_FMT_YUVJ420P, SWS_BICUBIC, nullptr, nullptr, nullptr));
  if (!sws) return Internal("sws_getContext for poster failed");
  av::FramePtr scaled = av::NewFrame();
  if (!scaled) return Internal("out of memory");
  scaled->format = AV_PIX_FMT_YUVJ420P;
  scaled->width = w;
  scaled->height = h;
  RETURN_IF_ERROR(av::AvStatus(av_frame_get_buffer(scaled.get(), 0), "av_frame_get_buffer"));
  RETURN_IF_ERROR(av::AvStatus(sws_scale_frame(sws.get(), scaled.get(), frame), "sws_scale_frame(poster)"));

  const AVCodec* codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!codec) return Internal("no JPEG encoder in this libavcodec");
  av::CodecPtr enc(avcodec_alloc_context3(codec));
  if (!enc) return Internal("out of memory");
  enc->width = w;
  enc->height = h;
  enc->pix_fmt = AV_PIX_FMT_YUVJ420P;
  enc->time_base = {1, 25};
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * 3;
  RETURN_IF_ERROR(av::AvStatus(avcodec_open2(enc.get(), codec, nullptr), "avcodec_open2(mjpeg)"));
  scaled->pts = 0;
  scaled->quality = enc->global_quality;
  RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc.get(), scaled.get()), "avcodec_send_frame(mjpeg)"));
  RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc.get(), nullptr), "avcodec_send_frame(mjpeg flush)"));
  av::PacketPtr pkt = av::NewPacket();
  if (!pkt) return Internal("out of memory");
  RETURN_IF_ERROR(av::AvStatus(avcodec_receive_packet(enc.get(), pkt.get()), "avcodec_receive_packet(mjpeg)"));
  return std::string(reinterpret_cast<const char*>(pkt->data), static_cast<size_t>(pkt->size));
}

}  // namespace lm::transcoder
