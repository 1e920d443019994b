#include "transcoder/detail/rendition_cutter.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <deque>

#include "common/av_status.h"

namespace lm::transcoder {

namespace {

// The NAL units of Annex B (start-code framed) H.264 bytes; a 4-byte start code's leading zero and
// trailing zero bytes are trimmed.
std::vector<std::string_view> AnnexBUnits(const std::uint8_t* data, size_t n) {
  std::vector<std::string_view> out;
  size_t start = std::string::npos;
  auto add = [&](size_t end) {
    while (end > start && data[end - 1] == 0) --end;
    if (end > start) out.emplace_back(reinterpret_cast<const char*>(data + start), end - start);
  };
  for (size_t i = 0; i + 2 < n; ++i) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if (start != std::string::npos) add(i);
      start = i + 3;
      i += 2;
    }
  }
  if (start != std::string::npos && start < n) add(n);
  return out;
}

// The SPS and PPS NAL units of H.264 extradata, in either form: an avcC record (what the MP4
// demuxer gives) or Annex B start-code framing (what libx264 gives). Empty if malformed.
std::vector<std::string> ParameterSets(const std::uint8_t* data, int size) {
  std::vector<std::string> out;
  if (data == nullptr || size < 4) return out;
  const auto n = static_cast<size_t>(size);
  if (data[0] == 1) {  // avcC
    size_t pos = 5;
    for (int list = 0; list < 2; ++list) {
      if (pos >= n) return {};
      const int count = list == 0 ? (data[pos] & 0x1f) : data[pos];
      ++pos;
      for (int i = 0; i < count; ++i) {
        if (pos + 2 > n) return {};
        const size_t len = static_cast<size_t>(data[pos]) << 8 | data[pos + 1];
        pos += 2;
        if (pos + len > n) return {};
        out.emplace_back(reinterpret_cast<const char*>(data + pos), len);
        pos += len;
      }
    }
    return out;
  }
  for (std::string_view unit : AnnexBUnits(data, n)) out.emplace_back(unit);
  return out;
}

// Rewrites a packet from libx264 (Annex B) the way MP4 carries H.264: each NAL unit behind a
// big-endian length of `length_size` bytes, as the parent's avcC record says.
Status ToLengthPrefixed(AVPacket* pkt, int length_size) {
  std::string out;
  for (std::string_view unit : AnnexBUnits(pkt->data, static_cast<size_t>(pkt->size))) {
    for (int i = length_size - 1; i >= 0; --i) out.push_back(static_cast<char>((unit.size() >> (8 * i)) & 0xff));
    out.append(unit);
  }
  av::PacketPtr body = av::NewPacket();
  if (!body) return Internal("out of memory");
  RETURN_IF_ERROR(av::AvStatus(av_new_packet(body.get(), static_cast<int>(out.size())), "av_new_packet"));
  std::memcpy(body->data, out.data(), out.size());
  RETURN_IF_ERROR(av::AvStatus(av_packet_copy_props(body.get(), pkt), "av_packet_copy_props"));
  av_packet_unref(pkt);
  av_packet_move_ref(pkt, body.get());
  return Status::Ok();
}

// One run of CutRendition. Reads the parent rendition from the keyframe at or before the range's
// start, collects each GOP's packets until the next keyframe shows where the GOP ends, then copies
// or re-encodes it; interleaves video and audio by decode time as the transcoder did.
class RenditionCutter {
 public:
  explicit RenditionCutter(const CutParams& p) : p_(p) {}

  Result<CutResult> Run() {
    RETURN_IF_ERROR(OpenInput());
    RETURN_IF_ERROR(OpenOutput());
    RETURN_IF_ERROR(SeekToStart());
    av::PacketPtr pkt = av::NewPacket();
    if (!pkt) return Internal("out of memory");
    while (!(video_done_ && audio_done_)) {
      const int ret = av_read_frame(in_.get(), pkt.get());
      if (ret == AVERROR_EOF) break;
      RETURN_IF_ERROR(av::AvStatus(ret, "av_read_frame(" + p_.parent_file.string() + ")", StatusCode::kUnsupportedInput));
      Status st = Status::Ok();
      if (pkt->stream_index == video_index_) {
        st = OnVideoPacket(pkt.get());
      } else if (pkt->stream_index == audio_index_) {
        st = OnAudioPacket(pkt.get());
      }
      av_packet_unref(pkt.get());
      RETURN_IF_ERROR(st);
    }
    if (!gop_.empty()) RETURN_IF_ERROR(CloseGop(gop_end_seconds_));
    video_done_ = audio_done_ = true;
    RETURN_IF_ERROR(WriteReady());
    ASSIGN_OR_RETURN(result_.output.media, writer_->Finish());
    RenditionOutput& out = result_.output;
    out.init = writer_->init();
    out.segments = writer_->segments();
    out.summary.size_bytes = out.media.size_bytes;
    out.summary.segments = static_cast<int>(out.segments.size());
    if (out.segments.empty()) return InvalidArgument("the range holds no media of rendition " + p_.parent.name, "at");
    return std::move(result_);
  }

