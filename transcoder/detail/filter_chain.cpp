#include "transcoder/detail/filter_chain.h"

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
}

#include <algorithm>

#include "common/av_status.h"

namespace lm::transcoder {

FilterChain::FilterChain(std::string description, AVRational time_base, int64_t frame_duration, int threads,
                         FrameFn on_frame)
    : description_(std::move(description)),
      time_base_(time_base),
      frame_duration_(std::max<int64_t>(1, frame_duration)),
      threads_(threads),
      on_frame_(std::move(on_frame)),
      out_(av::NewFrame()) {}

Status FilterChain::Build(const AVFrame* frame) {
  graph_.reset(avfilter_graph_alloc());
  if (!graph_ || !out_) return Internal("out of memory");
  graph_->nb_threads = threads_;
  AVRational sar = frame->sample_aspect_ratio.num > 0 ? frame->sample_aspect_ratio : AVRational{1, 1};
  std::string args = "video_size=" + std::to_string(frame->width) + "x" + std::to_string(frame->height) +
                     ":pix_fmt=" + std::to_string(frame->format) + ":time_base=" + std::to_string(time_base_.num) +
                     "/" + std::to_string(time_base_.den) + ":pixel_aspect=" + std::to_string(sar.num) + "/" +
                     std::to_string(sar.den);
  RETURN_IF_ERROR(av::AvStatus(avfilter_graph_create_filter(&src_, avfilter_get_by_name("buffer"), "in",
                                                            args.c_str(), nullptr, graph_.get()),
                               "create buffer source"));
  RETURN_IF_ERROR(av::AvStatus(
      avfilter_graph_create_filter(&sink_, avfilter_get_by_name("buffersink"), "out", nullptr, nullptr, graph_.get()),
      "create buffer sink"));

  AVFilterInOut* outputs = avfilter_inout_alloc();
  AVFilterInOut* inputs = avfilter_inout_alloc();
  outputs->name = av_strdup("in");
  outputs->filter_ctx = src_;
  inputs->name = av_strdup("out");
  inputs->filter_ctx = sink_;
  int ret = avfilter_graph_parse_ptr(graph_.get(), description_.c_str(), &inputs, &outputs, nullptr);
  avfilter_inout_free(&inputs);
  avfilter_inout_free(&outputs);
  RETURN_IF_ERROR(av::AvStatus(ret, "parse filter \"" + description_ + "\""));
  RETURN_IF_ERROR(av::AvStatus(avfilter_graph_config(graph_.get(), nullptr), "configure filter graph"));
  out_time_base_ = av_buffersink_get_time_base(sink_);
  width_ = frame->width;
  height_ = frame->height;
  format_ = frame->format;
  return Status::Ok();
}

Status FilterChain::Push(const AVFrame* frame) {
  if (!graph_ || frame->width != width_ || frame->height != height_ || frame->format != format_) {
    if (graph_) RETURN_IF_ERROR(Flush());
    RETURN_IF_ERROR(Build(frame));
  }
  if (frame->pts != AV_NOPTS_VALUE) {
    end_pts_ = frame->pts + (frame->pkt_duration > 0 ? frame->pkt_duration : frame_duration_);
  }
  RETURN_IF_ERROR(av::AvStatus(
      av_buffersrc_add_frame_flags(src_, const_cast<AVFrame*>(frame), AV_BUFFERSRC_FLAG_KEEP_REF),
      "av_buffersrc_add_frame"));
  return Drain();
}

Status FilterChain::Flush() {
  if (!graph_) return Status::Ok();
  // Ending the input at the end of the last frame (not at its start) lets a frame-rate filter
  // keep that frame.
  if (end_pts_ != AV_NOPTS_VALUE) {
    RETURN_IF_ERROR(av::AvStatus(av_buffersrc_close(src_, end_pts_, AV_BUFFERSRC_FLAG_PUSH), "close buffer source"));
  } else {
    RETURN_IF_ERROR(av::AvStatus(av_buffersrc_add_frame_flags(src_, nullptr, 0), "flush buffer source"));
  }
  RETURN_IF_ERROR(Drain());
  graph_.reset();
  src_ = sink_ = nullptr;
  return Status::Ok();
}

Status FilterChain::Drain() {
  for (;;) {
    int ret = av_buffersink_get_frame(sink_, out_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return Status::Ok();
    RETURN_IF_ERROR(av::AvStatus(ret, "av_buffersink_get_frame"));
    Status st = on_frame_(out_.get());
    av_frame_unref(out_.get());
    RETURN_IF_ERROR(st);
  }
}

AVRational FilterChain::output_time_base() const {
  return out_time_base_.num ? out_time_base_ : time_base_;
}

}  // namespace lm::transcoder
