#include "transcoder/detail/media_source.h"

#include <cmath>

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

#include "common/av_status.h"

namespace lm::transcoder {

namespace {

int RotationOf(const AVStream* st) {
  size_t size = 0;
  const uint8_t* matrix = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (!matrix || size < 9 * sizeof(int32_t)) return 0;
  // av_display_rotation_get is counter-clockwise; we want the clockwise turn to display upright.
  double ccw = av_display_rotation_get(reinterpret_cast<const int32_t*>(matrix));
  if (std::isnan(ccw)) return 0;
  int cw = static_cast<int>(std::lround(-ccw)) % 360;
  if (cw < 0) cw += 360;
  return (cw + 45) / 90 * 90 % 360;
}

constexpr int kMaxDecodeErrors = 1000;

}  // namespace

Result<std::unique_ptr<MediaSource>> MediaSource::Open(const std::filesystem::path& path, int decoder_threads) {
  std::unique_ptr<MediaSource> s(new MediaSource());
  AVFormatContext* raw = nullptr;
  int ret = avformat_open_input(&raw, path.c_str(), nullptr, nullptr);
  if (ret < 0) {
    if (ret == AVERROR(ENOENT) || ret == AVERROR(EACCES)) return av::AvStatus(ret, "open input", StatusCode::kIo);
    return UnsupportedInput("not a readable media file (" + av::AvErrorString(ret) + ")");
  }
  s->input_.reset(raw);
  AVFormatContext* in = s->input_.get();
  ret = avformat_find_stream_info(in, nullptr);
  if (ret < 0) return UnsupportedInput("cannot read stream information (" + av::AvErrorString(ret) + ")");

  s->video_index_ = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  s->audio_index_ = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  // Cover art (an attached picture) is not lesson video.
  if (s->video_index_ >= 0 && (in->streams[s->video_index_]->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
    s->video_index_ = -1;
  }
  if (s->video_index_ >= 0 && !s->OpenDecoder(s->video_index_, decoder_threads, &s->video_dec_).ok()) {
    s->video_index_ = -1;
  }
  if (s->audio_index_ >= 0 && !s->OpenDecoder(s->audio_index_, decoder_threads, &s->audio_dec_).ok()) {
    s->audio_index_ = -1;
  }
  if (s->video_index_ < 0 && s->audio_index_ < 0) {
    return UnsupportedInput("no decodable audio or video stream (container " + std::string(in->iformat->name) + ")");
  }

  SourceInfo& info = s->info_;
  info.container = in->iformat->name;
  if (in->duration > 0) info.duration_seconds = static_cast<double>(in->duration) / AV_TIME_BASE;
  s->start_seconds_ = in->start_time != AV_NOPTS_VALUE ? static_cast<double>(in->start_time) / AV_TIME_BASE : 0;

  if (s->video_index_ >= 0) {
    const AVStream* st = in->streams[s->video_index_];
    const AVCodecParameters* par = st->codecpar;
    info.has_video = true;
    info.video_codec = avcodec_get_name(par->codec_id);
    info.coded_width = par->width;
    info.coded_height = par->height;
    info.rotation_degrees = RotationOf(st);
    AVRational sar = av_guess_sample_aspect_ratio(in, const_cast<AVStream*>(st), nullptr);
    double w = par->width;
    if (sar.num > 0 && sar.den > 0) w = par->width * av_q2d(sar);
    info.display_width = static_cast<int>(std::lround(w));
    info.display_height = par->height;
    if (info.rotation_degrees == 90 || info.rotation_degrees == 270) {
      std::swap(info.display_width, info.display_height);
    }
    AVRational fr = st->avg_frame_rate.num > 0 ? st->avg_frame_rate : st->r_frame_rate;
    info.avg_fps = {fr.num, fr.den ? fr.den : 1};
    info.interlaced = par->field_order != AV_FIELD_PROGRESSIVE && par->field_order != AV_FIELD_UNKNOWN;
    if (par->width < 16 || par->height < 16) {
      return UnsupportedInput("video is " + std::to_string(par->width) + "x" + std::to_string(par->height) +
                              ", smaller than the 16x16 minimum");
    }
  }
  if (s->audio_index_ >= 0) {
    const AVCodecParameters* par = in->streams[s->audio_index_]->codecpar;
    info.has_audio = true;
    info.audio_codec = avcodec_get_name(par->codec_id);
    info.audio_channels = par->ch_layout.nb_channels;
    info.audio_sample_rate = par->sample_rate;
  }
  for (unsigned i = 0; i < in->nb_streams; ++i) {
    if (static_cast<int>(i) != s->video_index_ && static_cast<int>(i) != s->audio_index_) {
      in->streams[i]->discard = AVDISCARD_ALL;
    }
  }
  s->frame_ = av::NewFrame();
  if (!s->frame_) return Internal("out of memory");
  return s;
}

Status MediaSource::OpenDecoder(int stream_index, int threads, av::CodecPtr* out) {
  const AVStream* st = input_->streams[stream_index];
  const AVCodec* codec = avcodec_find_decoder(st->codecpar->codec_id);
  if (!codec) return UnsupportedInput(std::string("no decoder for ") + avcodec_get_name(st->codecpar->codec_id));
  av::CodecPtr dec(avcodec_alloc_context3(codec));
  if (!dec) return Internal("avcodec_alloc_context3 failed");
  RETURN_IF_ERROR(av::AvStatus(avcodec_parameters_to_context(dec.get(), st->codecpar), "avcodec_parameters_to_context"));
  dec->pkt_timebase = st->time_base;
  dec->thread_count = threads;  // 0 = one per core
  RETURN_IF_ERROR(av::AvStatus(avcodec_open2(dec.get(), codec, nullptr), "avcodec_open2(decoder)",
                               StatusCode::kUnsupportedInput));
  *out = std::move(dec);
  return Status::Ok();
}

AVRational MediaSource::video_time_base() const {
  return video_index_ >= 0 ? input_->streams[video_index_]->time_base : AVRational{1, 1};
}

void MediaSource::Select(bool video, bool audio) {
  decode_video_ = video;
  decode_audio_ = audio;
  if (video_index_ >= 0) input_->streams[video_index_]->discard = video ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  if (audio_index_ >= 0) input_->streams[audio_index_]->discard = audio ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
}

Status MediaSource::SeekTo(double seconds) {
  const int64_t ts = std::llround((seconds + start_seconds_) * AV_TIME_BASE);
  RETURN_IF_ERROR(av::AvStatus(avformat_seek_file(input_.get(), -1, INT64_MIN, ts, ts, 0), "seek input",
                               StatusCode::kUnsupportedInput));
  if (video_dec_) avcodec_flush_buffers(video_dec_.get());
  if (audio_dec_) avcodec_flush_buffers(audio_dec_.get());
  return Status::Ok();
}

Status MediaSource::Decode(AVCodecContext* dec, const AVPacket* pkt, Kind kind, const FrameFn& on_frame) {
  int ret = avcodec_send_packet(dec, pkt);
  if (ret < 0 && ret != AVERROR(EAGAIN) && ret != AVERROR_EOF) {
    // A damaged packet: skip it, as players do, unless the whole stream is garbage.
    if (ret == AVERROR(ENOMEM)) return av::AvStatus(ret, "avcodec_send_packet");
    if (++decode_errors_ > kMaxDecodeErrors) return UnsupportedInput("too many decoding errors");
    return Status::Ok();
  }
  const int stream = kind == Kind::kVideo ? video_index_ : audio_index_;
  const AVRational tb = input_->streams[stream]->time_base;
  for (;;) {
    ret = avcodec_receive_frame(dec, frame_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return Status::Ok();
    if (ret < 0) {
      if (++decode_errors_ > kMaxDecodeErrors) return UnsupportedInput("too many decoding errors");
      continue;
    }
    const int64_t ts = frame_->best_effort_timestamp;
    const double seconds = ts == AV_NOPTS_VALUE ? -1.0 : static_cast<double>(ts) * av_q2d(tb) - start_seconds_;
    (kind == Kind::kVideo ? video_frames_ : audio_frames_)++;
    Status st = on_frame(kind, frame_.get(), seconds);
    av_frame_unref(frame_.get());
    RETURN_IF_ERROR(st);
  }
}

Status MediaSource::Run(const FrameFn& on_frame, const std::function<Next()>& next) {
  av::PacketPtr pkt = av::NewPacket();
  if (!pkt) return Internal("out of memory");
  for (;;) {
    switch (next()) {
      case Next::kRead: break;
      case Next::kStop: return Status::Ok();
      case Next::kCancel: return Cancelled();
    }
    int ret = av_read_frame(input_.get(), pkt.get());
    if (ret == AVERROR_EOF) break;
    if (ret < 0) {
      if (ret == AVERROR(EIO) && frames_decoded() == 0) return av::AvStatus(ret, "read input", StatusCode::kIo);
      break;  // a truncated file: keep what decoded
    }
    Status st;
    if (pkt->stream_index == video_index_ && decode_video_) {
      st = Decode(video_dec_.get(), pkt.get(), Kind::kVideo, on_frame);
    } else if (pkt->stream_index == audio_index_ && decode_audio_) {
      st = Decode(audio_dec_.get(), pkt.get(), Kind::kAudio, on_frame);
    }
    av_packet_unref(pkt.get());
    RETURN_IF_ERROR(st);
  }
  if (video_dec_ && decode_video_) RETURN_IF_ERROR(Decode(video_dec_.get(), nullptr, Kind::kVideo, on_frame));
  if (audio_dec_ && decode_audio_) RETURN_IF_ERROR(Decode(audio_dec_.get(), nullptr, Kind::kAudio, on_frame));
  if (frames_decoded() == 0) return UnsupportedInput("no audio or video frame could be decoded");
  return Status::Ok();
}

}  // namespace lm::transcoder
