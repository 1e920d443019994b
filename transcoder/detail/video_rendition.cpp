#include "transcoder/detail/video_rendition.h"

#include <cmath>

#include "common/av_status.h"
#include "transcoder/detail/codec_string.h"
#include "transcoder/detail/h264_encoder.h"

namespace lm::transcoder {

namespace {
// Past this many packets waiting for the other stream (a stream that stops early), write anyway.
constexpr size_t kMaxPending = 512;
}  // namespace

VideoRendition::VideoRendition(VideoRenditionConfig config, std::filesystem::path dir, int piece_size_bytes,
                               double segment_seconds)
    : Rendition(config.rung.rung.name, std::move(dir), piece_size_bytes, segment_seconds), config_(std::move(config)) {
  if (config_.audio) {
    // Copied here, on the constructing thread, while the audio encoder is not yet running.
    audio_params_.reset(avcodec_parameters_alloc());
    if (audio_params_) avcodec_parameters_from_context(audio_params_.get(), config_.audio);
    audio_time_base_ = config_.audio->time_base;
  }
}

VideoRendition::~VideoRendition() {
  Abort();
  (void)Join();
  // A cancelled branch never flushed its encoder; libx264 leaks the frames still in its lookahead
  // unless they are drained before it is closed.
  if (enc_ && !encoder_flushed_ && avcodec_send_frame(enc_.get(), nullptr) >= 0) {
    while (avcodec_receive_packet(enc_.get(), pkt_.get()) >= 0) av_packet_unref(pkt_.get());
  }
}

Status VideoRendition::Open() {
  const PlannedRung& r = config_.rung;
  H264Settings settings;
  settings.rung = r;
  settings.x264_preset = config_.x264_preset;
  settings.x264_profile = config_.x264_profile;
  settings.segment_seconds = segment_seconds_;
  ASSIGN_OR_RETURN(enc_, OpenH264Encoder(settings));
  pkt_ = av::NewPacket();
  if (!pkt_) return Internal("out of memory");
  AVCodecContext* c = enc_.get();

  av::CodecParamsPtr video_params(avcodec_parameters_alloc());
  if (!video_params) return Internal("out of memory");
  RETURN_IF_ERROR(av::AvStatus(avcodec_parameters_from_context(video_params.get(), c), "parameters"));
  if (!config_.spool.empty()) {
    ASSIGN_OR_RETURN(spool_, PacketSpoolWriter::Create(config_.spool));
  } else {
    std::vector<StreamSpec> streams = {{video_params.get(), c->time_base}};
    if (audio_params_) streams.push_back({audio_params_.get(), audio_time_base_});
    ASSIGN_OR_RETURN(writer_, OpenWriter(streams));
  }

  std::string filters;
  if (!(r.fps == config_.input_fps)) {
    filters += "fps=fps=" + std::to_string(r.fps.num) + "/" + std::to_string(r.fps.den) + ",";
  }
  filters += "scale=w=" + std::to_string(r.width) + ":h=" + std::to_string(r.height) +
             ":flags=bicubic,setsar=1,format=pix_fmts=yuv420p";
  const int64_t input_frame = av_rescale_q(1, {config_.input_fps.den, config_.input_fps.num}, config_.input_time_base);
  chain_.emplace(filters, config_.input_time_base, input_frame, 1, [this](AVFrame* f) { return Encode(f); });

  output_.summary.width = r.width;
  output_.summary.height = r.height;
  output_.summary.fps = r.fps.value();
  output_.summary.codecs = H264CodecString(c);
  if (config_.audio) output_.summary.codecs += "," + AacCodecString(config_.audio);
  return Status::Ok();
}

Status VideoRendition::Process(RenditionInput& input) {
  if (input.video) return chain_->Push(input.video.get());
  if (!writer_) return Status::Ok();  // a chunk's branch takes no audio
  pending_audio_.push_back(std::move(input.audio));
  return WriteReady(false, false);
}

Status VideoRendition::Encode(AVFrame* frame) {
  if (frame) {
    // The chain's output time base may differ from the encoder's (1/fps); rescale.
    frame->pts = av_rescale_q(frame->pts, chain_->output_time_base(), enc_->time_base);
    const double t = static_cast<double>(frame->pts) * av_q2d(enc_->time_base);
    const int segment = static_cast<int>(std::floor((t + 1e-3) / segment_seconds_));
    frame->pict_type = AV_PICTURE_TYPE_NONE;
    if (segment > last_forced_segment_) {
      frame->pict_type = AV_PICTURE_TYPE_I;
      last_forced_segment_ = segment;
    }
  }
  RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc_.get(), frame), "avcodec_send_frame(libx264)"));
  if (!frame) encoder_flushed_ = true;
  for (;;) {
    ASSIGN_OR_RETURN(av::AvFlow flow,
                     av::AvFlowOf(avcodec_receive_packet(enc_.get(), pkt_.get()), "avcodec_receive_packet"));
    if (flow != av::AvFlow::kOk) break;
    av::PacketPtr p = av::NewPacket();
    if (!p) return Internal("out of memory");
    av_packet_move_ref(p.get(), pkt_.get());
    if (p->duration <= 0) p->duration = 1;  // one frame in the encoder's 1/fps time base
    if (spool_) {
      RETURN_IF_ERROR(spool_->Write(p.get()));
      if (p->pts != AV_NOPTS_VALUE) set_done_seconds(static_cast<double>(p->pts) * av_q2d(enc_->time_base));
    } else {
      pending_video_.push_back(std::move(p));
    }
  }
  return spool_ ? Status::Ok() : WriteReady(false, false);
}

