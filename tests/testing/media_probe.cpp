#include "tests/testing/media_probe.h"

#include <algorithm>

#include "common/av_handles.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace lm::testing {

const ProbedStream* ProbedFile::Video() const {
  for (const auto& s : streams)
    if (s.type == "video") return &s;
  return nullptr;
}
const ProbedStream* ProbedFile::Audio() const {
  for (const auto& s : streams)
    if (s.type == "audio") return &s;
  return nullptr;
}

ProbedFile ProbeAndDecode(const std::string& url) {
  ProbedFile out;
  AVFormatContext* raw = nullptr;
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "allowed_extensions", "ALL", 0);
  int ret = avformat_open_input(&raw, url.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (ret < 0) {
    out.error = "open failed";
    return out;
  }
  av::InputPtr in(raw);
  if (avformat_find_stream_info(in.get(), nullptr) < 0) {
    out.error = "no stream info";
    return out;
  }
  out.opened = true;
  out.format = in->iformat->name;
  if (in->duration > 0) out.duration_s = static_cast<double>(in->duration) / AV_TIME_BASE;

  std::vector<av::CodecPtr> decoders(in->nb_streams);
  out.streams.resize(in->nb_streams);
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    const AVStream* st = in->streams[i];
    ProbedStream& ps = out.streams[i];
    ps.type = av_get_media_type_string(st->codecpar->codec_type) ? av_get_media_type_string(st->codecpar->codec_type) : "";
    ps.codec = avcodec_get_name(st->codecpar->codec_id);
    ps.width = st->codecpar->width;
    ps.height = st->codecpar->height;
    ps.channels = st->codecpar->ch_layout.nb_channels;
    ps.sample_rate = st->codecpar->sample_rate;
    ps.avg_fps = st->avg_frame_rate.den ? av_q2d(st->avg_frame_rate) : 0;
    const char* prof = avcodec_profile_name(st->codecpar->codec_id, st->codecpar->profile);
    ps.profile = prof ? prof : "";
    ps.bit_rate = st->codecpar->bit_rate;
    ps.first_pts_s = -1;
    const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
    if (!codec) continue;
    decoders[i].reset(avcodec_alloc_context3(codec));
    avcodec_parameters_to_context(decoders[i].get(), st->codecpar);
    decoders[i]->pkt_timebase = st->time_base;
    if (avcodec_open2(decoders[i].get(), codec, nullptr) < 0) decoders[i].reset();
  }

  av::PacketPtr pkt = av::NewPacket();
  av::FramePtr frame = av::NewFrame();
  auto drain = [&](unsigned idx) {
    ProbedStream& ps = out.streams[idx];
    const AVRational tb = in->streams[idx]->time_base;
    while (true) {
      int r = avcodec_receive_frame(decoders[idx].get(), frame.get());
      if (r < 0) {
        if (r != AVERROR(EAGAIN) && r != AVERROR_EOF) ps.decode_errors++;
        break;
      }
      ps.frames_decoded++;
      if (ps.type == "video") {
        const char* fmt = av_get_pix_fmt_name(static_cast<AVPixelFormat>(frame->format));
        ps.pix_fmt = fmt ? fmt : "";
        if (frame->interlaced_frame) ps.interlaced_frames++;
        if (frame->best_effort_timestamp != AV_NOPTS_VALUE) {
          ps.frame_times_s.push_back(frame->best_effort_timestamp * av_q2d(tb));
        }
      }
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(in.get(), pkt.get()) >= 0) {
    const unsigned idx = static_cast<unsigned>(pkt->stream_index);
    ProbedStream& ps = out.streams[idx];
    const AVRational tb = in->streams[idx]->time_base;
    if (pkt->pts != AV_NOPTS_VALUE) {
      const double t = pkt->pts * av_q2d(tb);
      if (ps.first_pts_s < 0 || t < ps.first_pts_s) ps.first_pts_s = t;
      ps.end_s = std::max(ps.end_s, t + pkt->duration * av_q2d(tb));
      if ((pkt->flags & AV_PKT_FLAG_KEY) && ps.type == "video") ps.keyframes_s.push_back(t);
    }
    if (decoders[idx]) {
      if (avcodec_send_packet(decoders[idx].get(), pkt.get()) < 0) ps.decode_errors++;
      drain(idx);
    }
    av_packet_unref(pkt.get());
  }
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    if (!decoders[i]) continue;
    avcodec_send_packet(decoders[i].get(), nullptr);
    drain(i);
  }
  for (auto& s : out.streams) {
    std::sort(s.keyframes_s.begin(), s.keyframes_s.end());
    std::sort(s.frame_times_s.begin(), s.frame_times_s.end());
  }
  return out;
}

}  // namespace lm::testing
