#include "transcoder/detail/audio_rendition.h"

#include "transcoder/detail/codec_string.h"

namespace lm::transcoder {

AudioRendition::AudioRendition(std::string name, const AVCodecContext* encoder, std::filesystem::path dir,
                               int piece_size_bytes, double segment_seconds)
    : Rendition(std::move(name), std::move(dir), piece_size_bytes, segment_seconds),
      params_(avcodec_parameters_alloc()),
      time_base_(encoder->time_base) {
  if (params_) avcodec_parameters_from_context(params_.get(), encoder);
  output_.summary.codecs = AacCodecString(encoder);
}

AudioRendition::~AudioRendition() {
  Abort();
  (void)Join();
}

Status AudioRendition::Open() {
  if (!params_) return Internal("out of memory");
  ASSIGN_OR_RETURN(writer_, OpenWriter({{params_.get(), time_base_}}));
  return Status::Ok();
}

Status AudioRendition::Process(RenditionInput& input) {
  if (!input.audio) return Status::Ok();
  AVPacket* p = input.audio.get();
  p->flags |= AV_PKT_FLAG_KEY;  // every AAC frame is a sync sample
  if (p->pts != AV_NOPTS_VALUE) set_done_seconds(static_cast<double>(p->pts) * av_q2d(time_base_));
  return writer_->Write(p, 0);
}

Status AudioRendition::Finish() { return FinishWriter(*writer_); }

}  // namespace lm::transcoder