 private:
  double VideoSeconds(int64_t ts) const { return static_cast<double>(ts - video_offset_) * av_q2d(video_tb_); }
  double AudioSeconds(int64_t ts) const { return static_cast<double>(ts - audio_offset_) * av_q2d(audio_tb_); }
  // Shifts a parent packet onto the clip's timeline.
  static void Rebase(AVPacket* pkt, int64_t shift) {
    if (pkt->pts != AV_NOPTS_VALUE) pkt->pts -= shift;
    if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= shift;
  }

  Status OpenInput() {
    AVFormatContext* raw = nullptr;
    const int ret = avformat_open_input(&raw, p_.parent_file.c_str(), nullptr, nullptr);
    in_.reset(raw);
    RETURN_IF_ERROR(av::AvStatus(ret, "open " + p_.parent_file.string(), StatusCode::kUnsupportedInput));
    for (unsigned i = 0; i < in_->nb_streams; ++i) {
      const AVCodecParameters* par = in_->streams[i]->codecpar;
      if (par->codec_type == AVMEDIA_TYPE_VIDEO && video_index_ < 0) video_index_ = static_cast<int>(i);
      if (par->codec_type == AVMEDIA_TYPE_AUDIO && audio_index_ < 0) audio_index_ = static_cast<int>(i);
    }
    if (video_index_ < 0 && audio_index_ < 0) return UnsupportedInput(p_.parent_file.string() + " holds no media");
    if (video_index_ >= 0 && !p_.encoder) return Internal("no encoder settings for video rendition " + p_.parent.name);
    video_done_ = video_index_ < 0;
    audio_done_ = audio_index_ < 0;
    if (video_index_ >= 0) {
      video_tb_ = in_->streams[video_index_]->time_base;
      half_frame_seconds_ = 0.5 / p_.encoder->rung.fps.value();
    }
    if (audio_index_ >= 0) audio_tb_ = in_->streams[audio_index_]->time_base;
    // Each track's timeline starts at its first packet (the transcoder's muxer shifts video by the
    // B-frame delay): read the first fragment for the offsets.
    av::PacketPtr pkt = av::NewPacket();
    if (!pkt) return Internal("out of memory");
    bool have_video = video_index_ < 0, have_audio = audio_index_ < 0;
    while (!(have_video && have_audio)) {
      const int r = av_read_frame(in_.get(), pkt.get());
      if (r == AVERROR_EOF) break;
      RETURN_IF_ERROR(av::AvStatus(r, "av_read_frame(" + p_.parent_file.string() + ")", StatusCode::kUnsupportedInput));
      if (pkt->stream_index == video_index_ && !have_video) {
        video_offset_ = pkt->pts;
        have_video = true;
      } else if (pkt->stream_index == audio_index_ && !have_audio) {
        audio_offset_ = pkt->pts;
        have_audio = true;
      }
      av_packet_unref(pkt.get());
    }
    if (!have_video || !have_audio) return UnsupportedInput(p_.parent_file.string() + " has an empty track");
    return Status::Ok();
  }

  Status OpenOutput() {
    std::vector<StreamSpec> streams;
    if (video_index_ >= 0) streams.push_back({in_->streams[video_index_]->codecpar, video_tb_});
    if (audio_index_ >= 0) streams.push_back({in_->streams[audio_index_]->codecpar, audio_tb_});
    RenditionSummary& s = result_.output.summary;
    s = p_.parent;
    s.size_bytes = 0;
    s.segments = 0;
    ASSIGN_OR_RETURN(auto file, HashingFile::Create(p_.dir, s.file, p_.piece_size_bytes));
    const double segment_seconds = p_.encoder ? p_.encoder->segment_seconds : 6;
    ASSIGN_OR_RETURN(writer_, Fmp4Writer::Open(std::move(file), streams, segment_seconds, p_.segment_starts));
    return Status::Ok();
  }

  Status SeekToStart() {
    const int index = video_index_ >= 0 ? video_index_ : audio_index_;
    const AVRational tb = in_->streams[index]->time_base;
    const int64_t offset = video_index_ >= 0 ? video_offset_ : audio_offset_;
    const int64_t target = offset + static_cast<int64_t>(std::floor(p_.start_seconds / av_q2d(tb)));
    RETURN_IF_ERROR(av::AvStatus(av_seek_frame(in_.get(), index, target, AVSEEK_FLAG_BACKWARD),
                                 "seek " + p_.parent_file.string()));
    return Status::Ok();
  }

