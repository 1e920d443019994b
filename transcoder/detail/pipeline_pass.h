#pragma once
// One decode pass of a lesson's media: decode, prepare frames once (rotate, deinterlace, constant
// rate), fan shared frame references out to one branch per rung, each scaling and encoding on its
// own thread, and encode AAC once, its packets shared by every video rendition. A short lesson is
// one pass that writes every rendition file. A long one is several (media_pipeline.h): one for
// its audio, which writes the audio-only rendition and spools the AAC that goes with the video,
// and one per chunk of its video, which spools each rung's H.264 for that stretch.

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/detail/audio_encoder.h"
#include "transcoder/detail/filter_chain.h"
#include "transcoder/detail/media_pipeline.h"
#include "transcoder/detail/media_source.h"
#include "transcoder/detail/packet_spool.h"
#include "transcoder/detail/rendition.h"
#include "transcoder/detail/video_rendition.h"

namespace lm::transcoder {

// What one pass covers.
struct PassPlan {
  enum class Kind {
    kWhole,       // audio and video, every rendition file written
    kAudio,       // audio only: the audio-only rendition written, the muxed AAC spooled
    kVideoChunk,  // video only, output frames [first_frame, end_frame): each rung spooled
  };
  Kind kind = Kind::kWhole;
  int chunk = 0;
  std::int64_t first_frame = 0;  // in output frames (the prepared frames' time base)
  std::int64_t end_frame = INT64_MAX;
  std::filesystem::path spool_dir;  // kAudio, kVideoChunk
};

// Where a long lesson's passes leave their packets.
std::filesystem::path ChunkSpoolPath(const std::filesystem::path& dir, const std::string& rung, int chunk);
std::filesystem::path AudioSpoolPath(const std::filesystem::path& dir);

// The branches of a pass, or of the stitching that follows a long lesson's passes: aborts and
// joins them on every path out.
class Branches {
 public:
  ~Branches();
  void Add(std::unique_ptr<Rendition> r) { all_.push_back(std::move(r)); }
  std::vector<std::unique_ptr<Rendition>>& all() { return all_; }
  // Starts every branch; the first that cannot start. The destructor stops those that did.
  Status StartAll();
  // Closes every queue (the branches finish what is queued) and joins; the first branch error.
  Status CloseAndJoin();
  // Stops every branch now and joins; the first branch error.
  Status AbortAndJoin();
  double MinDoneSeconds() const;

 private:
  Status JoinAll();
  std::vector<std::unique_ptr<Rendition>> all_;
};

// The poster: the first prepared frame at or after `at` seconds, or the last frame if none is.
struct PosterPick {
  av::FramePtr frame;
  bool reached = false;  // `frame` is at or after `at`
};

struct PassResult {
  std::vector<RenditionOutput> renditions;  // the files this pass wrote: video largest first, then audio
  PosterPick poster;                        // kWhole, kVideoChunk
  double duration_seconds = 0;
};

// The rungs a source is encoded to, at its constant output rate.
struct RungPlan {
  Rate fps;
  AVRational time_base{0, 1};  // the prepared frames': one tick per output frame
  std::vector<PlannedRung> rungs;
};
RungPlan PlanRungs(const SourceInfo& info, const Ladder& ladder);
// A rung's branch settings, as every pass and the stitching use them.
VideoRenditionConfig RungConfig(const RungPlan& plan, const PlannedRung& rung, const Ladder& ladder);

// Calls `p.progress`, if any, with the time since `p.started`.
void ReportProgress(const MediaPipelineParams& p, double done_seconds, double total_seconds);

// Nice value of every branch but the largest video rung's (see the .cpp).
extern const int kLesserBranchNice;

// Holds callbacks into itself: neither copied nor moved. Used by one thread; `done_seconds` may be
// read from any.
class PipelinePass {
 public:
  // `params.progress` is called only by a kWhole pass.
  PipelinePass(MediaSource& source, const MediaPipelineParams& params, PassPlan plan);
  PipelinePass(const PipelinePass&) = delete;
  PipelinePass& operator=(const PipelinePass&) = delete;
  ~PipelinePass();

  Result<PassResult> Run();

  // The media time every branch of this pass has reached.
  double done_seconds() const { return done_seconds_.load(std::memory_order_relaxed); }
  // A kAudio pass's muxed AAC encoder (for the stitched renditions' parameters); null if none.
  const AVCodecContext* muxed_audio_codec() const { return muxed_audio_ ? muxed_audio_->codec() : nullptr; }

 private:
  Status StartBranches();
  // A branch refused a frame or packet: it failed (its own error says why) or was aborted.
  Status BranchStopped();
  Status FanOutPacket(const std::vector<Rendition*>& targets, const AVPacket* pkt);
  Status OnFrame(MediaSource::Kind kind, AVFrame* frame, double seconds);
  Status OnVideoFrame(AVFrame* frame, double seconds);
  Status OnPrepared(AVFrame* f);
  Status Flush();
  PassResult Collect();

  MediaSource& source_;
  const MediaPipelineParams& p_;
  const PassPlan plan_;
  const SourceInfo& info_;
  const Ladder& ladder_;
  RungPlan rung_plan_;
  AVRational src_tb_{0, 1};  // the decoded video's

  // Declared first, so destroyed last: aborts and joins the branches after everything that feeds them.
  Branches branches_;
  std::vector<Rendition*> video_branches_;
  std::vector<Rendition*> audio_branches_;      // the audio-only rendition, if any
  std::unique_ptr<AudioEncoder> muxed_audio_;  // with the video
  std::unique_ptr<AudioEncoder> solo_audio_;   // audio-only rendition
  std::unique_ptr<PacketSpoolWriter> muxed_spool_;  // kAudio: where the muxed AAC goes

  double poster_at_ = 0;
  PosterPick poster_;
  std::optional<FilterChain> prep_;
  double prep_start_seconds_ = 0;  // the first prepared frame's time: a chunk's pre-roll, or 0
  int64_t last_video_pts_ = AV_NOPTS_VALUE;
  bool branch_stopped_ = false;
  bool chunk_done_ = false;  // kVideoChunk: a frame at or past end_frame was prepared
  std::atomic<double> done_seconds_{0};
  std::chrono::steady_clock::time_point last_progress_ = std::chrono::steady_clock::now();
};

}  // namespace lm::transcoder
