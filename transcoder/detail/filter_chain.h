#pragma once
// A linear libavfilter video chain: buffer source -> `description` -> buffer sink, built from the
// first frame's properties (and rebuilt if they change). Used once after decoding (rotate,
// deinterlace, constant frame rate) and once per rendition (frame rate, scale, pixel format).
// Owned by one thread; not thread-safe.

#include <functional>
#include <string>

#include "common/av_handles.h"
#include "common/status.h"

namespace lm::transcoder {

class FilterChain {
 public:
  using FrameFn = std::function<Status(AVFrame*)>;  // output frame; callee may ref it

  // `time_base` is that of the pts of frames to be pushed; `frame_duration` (in it) is assumed for
  // a frame that does not carry its own, so the last frame is kept to its full length at the end.
  // `threads` 0 = libavfilter's choice.
  FilterChain(std::string description, AVRational time_base, int64_t frame_duration, int threads, FrameFn on_frame);

  // The frame is referenced, not copied; the caller keeps its own reference.
  Status Push(const AVFrame* frame);
  Status Flush();

  AVRational output_time_base() const;

 private:
  Status Build(const AVFrame* frame);
  Status Drain();

  std::string description_;
  AVRational time_base_;
  int64_t frame_duration_;
  int64_t end_pts_ = AV_NOPTS_VALUE;  // pts + duration of the last frame pushed
  int threads_;
  FrameFn on_frame_;
  av::FilterGraphPtr graph_;
  AVFilterContext* src_ = nullptr;   // owned by graph_
  AVFilterContext* sink_ = nullptr;  // owned by graph_
  av::FramePtr out_;
  AVRational out_time_base_{};
  int width_ = 0, height_ = 0, format_ = -1;
};

}  // namespace lm::transcoder