  Status OnVideoPacket(AVPacket* pkt) {
    if (video_done_ || pkt->pts == AV_NOPTS_VALUE) return Status::Ok();
    const double t = VideoSeconds(pkt->pts);
    if (pkt->flags & AV_PKT_FLAG_KEY) {
      if (!gop_.empty()) RETURN_IF_ERROR(CloseGop(t));
      gop_start_seconds_ = t;
      if (t >= p_.end_seconds - half_frame_seconds_) {
        video_done_ = true;
        return WriteReady();
      }
    } else if (gop_.empty()) {
      return Status::Ok();  // before the first keyframe after the seek
    }
    av::PacketPtr copy(av_packet_clone(pkt));
    if (!copy) return Internal("out of memory");
    gop_end_seconds_ = std::max(gop_end_seconds_, t + static_cast<double>(pkt->duration) * av_q2d(video_tb_));
    gop_.push_back(std::move(copy));
    return Status::Ok();
  }

  Status OnAudioPacket(AVPacket* pkt) {
    if (audio_done_ || pkt->pts == AV_NOPTS_VALUE) return Status::Ok();
    const double t = AudioSeconds(pkt->pts);
    if (t >= p_.end_seconds - 1e-6) {
      audio_done_ = true;
      return WriteReady();
    }
    if (t < p_.start_seconds - 1e-6) return Status::Ok();
    av::PacketPtr copy(av_packet_clone(pkt));
    if (!copy) return Internal("out of memory");
    Rebase(copy.get(), audio_offset_ + std::llround(p_.start_seconds / av_q2d(audio_tb_)));
    pending_audio_.push_back(std::move(copy));
    return WriteReady();
  }

  // The GOP collected so far ends at `next_seconds`: copy it whole if the range holds it whole,
  // re-encode the part inside the range if the range cuts it, drop it if it lies outside.
  Status CloseGop(double next_seconds) {
    const double g0 = gop_start_seconds_, g1 = next_seconds;
    const double h = half_frame_seconds_;
    std::vector<av::PacketPtr> gop = std::move(gop_);
    gop_.clear();
    gop_end_seconds_ = 0;
    if (g1 <= p_.start_seconds + h || g0 >= p_.end_seconds - h) return Status::Ok();
    if (p_.want_poster && !result_.poster) {
      RETURN_IF_ERROR(DecodeGop(gop, [&](AVFrame* f, double t) -> Status {
        if (!result_.poster && t >= p_.start_seconds - h) result_.poster.reset(av_frame_clone(f));
        return Status::Ok();
      }));
    }
    if (g0 >= p_.start_seconds - h && g1 <= p_.end_seconds + h) {
      const int64_t shift = video_offset_ + std::llround(p_.start_seconds / av_q2d(video_tb_));
      for (auto& pkt : gop) {
        Rebase(pkt.get(), shift);
        pending_video_.push_back(std::move(pkt));
      }
      ++result_.gops_copied;
      return WriteReady();
    }
    ++result_.gops_reencoded;
    return Reencode(gop);
  }

  template <typename Fn>
  Status DecodeGop(const std::vector<av::PacketPtr>& gop, Fn&& on_frame) {
    const AVCodecParameters* par = in_->streams[video_index_]->codecpar;
    const AVCodec* codec = avcodec_find_decoder(par->codec_id);
    if (!codec) return UnsupportedInput("no decoder for the parent's video");
    av::CodecPtr dec(avcodec_alloc_context3(codec));
    av::FramePtr frame = av::NewFrame();
    if (!dec || !frame) return Internal("out of memory");
    RETURN_IF_ERROR(av::AvStatus(avcodec_parameters_to_context(dec.get(), par), "avcodec_parameters_to_context"));
    dec->pkt_timebase = video_tb_;
    RETURN_IF_ERROR(av::AvStatus(avcodec_open2(dec.get(), codec, nullptr), "avcodec_open2(decoder)"));
    auto drain = [&]() -> Status {
      for (;;) {
        ASSIGN_OR_RETURN(av::AvFlow flow, av::AvFlowOf(avcodec_receive_frame(dec.get(), frame.get()), "avcodec_receive_frame"));
        if (flow != av::AvFlow::kOk) return Status::Ok();
        const int64_t ts = frame->best_effort_timestamp != AV_NOPTS_VALUE ? frame->best_effort_timestamp : frame->pts;
        Status st = on_frame(frame.get(), VideoSeconds(ts));
        av_frame_unref(frame.get());
        RETURN_IF_ERROR(st);
      }
    };
    for (const auto& pkt : gop) {
      RETURN_IF_ERROR(av::AvStatus(avcodec_send_packet(dec.get(), pkt.get()), "avcodec_send_packet",
                                   StatusCode::kUnsupportedInput));
      RETURN_IF_ERROR(drain());
    }
    RETURN_IF_ERROR(av::AvStatus(avcodec_send_packet(dec.get(), nullptr), "avcodec_send_packet(flush)"));
    return drain();
  }

