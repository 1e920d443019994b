#include "transcoder/detail/fmp4_writer.h"

#include <algorithm>
#include <cmath>

extern "C" {
#include <libavutil/opt.h>
}

#include "common/av_status.h"

namespace lm::transcoder {

namespace {
constexpr int kAvioBufferSize = 256 * 1024;
}

int Fmp4Writer::WritePacketCallback(void* opaque, std::uint8_t* buf, int size) {
  auto* self = static_cast<Fmp4Writer*>(opaque);
  Status st = self->file_->Write(buf, static_cast<size_t>(size));
  if (!st.ok()) {
    self->io_status_ = st;
    return AVERROR(EIO);
  }
  return size;
}

Result<std::unique_ptr<Fmp4Writer>> Fmp4Writer::Open(std::unique_ptr<HashingFile> file,
                                                     const std::vector<StreamSpec>& streams,
                                                     double segment_seconds,
                                                     std::vector<double> segment_starts) {
  std::unique_ptr<Fmp4Writer> w(new Fmp4Writer());
  w->file_ = std::move(file);
  w->segment_seconds_ = segment_seconds;
  w->segment_starts_ = std::move(segment_starts);

  AVFormatContext* raw = nullptr;
  RETURN_IF_ERROR(av::AvStatus(avformat_alloc_output_context2(&raw, nullptr, "mp4", nullptr),
                               "avformat_alloc_output_context2"));
  w->ctx_.reset(raw);

  auto* buffer = static_cast<std::uint8_t*>(av_malloc(kAvioBufferSize));
  if (!buffer) return Internal("out of memory");
  w->avio_.reset(avio_alloc_context(buffer, kAvioBufferSize, 1, w.get(), nullptr, &WritePacketCallback, nullptr));
  if (!w->avio_) {
    av_free(buffer);
    return Internal("avio_alloc_context failed");
  }
  w->avio_->seekable = 0;
  w->ctx_->pb = w->avio_.get();
  w->ctx_->flags |= AVFMT_FLAG_CUSTOM_IO | AVFMT_FLAG_BITEXACT;

  for (const auto& spec : streams) {
    AVStream* st = avformat_new_stream(w->ctx_.get(), nullptr);
    if (!st) return Internal("avformat_new_stream failed");
    RETURN_IF_ERROR(av::AvStatus(avcodec_parameters_copy(st->codecpar, spec.params), "avcodec_parameters_copy"));
    st->codecpar->codec_tag = 0;
    st->time_base = spec.time_base;
    w->in_time_bases_.push_back(spec.time_base);
  }

  AVDictionary* opts = nullptr;
  // One fragment per segment, cut where we say; CMAF brands; no mfra index at the end.
  av_dict_set(&opts, "movflags", "+frag_custom+empty_moov+delay_moov+default_base_moof+cmaf+negative_cts_offsets+skip_trailer", 0);
  int ret = avformat_write_header(w->ctx_.get(), &opts);
  av_dict_free(&opts);
  if (!w->io_status_.ok()) return w->io_status_;
  RETURN_IF_ERROR(av::AvStatus(ret, "avformat_write_header(mp4)"));
  return w;
}

Fmp4Writer::~Fmp4Writer() = default;

Status Fmp4Writer::Flush() {
  int ret = av_write_frame(ctx_.get(), nullptr);
  avio_flush(ctx_->pb);
  if (!io_status_.ok()) return io_status_;
  return av::AvStatus(ret, "av_write_frame(flush fragment)");
}

int Fmp4Writer::SegmentIndexAt(double t) const {
  if (segment_starts_.empty()) return std::max(0, static_cast<int>(std::floor((t + 1e-3) / segment_seconds_)));
  const auto after = std::upper_bound(segment_starts_.begin(), segment_starts_.end(), t + 1e-3);
  return std::max(0, static_cast<int>(after - segment_starts_.begin()) - 1);
}

Status Fmp4Writer::CloseFragment() {
  if (!fragment_open_) return Status::Ok();
  if (!moov_written_) {
    // With delay_moov the first flush writes only ftyp+moov (now that every track's first
    // timestamps are known, so the edit lists are right); that is the init section.
    RETURN_IF_ERROR(Flush());
    init_ = {0, file_->bytes_written()};
    moov_written_ = true;
  }
  const std::int64_t start = file_->bytes_written();
  RETURN_IF_ERROR(Flush());
  Segment seg;
  seg.bytes = {start, file_->bytes_written() - start};
  seg.start_seconds = fragment_start_seconds_;
  segments_.push_back(seg);
  fragment_open_ = false;
  return Status::Ok();
}

Status Fmp4Writer::Write(AVPacket* pkt, int stream) {
  const AVRational in_tb = in_time_bases_[static_cast<size_t>(stream)];
  if (stream == 0 && pkt->pts != AV_NOPTS_VALUE) {
    const double t = static_cast<double>(pkt->pts) * av_q2d(in_tb);
    const int index = SegmentIndexAt(t);
    if ((pkt->flags & AV_PKT_FLAG_KEY) && index > current_segment_index_) {
      // Whatever came before the first key packet (leading audio) belongs to the first segment.
      if (current_segment_index_ >= 0) RETURN_IF_ERROR(CloseFragment());
      fragment_start_seconds_ = current_segment_index_ < 0 ? 0.0 : t;
      current_segment_index_ = index;
    }
    const double duration = pkt->duration > 0 ? static_cast<double>(pkt->duration) * av_q2d(in_tb) : 0;
    end_seconds_ = std::max(end_seconds_, t + duration);
  }
  fragment_open_ = true;
  AVStream* st = ctx_->streams[stream];
  av_packet_rescale_ts(pkt, in_tb, st->time_base);
  pkt->stream_index = stream;
  int ret = av_write_frame(ctx_.get(), pkt);
  if (!io_status_.ok()) return io_status_;
  return av::AvStatus(ret, "av_write_frame");
}

Result<FileDigest> Fmp4Writer::Finish() {
  RETURN_IF_ERROR(CloseFragment());
  int ret = av_write_trailer(ctx_.get());
  avio_flush(ctx_->pb);
  if (!io_status_.ok()) return io_status_;
  RETURN_IF_ERROR(av::AvStatus(ret, "av_write_trailer"));
  for (size_t i = 0; i < segments_.size(); ++i) {
    const double next = (i + 1 < segments_.size()) ? segments_[i + 1].start_seconds : end_seconds_;
    segments_[i].duration_seconds = std::max(0.0, next - segments_[i].start_seconds);
  }
  if (!segments_.empty() && file_->bytes_written() != segments_.back().bytes.offset + segments_.back().bytes.length) {
    return Internal("mp4 muxer wrote bytes after the last fragment");
  }
  return file_->Close();
}

}  // namespace lm::transcoder
