#include "transcoder/detail/media_pipeline.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "transcoder/detail/pipeline_pass.h"
#include "transcoder/detail/poster.h"

namespace lm::transcoder {

namespace fs = std::filesystem;

namespace {

Result<std::optional<FileDigest>> WritePoster(const AVFrame* frame, const RungPlan& plan, const MediaPipelineParams& p) {
  if (!frame || plan.rungs.empty()) return std::optional<FileDigest>();
  const auto& top = plan.rungs.front();
  ASSIGN_OR_RETURN(std::string jpeg, EncodePosterJpeg(frame, top.width, top.height));
  ASSIGN_OR_RETURN(FileDigest d, WriteHashedFile(p.dir, "poster.jpg", jpeg, p.piece_size_bytes));
  return std::optional<FileDigest>(std::move(d));
}

Result<MediaPipelineResult> RunWhole(MediaSource& source, const MediaPipelineParams& p) {
  PipelinePass pass(source, p, PassPlan{});
  ASSIGN_OR_RETURN(PassResult r, pass.Run());
  MediaPipelineResult result;
  result.renditions = std::move(r.renditions);
  result.duration_seconds = r.duration_seconds;
  ASSIGN_OR_RETURN(result.poster, WritePoster(r.poster.frame.get(), PlanRungs(source.info(), *p.ladder), p));
  ReportProgress(p, result.duration_seconds, source.info().duration_seconds);
  return result;
}

// Removes a long lesson's packet spools on every path out.
class SpoolDir {
 public:
  explicit SpoolDir(fs::path path) : path_(std::move(path)) {}
  ~SpoolDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  Status Create() {
    std::error_code ec;
    fs::create_directories(path_, ec);
    if (ec) return IoError("create " + path_.string() + ": " + ec.message());
    return Status::Ok();
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A long lesson: its audio pass and its chunks' passes, `jobs` at a time, then the stitching.
class ChunkedRun {
 public:
  ChunkedRun(MediaSource& source, const MediaPipelineParams& p, std::vector<std::int64_t> starts)
      : source_(source),
        p_(p),
        starts_(std::move(starts)),
        first_chunk_(source.info().has_audio ? 1 : 0),
        spools_(p.dir / ".chunks") {
    pass_params_ = p;
    pass_params_.cancel = &stop_;
    pass_params_.progress = nullptr;
  }

  Result<MediaPipelineResult> Run() {
    RETURN_IF_ERROR(spools_.Create());
    const SourceInfo& info = source_.info();
    plan_ = PlanRungs(info, *p_.ladder);
    // Pass 0 is the audio, on a thread of its own beside the chunks' (it holds no video decoder
    // or x264 encoder, so it adds little memory); then the chunks in order, `jobs` at a time.
    const int chunks = static_cast<int>(starts_.size());
    const int passes = chunks + static_cast<int>(first_chunk_);
    results_.resize(static_cast<size_t>(passes));
    passes_.resize(static_cast<size_t>(passes));
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int jobs = std::min(chunks, p_.jobs > 0 ? p_.jobs : DefaultJobs(cores));
    // Each chunk's decoder gets its share of the cores; bit-exact at any count.
    if (pass_params_.threads == 0) pass_params_.threads = std::max(1, static_cast<int>(cores) / jobs);
    {
      std::vector<std::jthread> workers;
      try {
        if (first_chunk_ == 1) workers.emplace_back([this] { Finish(RunPass(0)); });
        next_.store(static_cast<int>(first_chunk_));
      } catch (const std::system_error&) {
        // The chunks' workers take the audio pass too.
      }
      const size_t audio_threads = workers.size();
      try {
        for (int i = 0; i < jobs; ++i) workers.emplace_back([this] { Work(); });
      } catch (const std::system_error& e) {
        // The workers that did start take every chunk; with none, nothing would.
        if (workers.size() == audio_threads) {
          stop_.store(true);
          return Internal(std::string("cannot start a transcoding thread: ") + e.what());
        }
      }
      std::unique_lock lock(mu_);
      while (finished_ < passes) {
        done_cv_.wait_for(lock, std::chrono::milliseconds(250));
        if (p_.cancel && p_.cancel->load(std::memory_order_relaxed)) stop_.store(true);
        // Read under the lock: a pass that finishes clears its entry and is then destroyed.
        const double done = DoneSeconds();
        lock.unlock();
        ReportProgress(p_, done, info.duration_seconds);
        lock.lock();
      }
    }
    if (p_.cancel && p_.cancel->load()) return Cancelled();
    if (!error_.ok()) return error_;
    return Stitch();
  }

 private:
  // Chunks at once when the caller leaves it to us: half the cores. One pass already keeps two
  // cores 98% busy, and every pass at once holds its own decoder, queues and encoders (about
  // 280 MiB at 1080p), so on two cores the chunks run one after another and memory stays that of
  // one pass however long the lesson (bench/RESULTS.md, 2026-12-02).
  static int DefaultJobs(unsigned cores) { return std::max(1, static_cast<int>(cores / 2)); }

  // Runs the chunks' passes (and the audio's, if it has no thread of its own) until none is left
  // or one failed.
  void Work() {
    for (;;) {
      const int i = next_.fetch_add(1);
      if (i >= static_cast<int>(passes_.size())) return;
      Finish(stop_.load() ? Cancelled() : RunPass(i));
      ReleaseFreedMemory();
    }
  }

  void Finish(const Status& st) {
    std::lock_guard lock(mu_);
    if (!st.ok()) {
      // The first failure is the reason; the others were stopped by it.
      if (error_.ok() || (error_.code() == StatusCode::kCancelled && st.code() != StatusCode::kCancelled)) {
        error_ = st;
      }
      stop_.store(true);
    }
    ++finished_;
    done_cv_.notify_all();
  }

  Status RunPass(int i) {
    const bool audio = first_chunk_ == 1 && i == 0;
    const int chunk = i - static_cast<int>(first_chunk_);
    PassPlan plan;
    plan.spool_dir = spools_.path();
    MediaSource* source = &source_;
    std::unique_ptr<MediaSource> own;
    if (audio) {
      plan.kind = PassPlan::Kind::kAudio;
    } else {
      plan.kind = PassPlan::Kind::kVideoChunk;
      plan.chunk = chunk;
      plan.first_frame = starts_[static_cast<size_t>(chunk)];
      if (static_cast<size_t>(chunk) + 1 < starts_.size()) plan.end_frame = starts_[static_cast<size_t>(chunk) + 1];
      ASSIGN_OR_RETURN(own, MediaSource::Open(p_.source_path, pass_params_.threads));
      source = own.get();
    }
    auto pass = std::make_unique<PipelinePass>(*source, pass_params_, plan);
    {
      std::lock_guard lock(mu_);
      passes_[static_cast<size_t>(i)].pass = pass.get();
    }
    auto result = pass->Run();
    std::lock_guard lock(mu_);
    passes_[static_cast<size_t>(i)].done = pass->done_seconds();
    passes_[static_cast<size_t>(i)].pass = nullptr;
    if (!result.ok()) return result.status();
    results_[static_cast<size_t>(i)] = std::move(result).value();
    // The audio pass's muxed AAC encoder gives the stitched renditions their audio parameters.
    if (audio) {
      audio_pass_ = std::move(pass);
    } else {
      DropPostersNeverPicked();
    }
    return Status::Ok();
  }

  // Each chunk's pass keeps a full-size frame as its poster candidate, but Stitch picks one: the
  // first chunk's that reached the poster's time, or else the last frame. Frames that can no
  // longer be picked are let go as chunks finish, so that memory does not grow with the number
  // of chunks: one that did not reach the time with a finished later chunk's frame to follow,
  // and any after a finished chunk that reached it. Called with mu_ held.
  void DropPostersNeverPicked() {
    bool later_frame = false;
    for (size_t i = results_.size(); i-- > first_chunk_;) {
      if (!results_[i]) continue;
      PosterPick& pick = results_[i]->poster;
      const bool had_frame = pick.frame != nullptr;
      if (!pick.reached && later_frame) pick.frame.reset();
      later_frame = later_frame || had_frame;
    }
    bool reached_earlier = false;
    for (size_t i = first_chunk_; i < results_.size(); ++i) {
      if (!results_[i]) continue;
      PosterPick& pick = results_[i]->poster;
      if (reached_earlier) pick.frame.reset();
      reached_earlier = reached_earlier || pick.reached;
    }
  }

  // Media time done, summed over the passes of the video: each chunk's time its slowest rung has
  // reached. Called with mu_ held.
  double DoneSeconds() const {
    double done = 0;
    for (size_t i = first_chunk_; i < passes_.size(); ++i) {
      const auto& s = passes_[i];
      const double reached = s.pass ? s.pass->done_seconds() : s.done;
      const double start = static_cast<double>(starts_[i - first_chunk_]) * av_q2d(plan_.time_base);
      done += std::max(0.0, reached - start);
    }
    return done;
  }

  Result<MediaPipelineResult> Stitch() {
    const Ladder& ladder = *p_.ladder;
    const AVCodecContext* audio = audio_pass_ ? audio_pass_->muxed_audio_codec() : nullptr;
    Branches stitchers;
    for (const auto& rung : plan_.rungs) {
      VideoRenditionConfig cfg = RungConfig(plan_, rung, ladder);
      for (size_t k = 0; k < starts_.size(); ++k) {
        cfg.stitch.push_back(ChunkSpoolPath(spools_.path(), rung.rung.name, static_cast<int>(k)));
      }
      cfg.audio = audio;
      cfg.audio_spool = AudioSpoolPath(spools_.path());
      stitchers.Add(std::make_unique<VideoRendition>(std::move(cfg), p_.dir, p_.piece_size_bytes, ladder.segment_seconds));
    }
    RETURN_IF_ERROR(stitchers.StartAll());
    RETURN_IF_ERROR(stitchers.CloseAndJoin());

    MediaPipelineResult result;
    for (auto& b : stitchers.all()) {
      result.renditions.push_back(std::move(b->output()));
      result.duration_seconds = std::max(result.duration_seconds, b->done_seconds());
    }
    if (first_chunk_ == 1) {
      for (auto& r : results_[0]->renditions) result.renditions.push_back(std::move(r));
      result.duration_seconds = std::max(result.duration_seconds, results_[0]->duration_seconds);
    }
    // The poster as one pass over the whole would pick it: the first frame at or after its time,
    // or else the last frame.
    const AVFrame* poster = nullptr;
    for (size_t i = first_chunk_; i < results_.size(); ++i) {
      const PosterPick& pick = results_[i]->poster;
      if (pick.frame) poster = pick.frame.get();
      if (pick.reached) break;
    }
    ASSIGN_OR_RETURN(result.poster, WritePoster(poster, plan_, p_));
    ReportProgress(p_, result.duration_seconds, source_.info().duration_seconds);
    return result;
  }

  struct PassState {
    const PipelinePass* pass = nullptr;  // while it runs
    double done = 0;                     // once it has run
  };

  MediaSource& source_;
  const MediaPipelineParams& p_;
  MediaPipelineParams pass_params_;
  const std::vector<std::int64_t> starts_;
  const size_t first_chunk_;  // the first chunk's pass: 1 when pass 0 is the audio's, else 0
  SpoolDir spools_;
  RungPlan plan_;
  std::atomic<bool> stop_{false};
  std::atomic<int> next_{0};
  std::mutex mu_;
  std::condition_variable done_cv_;
  int finished_ = 0;                             // guarded by mu_
  Status error_;                                 // guarded by mu_
  std::vector<PassState> passes_;                // guarded by mu_
  std::vector<std::optional<PassResult>> results_;  // each written by its pass's worker
  std::unique_ptr<PipelinePass> audio_pass_;
};

}  // namespace

// A pass frees its decoder, frame queues and encoders, a few hundred MiB; glibc keeps the pages of
// the threads' arenas, and the next pass's allocations land elsewhere in them. Without this a long
// lesson's peak memory crept up chunk by chunk, and a process that made five bundles of 20 s one
// after another held 108-133 MiB between them, against 81-102 MiB with it (bench/RESULTS.md,
// 2026-12-02).
void ReleaseFreedMemory() {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

std::vector<std::int64_t> ChunkStarts(double duration_seconds, int chunk_seconds, Rate fps) {
  std::vector<std::int64_t> starts = {0};
  if (chunk_seconds <= 0 || fps.num <= 0 || !(duration_seconds > 0)) return starts;
  const auto chunks = static_cast<std::int64_t>(std::floor(duration_seconds / chunk_seconds));
  for (std::int64_t k = 1; k < chunks; ++k) {
    // The first frame whose time is within the segment keyframe rule's millisecond of k chunks
    // (video_rendition.cpp forces a keyframe there).
    starts.push_back(static_cast<std::int64_t>(
        std::ceil((static_cast<double>(k * chunk_seconds) - 1e-3) * fps.value())));
  }
  return starts;
}

Result<MediaPipelineResult> RunMediaPipeline(MediaSource& source, const MediaPipelineParams& params) {
  const SourceInfo& info = source.info();
  const RungPlan plan = PlanRungs(info, *params.ladder);
  std::vector<std::int64_t> starts;
  // Chunks only from containers with an index to seek by (a chunk's pass must start at a keyframe
  // before its first frame, never after); MPEG-TS, FLV, AVI and the rest are one pass.
  const bool indexed = info.container.starts_with("mov,mp4") || info.container.starts_with("matroska");
  if (!plan.rungs.empty() && !params.source_path.empty() && indexed) {
    starts = ChunkStarts(info.duration_seconds, params.ladder->chunk_seconds, plan.fps);
  }
  if (starts.size() < 2) return RunWhole(source, params);
  ChunkedRun run(source, params, std::move(starts));
  return run.Run();
}

}  // namespace lm::transcoder