  // Decodes the GOP and encodes its frames inside the range as a GOP of its own, keyframe first.
  Status Reencode(const std::vector<av::PacketPtr>& gop) {
    ASSIGN_OR_RETURN(av::CodecPtr enc, OpenH264Encoder(*p_.encoder));
    const AVCodecParameters* par = in_->streams[video_index_]->codecpar;
    // The clip has one sample description: the re-encoded stretch must share the parent's SPS/PPS.
    const auto ours = ParameterSets(enc->extradata, enc->extradata_size);
    if (ours.empty() || ours != ParameterSets(par->extradata, par->extradata_size)) {
      return Internal("the re-encoded H.264 parameter sets differ from rendition " + p_.parent.name + "'s");
    }
    const int nal_length_size = (par->extradata[4] & 3) + 1;
    const double fps = p_.encoder->rung.fps.value();
    const double h = half_frame_seconds_;
    av::PacketPtr out = av::NewPacket();
    if (!out) return Internal("out of memory");
    bool first = true;
    auto receive = [&]() -> Status {
      for (;;) {
        ASSIGN_OR_RETURN(av::AvFlow flow, av::AvFlowOf(avcodec_receive_packet(enc.get(), out.get()), "avcodec_receive_packet"));
        if (flow != av::AvFlow::kOk) return Status::Ok();
        if (out->duration <= 0) out->duration = 1;
        RETURN_IF_ERROR(ToLengthPrefixed(out.get(), nal_length_size));
        av_packet_rescale_ts(out.get(), enc->time_base, video_tb_);
        av::PacketPtr p = av::NewPacket();
        if (!p) return Internal("out of memory");
        av_packet_move_ref(p.get(), out.get());
        pending_video_.push_back(std::move(p));
      }
    };
    RETURN_IF_ERROR(DecodeGop(gop, [&](AVFrame* f, double t) -> Status {
      if (t < p_.start_seconds - h || t >= p_.end_seconds - h) return Status::Ok();
      f->pts = std::llround((t - p_.start_seconds) * fps);
      f->pict_type = first ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
      first = false;
      RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc.get(), f), "avcodec_send_frame(libx264)"));
      return receive();
    }));
    RETURN_IF_ERROR(av::AvStatus(avcodec_send_frame(enc.get(), nullptr), "avcodec_send_frame(flush)"));
    RETURN_IF_ERROR(receive());
    return WriteReady();
  }

  // Writes what can be written in decode-time order; waits for the other stream otherwise.
  Status WriteReady() {
    const int audio_stream = video_index_ >= 0 ? 1 : 0;
    for (;;) {
      const bool have_v = !pending_video_.empty(), have_a = !pending_audio_.empty();
      bool take_video;
      if (have_v && have_a) {
        take_video = av_compare_ts(pending_video_.front()->dts, video_tb_, pending_audio_.front()->dts, audio_tb_) <= 0;
      } else if (have_v && audio_done_) {
        take_video = true;
      } else if (have_a && video_done_ && gop_.empty()) {
        take_video = false;
      } else {
        return Status::Ok();
      }
      auto& queue = take_video ? pending_video_ : pending_audio_;
      av::PacketPtr pkt = std::move(queue.front());
      queue.pop_front();
      RETURN_IF_ERROR(writer_->Write(pkt.get(), take_video ? 0 : audio_stream));
    }
  }

  const CutParams& p_;
  av::InputPtr in_;
  int video_index_ = -1, audio_index_ = -1;
  AVRational video_tb_{1, 1}, audio_tb_{1, 1};
  int64_t video_offset_ = 0, audio_offset_ = 0;
  double half_frame_seconds_ = 0.01;
  std::unique_ptr<Fmp4Writer> writer_;
  std::vector<av::PacketPtr> gop_;
  double gop_start_seconds_ = 0;
  double gop_end_seconds_ = 0;
  std::deque<av::PacketPtr> pending_video_;
  std::deque<av::PacketPtr> pending_audio_;
  bool video_done_ = false, audio_done_ = false;
  CutResult result_;
};

}  // namespace

Result<CutResult> CutRendition(const CutParams& params) {
  RenditionCutter cutter(params);
  return cutter.Run();
}

}  // namespace lm::transcoder