Status VideoRendition::WriteReady(bool video_done, bool audio_done) {
  if (!audio_params_) audio_done = true;
  for (;;) {
    const bool have_v = !pending_video_.empty();
    const bool have_a = !pending_audio_.empty();
    bool take_video;
    if (have_v && have_a) {
      take_video = av_compare_ts(pending_video_.front()->dts, enc_->time_base, pending_audio_.front()->dts,
                                 audio_time_base_) <= 0;
    } else if (have_v && (audio_done || pending_video_.size() > kMaxPending)) {
      take_video = true;
    } else if (have_a && (video_done || pending_audio_.size() > kMaxPending)) {
      take_video = false;
    } else {
      return Status::Ok();
    }
    auto& queue = take_video ? pending_video_ : pending_audio_;
    av::PacketPtr p = std::move(queue.front());
    queue.pop_front();
    if (take_video && p->pts != AV_NOPTS_VALUE) {
      set_done_seconds(static_cast<double>(p->pts) * av_q2d(enc_->time_base));
    }
    RETURN_IF_ERROR(writer_->Write(p.get(), take_video ? 0 : 1));
  }
}

Status VideoRendition::Finish() {
  if (!config_.stitch.empty()) return Stitch();
  RETURN_IF_ERROR(chain_->Flush());
  RETURN_IF_ERROR(Encode(nullptr));
  if (spool_) return spool_->Close();
  RETURN_IF_ERROR(WriteReady(true, true));
  return FinishWriter(*writer_);
}

Status VideoRendition::Stitch() {
  std::unique_ptr<PacketSpoolReader> audio;
  if (audio_params_) {
    ASSIGN_OR_RETURN(audio, PacketSpoolReader::Open(config_.audio_spool));
  }
  int64_t last_audio_dts = AV_NOPTS_VALUE;
  // Queues the shared AAC up to and just past `until` (in the encoder's time base), so that
  // WriteReady interleaves the two streams by time; to the end when `until` is unset.
  auto queue_audio = [&](int64_t until) -> Status {
    while (audio && (until == AV_NOPTS_VALUE || last_audio_dts == AV_NOPTS_VALUE ||
                     av_compare_ts(last_audio_dts, audio_time_base_, until, enc_->time_base) <= 0)) {
      av::PacketPtr a = av::NewPacket();
      if (!a) return Internal("out of memory");
      ASSIGN_OR_RETURN(bool more, audio->Next(a.get()));
      if (!more) {
        audio.reset();
        break;
      }
      last_audio_dts = a->dts;
      pending_audio_.push_back(std::move(a));
      if (until == AV_NOPTS_VALUE) RETURN_IF_ERROR(WriteReady(true, false));
    }
    return Status::Ok();
  };
  int64_t last_video_dts = AV_NOPTS_VALUE;
  for (const auto& path : config_.stitch) {
    ASSIGN_OR_RETURN(auto chunk, PacketSpoolReader::Open(path));
    for (;;) {
      av::PacketPtr p = av::NewPacket();
      if (!p) return Internal("out of memory");
      ASSIGN_OR_RETURN(bool more, chunk->Next(p.get()));
      if (!more) break;
      if (last_video_dts != AV_NOPTS_VALUE && p->dts <= last_video_dts) {
        return Internal("stitching " + path.filename().string() + ": a packet at decode time " +
                        std::to_string(p->dts) + " is not after the one before it (" + std::to_string(last_video_dts) +
                        ")");
      }
      last_video_dts = p->dts;
      RETURN_IF_ERROR(queue_audio(p->dts));
      pending_video_.push_back(std::move(p));
      RETURN_IF_ERROR(WriteReady(false, !audio));
    }
  }
  RETURN_IF_ERROR(queue_audio(AV_NOPTS_VALUE));
  RETURN_IF_ERROR(WriteReady(true, true));
  return FinishWriter(*writer_);
}

}  // namespace lm::transcoder
