#include "transcoder/detail/pipeline_pass.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/av_status.h"
#include "transcoder/detail/audio_rendition.h"

namespace lm::transcoder {

namespace {

// `start_seconds`: the first output frame's time, a whole number of frames (a chunk's pass starts
// at its pre-roll, not at 0, so that the rate filter does not fill the time before with copies).
std::string PrepFilters(const SourceInfo& info, bool interlaced, Rate fps, double start_seconds) {
  std::string f;
  switch (info.rotation_degrees) {
    case 90: f += "transpose=dir=clock,"; break;
    case 180: f += "hflip,vflip,"; break;
    case 270: f += "transpose=dir=cclock,"; break;
    default: break;
  }
  if (interlaced) f += "bwdif=mode=send_frame:deint=interlaced,";
  char start[64];
  std::snprintf(start, sizeof start, "%.17g", start_seconds);
  f += "fps=fps=" + std::to_string(fps.num) + "/" + std::to_string(fps.den) + ":start_time=" + start;
  return f;
}

// A chunk's pass decodes from the keyframe at or before this much ahead of its first frame, so
// that the deinterlacer and the rate filter have settled by then.
constexpr int kChunkPrerollSeconds = 1;

}  // namespace

// Nice 8 weighs a lesser branch at about a seventh of the 720p encoder when they share a core (CFS
// weights 1024 and 149), so the long pole keeps pace with decoding and is not left alone at the
// end; 3 used both cores 94-95% of a run, 6 and 8 97-98%, 10 and 12 97% (bench/RESULTS.md,
// 2026-12-01).
const int kLesserBranchNice = 8;

std::filesystem::path ChunkSpoolPath(const std::filesystem::path& dir, const std::string& rung, int chunk) {
  return dir / (rung + "." + std::to_string(chunk) + ".h264pkt");
}

std::filesystem::path AudioSpoolPath(const std::filesystem::path& dir) { return dir / "aac.pkt"; }

void ReportProgress(const MediaPipelineParams& p, double done_seconds, double total_seconds) {
  if (!p.progress || !*p.progress) return;
  const auto elapsed = std::chrono::steady_clock::now() - p.started;
  (*p.progress)({done_seconds, total_seconds, std::chrono::duration<double>(elapsed).count()});
}

Branches::~Branches() {
  for (auto& b : all_) b->Abort();
  for (auto& b : all_) (void)b->Join();
}

Status Branches::StartAll() {
  for (auto& b : all_) RETURN_IF_ERROR(b->Start());
  return Status::Ok();
}

Status Branches::CloseAndJoin() {
  for (auto& b : all_) b->Close();
  return JoinAll();
}

Status Branches::AbortAndJoin() {
  for (auto& b : all_) b->Abort();
  return JoinAll();
}

double Branches::MinDoneSeconds() const {
  double m = 1e18;
  for (const auto& b : all_) m = std::min(m, b->done_seconds());
  return all_.empty() ? 0 : m;
}

Status Branches::JoinAll() {
  Status first;
  for (auto& b : all_) {
    Status st = b->Join();
    if (first.ok() && !st.ok()) first = st;
  }
  return first;
}

RungPlan PlanRungs(const SourceInfo& info, const Ladder& ladder) {
  RungPlan plan;
  if (info.has_video) {
    plan.fps = OutputRate(info.avg_fps, ladder.max_fps);
    plan.rungs = PlanVideoRungs(ladder, info.display_width, info.display_height, plan.fps);
  }
  plan.time_base = AVRational{plan.fps.den, plan.fps.num};
  return plan;
}

VideoRenditionConfig RungConfig(const RungPlan& plan, const PlannedRung& rung, const Ladder& ladder) {
  VideoRenditionConfig cfg;
  cfg.rung = rung;
  cfg.input_fps = plan.fps;
  cfg.input_time_base = plan.time_base;
  cfg.x264_preset = ladder.x264_preset;
  cfg.x264_profile = ladder.x264_profile;
  return cfg;
}

PipelinePass::PipelinePass(MediaSource& source, const MediaPipelineParams& params, PassPlan plan)
    : source_(source), p_(params), plan_(std::move(plan)), info_(source.info()), ladder_(*params.ladder) {}

PipelinePass::~PipelinePass() = default;

Result<PassResult> PipelinePass::Run() {
  const bool chunk = plan_.kind == PassPlan::Kind::kVideoChunk;
  if (plan_.kind != PassPlan::Kind::kWhole) source_.Select(chunk, !chunk);
  RETURN_IF_ERROR(StartBranches());
  if (chunk && plan_.first_frame > 0) {
    const int64_t preroll = std::llround(kChunkPrerollSeconds * rung_plan_.fps.value());
    prep_start_seconds_ =
        static_cast<double>(std::max<int64_t>(0, plan_.first_frame - preroll)) * av_q2d(rung_plan_.time_base);
    // Should the seek fail, the pass decodes from the start and passes on its chunk's frames only.
    (void)source_.SeekTo(prep_start_seconds_);
  }
  // A chunk's pass stops reading at its end.
  Status st = source_.Run(
      [this](MediaSource::Kind kind, AVFrame* frame, double seconds) { return OnFrame(kind, frame, seconds); },
      [this] {
        if (p_.cancel && p_.cancel->load(std::memory_order_relaxed)) return MediaSource::Next::kCancel;
        return chunk_done_ ? MediaSource::Next::kStop : MediaSource::Next::kRead;
      });
  // A chunk that starts past the media's real end (the container said longer) decodes nothing,
  // and its rungs' spools stay empty.
  if (chunk && source_.frames_decoded() == 0 && st.code() == StatusCode::kUnsupportedInput) st = Status::Ok();
  if (st.ok()) st = Flush();
  if (!st.ok()) {
    Status branch = branches_.AbortAndJoin();
    // A branch that failed first explains why the decode side stopped.
    return (branch_stopped_ && !branch.ok()) ? branch : st;
  }
  RETURN_IF_ERROR(branches_.CloseAndJoin());
  done_seconds_.store(branches_.MinDoneSeconds(), std::memory_order_relaxed);
  return Collect();
}

// The video rungs, the AAC encoders (run on this thread; their packets shared by reference or
// spooled) and this pass's branches, started.
Status PipelinePass::StartBranches() {
  using Kind = PassPlan::Kind;
  rung_plan_ = PlanRungs(info_, ladder_);
  src_tb_ = source_.video_time_base();
  if (info_.has_audio && plan_.kind != Kind::kVideoChunk) {
    if (!rung_plan_.rungs.empty()) {
      PacketSpoolWriter* spool = nullptr;
      if (plan_.kind == Kind::kAudio) {
        ASSIGN_OR_RETURN(muxed_spool_, PacketSpoolWriter::Create(AudioSpoolPath(plan_.spool_dir)));
        spool = muxed_spool_.get();
      }
      ASSIGN_OR_RETURN(muxed_audio_, AudioEncoder::Create(ladder_.with_video, [this, spool](AVPacket* pkt) {
                         return spool ? spool->Write(pkt) : FanOutPacket(video_branches_, pkt);
                       }));
    }
    ASSIGN_OR_RETURN(solo_audio_, AudioEncoder::Create(ladder_.audio_only, [this](AVPacket* pkt) {
                       return FanOutPacket(audio_branches_, pkt);
                     }));
  }
  if (plan_.kind != Kind::kAudio) {
    for (const auto& rung : rung_plan_.rungs) {
      VideoRenditionConfig cfg = RungConfig(rung_plan_, rung, ladder_);
      if (plan_.kind == Kind::kVideoChunk) {
        cfg.spool = ChunkSpoolPath(plan_.spool_dir, rung.rung.name, plan_.chunk);
      } else {
        cfg.audio = muxed_audio_ ? muxed_audio_->codec() : nullptr;
      }
      auto r = std::make_unique<VideoRendition>(std::move(cfg), p_.dir, p_.piece_size_bytes, ladder_.segment_seconds);
      if (!video_branches_.empty()) r->set_nice(kLesserBranchNice);  // rungs come largest first
      video_branches_.push_back(r.get());
      branches_.Add(std::move(r));
    }
  }
  if (solo_audio_) {
    auto r = std::make_unique<AudioRendition>(ladder_.audio_only_name, solo_audio_->codec(), p_.dir,
                                              p_.piece_size_bytes, ladder_.segment_seconds);
    if (!rung_plan_.rungs.empty()) r->set_nice(kLesserBranchNice);
    audio_branches_.push_back(r.get());
    branches_.Add(std::move(r));
  }
  // Poster: the first prepared frame at or after a third of the lesson (capped at 30 s), or the
  // last frame of a shorter one.
  poster_at_ = info_.duration_seconds > 0 ? std::min(info_.duration_seconds / 3.0, 30.0) : 0.0;
  return branches_.StartAll();
}

Status PipelinePass::BranchStopped() {
  branch_stopped_ = true;
  return Cancelled("a rendition branch stopped");
}

Status PipelinePass::FanOutPacket(const std::vector<Rendition*>& targets, const AVPacket* pkt) {
  for (Rendition* r : targets) {
    RenditionInput in;
    in.audio.reset(av_packet_clone(pkt));
    if (!in.audio) return Internal("out of memory");
    if (!r->Push(std::move(in))) return BranchStopped();
  }
  return Status::Ok();
}

// A decoded frame: video goes through the preparing filters, audio to the AAC encoders.
Status PipelinePass::OnFrame(MediaSource::Kind kind, AVFrame* frame, double seconds) {
  if (kind == MediaSource::Kind::kVideo) {
    if (video_branches_.empty()) return Status::Ok();
    RETURN_IF_ERROR(OnVideoFrame(frame, seconds));
  } else {
    if (muxed_audio_) RETURN_IF_ERROR(muxed_audio_->Push(frame, seconds));
    if (solo_audio_) RETURN_IF_ERROR(solo_audio_->Push(frame, seconds));
  }
  const auto now = std::chrono::steady_clock::now();
  if (now - last_progress_ > std::chrono::milliseconds(250)) {
    last_progress_ = now;
    done_seconds_.store(branches_.MinDoneSeconds(), std::memory_order_relaxed);
    if (plan_.kind == PassPlan::Kind::kWhole) ReportProgress(p_, done_seconds(), info_.duration_seconds);
  }
  return Status::Ok();
}

Status PipelinePass::OnVideoFrame(AVFrame* frame, double seconds) {
  const AVRational src_tb = src_tb_;
  const AVRational prep_tb = rung_plan_.time_base;
  if (!prep_) {
    const bool interlaced = info_.interlaced || frame->interlaced_frame;
    const int64_t nominal = av_rescale_q(1, prep_tb, src_tb);
    prep_.emplace(PrepFilters(info_, interlaced, rung_plan_.fps, prep_start_seconds_), src_tb, nominal, p_.threads,
                  [this](AVFrame* f) { return OnPrepared(f); });
  }
  int64_t pts = seconds >= 0 ? std::llround(seconds / av_q2d(src_tb)) : AV_NOPTS_VALUE;
  if (pts == AV_NOPTS_VALUE || (last_video_pts_ != AV_NOPTS_VALUE && pts <= last_video_pts_)) {
    // Missing or repeated timestamps: step one frame past the previous one.
    pts = last_video_pts_ == AV_NOPTS_VALUE ? 0
                                            : last_video_pts_ + std::max<int64_t>(1, av_rescale_q(1, prep_tb, src_tb));
  }
  last_video_pts_ = pts;
  frame->pts = pts;
  return prep_->Push(frame);
}

// A prepared frame: kept as the poster candidate, and a new reference to its buffers for every
// video branch. A chunk's pass passes on only the frames of its chunk.
Status PipelinePass::OnPrepared(AVFrame* f) {
  if (f->pts < plan_.first_frame) return Status::Ok();
  if (f->pts >= plan_.end_frame) {
    chunk_done_ = true;
    return Status::Ok();
  }
  f->pkt_duration = 1;  // one frame at the constant output rate (the source's value is stale)
  if (!poster_.reached) {
    poster_.frame.reset(av_frame_clone(f));
    const double t = static_cast<double>(f->pts) * av_q2d(rung_plan_.time_base);
    poster_.reached = t >= poster_at_;
  }
  for (Rendition* r : video_branches_) {
    RenditionInput in;
    in.video.reset(av_frame_clone(f));
    if (!in.video) return Internal("out of memory");
    if (!r->Push(std::move(in))) return BranchStopped();
  }
  return Status::Ok();
}

// The end of the input: what the filters and encoders still hold.
Status PipelinePass::Flush() {
  if (prep_) RETURN_IF_ERROR(prep_->Flush());
  if (muxed_audio_) RETURN_IF_ERROR(muxed_audio_->Flush());
  if (solo_audio_) RETURN_IF_ERROR(solo_audio_->Flush());
  if (muxed_spool_) RETURN_IF_ERROR(muxed_spool_->Close());
  return Status::Ok();
}

PassResult PipelinePass::Collect() {
  PassResult result;
  if (plan_.kind != PassPlan::Kind::kVideoChunk) {
    for (auto& b : branches_.all()) {
      result.renditions.push_back(std::move(b->output()));
      result.duration_seconds = std::max(result.duration_seconds, b->done_seconds());
    }
  }
  result.poster = std::move(poster_);
  return result;
}

}  // namespace lm::transcoder
