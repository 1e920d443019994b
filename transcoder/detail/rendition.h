#pragma once
// One rendition of a lesson, encoded on its own thread: the decode thread pushes shared frame and
// packet references into its queue; the branch filters, encodes and writes its fMP4 file.
// Subclasses: VideoRendition (scale + x264, with the shared AAC track muxed in) and
// AudioRendition (the audio-only AAC track). The pipeline owns every branch and joins it.

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/bundle.h"
#include "transcoder/detail/fmp4_writer.h"
#include "transcoder/detail/work_queue.h"

namespace lm::transcoder {

// Exactly one of the two is set. Both hold references to buffers shared with other branches.
struct RenditionInput {
  av::FramePtr video;
  av::PacketPtr audio;  // in the time base the branch was given
};

// What a finished branch hands back for the playlists, the manifest and the torrent.
struct RenditionOutput {
  RenditionSummary summary;  // bandwidth fields are filled by the pipeline from the segments
  FileDigest media;
  ByteRange init;
  std::vector<Segment> segments;
};

class Rendition {
 public:
  virtual ~Rendition();

  // Starts the branch's thread; kInternal if the system has no thread to give.
  Status Start();
  // Before Start: the branch's thread runs at this nice value (higher = yields the processor to
  // the others), best effort. The pipeline lowers every branch but the longest, so that one, the
  // ladder's critical path now that each encoder is one thread, gets a core whenever it has work
  // and is not left alone at the end while the other core idles.
  void set_nice(int nice) { nice_ = nice; }
  bool Push(RenditionInput input) { return queue_.Push(std::move(input)); }
  void Close() { queue_.Close(); }
  void Abort() { queue_.Abort(); }
  // Waits for the thread; the branch's first error, or ok.
  Status Join();

  double done_seconds() const { return done_seconds_.load(std::memory_order_relaxed); }
  const std::string& name() const { return name_; }
  RenditionOutput& output() { return output_; }

 protected:
  Rendition(std::string name, std::filesystem::path dir, int piece_size_bytes, double segment_seconds);

  // Run on the branch thread.
  virtual Status Open() = 0;
  virtual Status Process(RenditionInput& input) = 0;
  virtual Status Finish() = 0;

  Result<std::unique_ptr<Fmp4Writer>> OpenWriter(const std::vector<StreamSpec>& streams);
  Status FinishWriter(Fmp4Writer& writer);
  void set_done_seconds(double s) { done_seconds_.store(s, std::memory_order_relaxed); }

  const std::string name_;
  const std::filesystem::path dir_;
  const int piece_size_bytes_;
  const double segment_seconds_;
  RenditionOutput output_;

 private:
  void Run();

  WorkQueue<RenditionInput> queue_;
  std::atomic<double> done_seconds_{0};
  int nice_ = 0;
  Status status_;
  std::jthread thread_;
};

}  // namespace lm::transcoder
