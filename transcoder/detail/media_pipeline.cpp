#include "transcoder/detail/media_pipeline.h"

#include <algorithm>
#include <cmath>

#include "common/av_status.h"
#include "transcoder/detail/audio_encoder.h"
#include "transcoder/detail/audio_rendition.h"
#include "transcoder/detail/filter_chain.h"
#include "transcoder/detail/poster.h"
#include "transcoder/detail/video_rendition.h"

namespace lm::transcoder {

namespace {

std::string PrepFilters(const SourceInfo& info, bool interlaced, Rate fps) {
  std::string f;
  switch (info.rotation_degrees) {
    case 90: f += "transpose=dir=clock,"; break;
    case 180: f += "hflip,vflip,"; break;
    case 270: f += "transpose=dir=cclock,"; break;
    default: break;
  }
  if (interlaced) f += "bwdif=mode=send_frame:deint=interlaced,";
  f += "fps=fps=" + std::to_string(fps.num) + "/" + std::to_string(fps.den) + ":start_time=0";
  return f;
}

double Seconds(std::chrono::steady_clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Owns the branches: aborts and joins them on every path out.
class Branches {
 public:
  ~Branches() {
    for (auto& b : all_) b->Abort();
    for (auto& b : all_) (void)b->Join();
  }
  void Add(std::unique_ptr<Rendition> r) { all_.push_back(std::move(r)); }
  std::vector<std::unique_ptr<Rendition>>& all() { return all_; }
  void StartAll() {
    for (auto& b : all_) b->Start();
  }
  // Closes every queue (the branches finish what is queued) and joins; the first branch error.
  Status CloseAndJoin() {
    for (auto& b : all_) b->Close();
    return JoinAll();
  }
  // Stops every branch now and joins; the first branch error.
  Status AbortAndJoin() {
    for (auto& b : all_) b->Abort();
    return JoinAll();
  }
  double MinDoneSeconds() const {
    double m = 1e18;
    for (const auto& b : all_) m = std::min(m, b->done_seconds());
    return all_.empty() ? 0 : m;
  }

 private:
  Status JoinAll() {
    Status first;
    for (auto& b : all_) {
      Status st = b->Join();
      if (first.ok() && !st.ok()) first = st;
    }
    return first;
  }

  std::vector<std::unique_ptr<Rendition>> all_;
};

const Status kBranchStopped(StatusCode::kCancelled, "a rendition branch stopped");

}  // namespace

Result<MediaPipelineResult> RunMediaPipeline(MediaSource& source, const MediaPipelineParams& p) {
  const SourceInfo& info = source.info();
  const Ladder& ladder = *p.ladder;
  const double segment_seconds = ladder.segment_seconds;

  std::vector<PlannedRung> rungs;
  Rate out_fps;
  if (info.has_video) {
    out_fps = OutputRate(info.avg_fps, ladder.max_fps);
    rungs = PlanVideoRungs(ladder, info.display_width, info.display_height, out_fps);
  }

  // AAC encoders run on this (the decode) thread; their packets are shared by reference.
  Branches branches;
  std::vector<Rendition*> video_branches;
  std::vector<Rendition*> audio_branches;  // the audio-only rendition, if any
  std::unique_ptr<AudioEncoder> muxed_audio;  // with the video
  std::unique_ptr<AudioEncoder> solo_audio;   // audio-only rendition

  auto fan_out_packet = [](const std::vector<Rendition*>& targets, const AVPacket* pkt) -> Status {
    for (Rendition* r : targets) {
      RenditionInput in;
      in.audio.reset(av_packet_clone(pkt));
      if (!in.audio) return Internal("out of memory");
      if (!r->Push(std::move(in))) return kBranchStopped;
    }
    return Status::Ok();
  };

  if (info.has_audio) {
    if (!rungs.empty()) {
      ASSIGN_OR_RETURN(muxed_audio, AudioEncoder::Create(ladder.with_video, [&](AVPacket* pkt) {
                         return fan_out_packet(video_branches, pkt);
                       }));
    }
    ASSIGN_OR_RETURN(solo_audio, AudioEncoder::Create(ladder.audio_only, [&](AVPacket* pkt) {
                       return fan_out_packet(audio_branches, pkt);
                     }));
  }

  const AVRational prep_time_base{out_fps.den, out_fps.num};
  for (const auto& rung : rungs) {
    VideoRenditionConfig cfg;
    cfg.rung = rung;
    cfg.input_fps = out_fps;
    cfg.input_time_base = prep_time_base;
    cfg.x264_preset = ladder.x264_preset;
    cfg.x264_profile = ladder.x264_profile;
    cfg.threads = p.encoder_threads;
    cfg.audio = muxed_audio ? muxed_audio->codec() : nullptr;
    auto r = std::make_unique<VideoRendition>(std::move(cfg), p.dir, p.piece_size_bytes, segment_seconds);
    video_branches.push_back(r.get());
    branches.Add(std::move(r));
  }
  if (solo_audio) {
    auto r = std::make_unique<AudioRendition>(ladder.audio_only_name, solo_audio->codec(), p.dir, p.piece_size_bytes,
                                              segment_seconds);
    audio_branches.push_back(r.get());
    branches.Add(std::move(r));
  }
  branches.StartAll();

  // Poster: the first prepared frame at or after a third of the lesson (capped at 30 s), or the
  // last frame of a shorter one.
  const double poster_at = info.duration_seconds > 0 ? std::min(info.duration_seconds / 3.0, 30.0) : 0.0;
  av::FramePtr poster_frame;
  bool poster_fixed = false;

  auto on_prepared = [&](AVFrame* f) -> Status {
    f->pkt_duration = 1;  // one frame at the constant output rate (the source's value is stale)
    if (!poster_fixed) {
      poster_frame.reset(av_frame_clone(f));
      const double t = static_cast<double>(f->pts) * av_q2d(prep_time_base);
      poster_fixed = t >= poster_at;
    }
    for (Rendition* r : video_branches) {
      RenditionInput in;
      in.video.reset(av_frame_clone(f));  // a new reference to the same buffers
      if (!in.video) return Internal("out of memory");
      if (!r->Push(std::move(in))) return kBranchStopped;
    }
    return Status::Ok();
  };

  const AVRational src_tb = source.video_time_base();
  std::optional<FilterChain> prep;
  int64_t last_video_pts = AV_NOPTS_VALUE;
  auto last_progress = std::chrono::steady_clock::now();

  auto on_frame = [&](MediaSource::Kind kind, AVFrame* frame, double seconds) -> Status {
    if (kind == MediaSource::Kind::kVideo) {
      if (rungs.empty()) return Status::Ok();
      if (!prep) {
        const bool interlaced = info.interlaced || frame->interlaced_frame;
        const int64_t nominal = av_rescale_q(1, prep_time_base, src_tb);
        prep.emplace(PrepFilters(info, interlaced, out_fps), src_tb, nominal, 0, on_prepared);
      }
      int64_t pts = seconds >= 0 ? std::llround(seconds / av_q2d(src_tb)) : AV_NOPTS_VALUE;
      if (pts == AV_NOPTS_VALUE || (last_video_pts != AV_NOPTS_VALUE && pts <= last_video_pts)) {
        // Missing or repeated timestamps: step one frame past the previous one.
        pts = last_video_pts == AV_NOPTS_VALUE ? 0 : last_video_pts + std::max<int64_t>(1, av_rescale_q(1, prep_time_base, src_tb));
      }
      last_video_pts = pts;
      frame->pts = pts;
      RETURN_IF_ERROR(prep->Push(frame));
    } else {
      if (muxed_audio) RETURN_IF_ERROR(muxed_audio->Push(frame, seconds));
      if (solo_audio) RETURN_IF_ERROR(solo_audio->Push(frame, seconds));
    }
    const auto now = std::chrono::steady_clock::now();
    if (p.progress && *p.progress && now - last_progress > std::chrono::milliseconds(250)) {
      last_progress = now;
      (*p.progress)({branches.MinDoneSeconds(), info.duration_seconds, Seconds(now - p.started)});
    }
    return Status::Ok();
  };
  auto keep_going = [&] { return !(p.cancel && p.cancel->load(std::memory_order_relaxed)); };

  Status st = source.Run(on_frame, keep_going);
  if (st.ok() && prep) st = prep->Flush();
  if (st.ok() && muxed_audio) st = muxed_audio->Flush();
  if (st.ok() && solo_audio) st = solo_audio->Flush();
  if (!st.ok()) {
    Status branch = branches.AbortAndJoin();
    // A branch that failed first explains why the decode side stopped.
    return (!branch.ok() && st.message() == kBranchStopped.message()) ? branch : st;
  }
  RETURN_IF_ERROR(branches.CloseAndJoin());

  MediaPipelineResult result;
  for (auto& b : branches.all()) {
    result.renditions.push_back(std::move(b->output()));
    result.duration_seconds = std::max(result.duration_seconds, b->done_seconds());
  }
  if (poster_frame) {
    const auto& top = rungs.front();
    ASSIGN_OR_RETURN(std::string jpeg, EncodePosterJpeg(poster_frame.get(), top.width, top.height));
    ASSIGN_OR_RETURN(FileDigest d, WriteHashedFile(p.dir, "poster.jpg", jpeg, p.piece_size_bytes));
    result.poster = std::move(d);
  }
  if (p.progress && *p.progress) {
    (*p.progress)({result.duration_seconds, info.duration_seconds, Seconds(std::chrono::steady_clock::now() - p.started)});
  }
  return result;
}

}  // namespace lm::transcoder
