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
  // Starts every branch; the first that cannot start. The destructor stops those that did.
  Status StartAll() {
    for (auto& b : all_) RETURN_IF_ERROR(b->Start());
    return Status::Ok();
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

// Nice value of every branch but the largest video rung's. Nice 8 weighs a lesser branch at about a
// seventh of the 720p encoder when they share a core (CFS weights 1024 and 149), so the long pole
// keeps pace with decoding and is not left alone at the end; 3 used both cores 94-95% of a run, 6 and
// 8 97-98%, 10 and 12 97% (bench/RESULTS.md, 2026-12-01).
constexpr int kLesserBranchNice = 8;

// One run of the media half of a bundle. Plans the renditions, starts one branch per rendition,
// feeds them from the decode thread (this one), and collects their files and the poster. Holds
// callbacks into itself: neither copied nor moved. Used by one thread.
class MediaPipeline {
 public:
  MediaPipeline(MediaSource& source, const MediaPipelineParams& p)
      : source_(source), p_(p), info_(source.info()), ladder_(*p.ladder) {}
  MediaPipeline(const MediaPipeline&) = delete;
  MediaPipeline& operator=(const MediaPipeline&) = delete;

  Result<MediaPipelineResult> Run() {
    RETURN_IF_ERROR(StartBranches());
    Status st = source_.Run([this](MediaSource::Kind kind, AVFrame* frame,
                                   double seconds) { return OnFrame(kind, frame, seconds); },
                            [this] { return !(p_.cancel && p_.cancel->load(std::memory_order_relaxed)); });
    if (st.ok()) st = Flush();
    if (!st.ok()) {
      Status branch = branches_.AbortAndJoin();
      // A branch that failed first explains why the decode side stopped.
      return (!branch.ok() && st.message() == kBranchStopped.message()) ? branch : st;
    }
    RETURN_IF_ERROR(branches_.CloseAndJoin());
    return Collect();
  }

 private:
  // The video rungs, the AAC encoders (run on this thread; their packets shared by reference) and
  // one branch per rendition, started.
  Status StartBranches() {
    if (info_.has_video) {
      out_fps_ = OutputRate(info_.avg_fps, ladder_.max_fps);
      rungs_ = PlanVideoRungs(ladder_, info_.display_width, info_.display_height, out_fps_);
    }
    prep_time_base_ = AVRational{out_fps_.den, out_fps_.num};
    src_tb_ = source_.video_time_base();
    if (info_.has_audio) {
      if (!rungs_.empty()) {
        ASSIGN_OR_RETURN(muxed_audio_, AudioEncoder::Create(ladder_.with_video, [this](AVPacket* pkt) {
                           return FanOutPacket(video_branches_, pkt);
                         }));
      }
      ASSIGN_OR_RETURN(solo_audio_, AudioEncoder::Create(ladder_.audio_only, [this](AVPacket* pkt) {
                         return FanOutPacket(audio_branches_, pkt);
                       }));
    }
    for (const auto& rung : rungs_) {
      VideoRenditionConfig cfg;
      cfg.rung = rung;
      cfg.input_fps = out_fps_;
      cfg.input_time_base = prep_time_base_;
      cfg.x264_preset = ladder_.x264_preset;
      cfg.x264_profile = ladder_.x264_profile;
      cfg.audio = muxed_audio_ ? muxed_audio_->codec() : nullptr;
      auto r = std::make_unique<VideoRendition>(std::move(cfg), p_.dir, p_.piece_size_bytes, ladder_.segment_seconds);
      if (!video_branches_.empty()) r->set_nice(kLesserBranchNice);  // rungs come largest first
      video_branches_.push_back(r.get());
      branches_.Add(std::move(r));
    }
    if (solo_audio_) {
      auto r = std::make_unique<AudioRendition>(ladder_.audio_only_name, solo_audio_->codec(), p_.dir,
                                                p_.piece_size_bytes, ladder_.segment_seconds);
      if (!rungs_.empty()) r->set_nice(kLesserBranchNice);
      audio_branches_.push_back(r.get());
      branches_.Add(std::move(r));
    }
    // Poster: the first prepared frame at or after a third of the lesson (capped at 30 s), or the
    // last frame of a shorter one.
    poster_at_ = info_.duration_seconds > 0 ? std::min(info_.duration_seconds / 3.0, 30.0) : 0.0;
    return branches_.StartAll();
  }

  Status FanOutPacket(const std::vector<Rendition*>& targets, const AVPacket* pkt) {
    for (Rendition* r : targets) {
      RenditionInput in;
      in.audio.reset(av_packet_clone(pkt));
      if (!in.audio) return Internal("out of memory");
      if (!r->Push(std::move(in))) return kBranchStopped;
    }
    return Status::Ok();
  }

  // A decoded frame: video goes through the preparing filters, audio to the AAC encoders.
  Status OnFrame(MediaSource::Kind kind, AVFrame* frame, double seconds) {
    if (kind == MediaSource::Kind::kVideo) {
      if (rungs_.empty()) return Status::Ok();
      RETURN_IF_ERROR(OnVideoFrame(frame, seconds));
    } else {
      if (muxed_audio_) RETURN_IF_ERROR(muxed_audio_->Push(frame, seconds));
      if (solo_audio_) RETURN_IF_ERROR(solo_audio_->Push(frame, seconds));
    }
    const auto now = std::chrono::steady_clock::now();
    if (p_.progress && *p_.progress && now - last_progress_ > std::chrono::milliseconds(250)) {
      last_progress_ = now;
      (*p_.progress)({branches_.MinDoneSeconds(), info_.duration_seconds, Seconds(now - p_.started)});
    }
    return Status::Ok();
  }

  Status OnVideoFrame(AVFrame* frame, double seconds) {
    const AVRational src_tb = src_tb_;
    if (!prep_) {
      const bool interlaced = info_.interlaced || frame->interlaced_frame;
      const int64_t nominal = av_rescale_q(1, prep_time_base_, src_tb);
      prep_.emplace(PrepFilters(info_, interlaced, out_fps_), src_tb, nominal, p_.threads,
                    [this](AVFrame* f) { return OnPrepared(f); });
    }
    int64_t pts = seconds >= 0 ? std::llround(seconds / av_q2d(src_tb)) : AV_NOPTS_VALUE;
    if (pts == AV_NOPTS_VALUE || (last_video_pts_ != AV_NOPTS_VALUE && pts <= last_video_pts_)) {
      // Missing or repeated timestamps: step one frame past the previous one.
      pts = last_video_pts_ == AV_NOPTS_VALUE
                ? 0
                : last_video_pts_ + std::max<int64_t>(1, av_rescale_q(1, prep_time_base_, src_tb));
    }
    last_video_pts_ = pts;
    frame->pts = pts;
    return prep_->Push(frame);
  }

  // A prepared frame: kept as the poster candidate, and a new reference to its buffers for every
  // video branch.
  Status OnPrepared(AVFrame* f) {
    f->pkt_duration = 1;  // one frame at the constant output rate (the source's value is stale)
    if (!poster_fixed_) {
      poster_frame_.reset(av_frame_clone(f));
      const double t = static_cast<double>(f->pts) * av_q2d(prep_time_base_);
      poster_fixed_ = t >= poster_at_;
    }
    for (Rendition* r : video_branches_) {
      RenditionInput in;
      in.video.reset(av_frame_clone(f));
      if (!in.video) return Internal("out of memory");
      if (!r->Push(std::move(in))) return kBranchStopped;
    }
    return Status::Ok();
  }

  // The end of the input: what the filters and encoders still hold.
  Status Flush() {
    if (prep_) RETURN_IF_ERROR(prep_->Flush());
    if (muxed_audio_) RETURN_IF_ERROR(muxed_audio_->Flush());
    if (solo_audio_) RETURN_IF_ERROR(solo_audio_->Flush());
    return Status::Ok();
  }

  // Once every branch has finished: the rendition files and the poster.
  Result<MediaPipelineResult> Collect() {
    MediaPipelineResult result;
    for (auto& b : branches_.all()) {
      result.renditions.push_back(std::move(b->output()));
      result.duration_seconds = std::max(result.duration_seconds, b->done_seconds());
    }
    if (poster_frame_) {
      const auto& top = rungs_.front();
      ASSIGN_OR_RETURN(std::string jpeg, EncodePosterJpeg(poster_frame_.get(), top.width, top.height));
      ASSIGN_OR_RETURN(FileDigest d, WriteHashedFile(p_.dir, "poster.jpg", jpeg, p_.piece_size_bytes));
      result.poster = std::move(d);
    }
    if (p_.progress && *p_.progress) {
      (*p_.progress)(
          {result.duration_seconds, info_.duration_seconds, Seconds(std::chrono::steady_clock::now() - p_.started)});
    }
    return result;
  }

  MediaSource& source_;
  const MediaPipelineParams& p_;
  const SourceInfo& info_;
  const Ladder& ladder_;
  std::vector<PlannedRung> rungs_;
  Rate out_fps_;
  AVRational prep_time_base_{0, 1};  // the prepared frames': one tick per output frame
  AVRational src_tb_{0, 1};          // the decoded video's

  // Declared first, so destroyed last: aborts and joins the branches after everything that feeds them.
  Branches branches_;
  std::vector<Rendition*> video_branches_;
  std::vector<Rendition*> audio_branches_;      // the audio-only rendition, if any
  std::unique_ptr<AudioEncoder> muxed_audio_;  // with the video
  std::unique_ptr<AudioEncoder> solo_audio_;   // audio-only rendition

  double poster_at_ = 0;
  av::FramePtr poster_frame_;
  bool poster_fixed_ = false;
  std::optional<FilterChain> prep_;
  int64_t last_video_pts_ = AV_NOPTS_VALUE;
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

}  // namespace

Result<MediaPipelineResult> RunMediaPipeline(MediaSource& source, const MediaPipelineParams& params) {
  MediaPipeline pipeline(source, params);
  return pipeline.Run();
}

}  // namespace lm::transcoder
