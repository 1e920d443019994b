#include "transcoder/detail/rendition.h"

#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include <system_error>

namespace lm::transcoder {

namespace {
// Pictures in flight per branch: enough to keep every encoder busy, few enough that memory does
// not depend on the lesson's length (a 1080p picture is 3 MiB, and the slowest branch's queue
// holds the most). Until 2026-12-02 the bound was 24 items of either kind, which with the AAC
// interleaved came to about 9 pictures in a one-pass transcode but 24 in a long lesson's chunks
// (video only), 45 MiB more at 1080p. About 4 pictures were as fast as 9, 2 slower
// (bench/RESULTS.md, 2026-12-02).
constexpr size_t kPictureCapacity = 10;
// Items of either kind: the audio packets between those pictures (47 a second of AAC against 30
// pictures), or an audio-only branch's queue.
constexpr size_t kItemCapacity = 256;

bool IsPicture(const RenditionInput& in) { return in.video != nullptr; }
}  // namespace

Rendition::Rendition(std::string name, std::filesystem::path dir, int piece_size_bytes, double segment_seconds)
    : name_(std::move(name)),
      dir_(std::move(dir)),
      piece_size_bytes_(piece_size_bytes),
      segment_seconds_(segment_seconds),
      queue_(kItemCapacity, kPictureCapacity, &IsPicture) {}

Rendition::~Rendition() {
  queue_.Abort();
  // jthread joins.
}

Status Rendition::Start() {
  try {
    thread_ = std::jthread([this] {
      // "lm-720p": names the branch in top, perf and gdb (15 characters at most).
      pthread_setname_np(pthread_self(), ("lm-" + name_).substr(0, 15).c_str());
      // This thread only (Linux: a thread id names one thread); raising one's own nice value
      // needs no privilege, and output never depends on it.
      if (nice_ != 0) (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice_);
      Run();
    });
  } catch (const std::system_error& e) {
    return Internal("cannot start the thread of rendition " + name_ + ": " + e.what());
  }
  return Status::Ok();
}

void Rendition::Run() {
  Status st = Open();
  while (st.ok()) {
    std::optional<RenditionInput> input = queue_.Pop();
    if (!input) break;
    st = Process(*input);
  }
  // An aborted branch (another failed, or the transcode was cancelled) writes nothing more: its
  // file is thrown away, and a Finish over what it had would fail with an error of its own
  // ("no media reached ...") that could hide the one that stopped the pass.
  if (st.ok() && !queue_.aborted()) st = Finish();
  if (!st.ok()) {
    status_ = st.WithContext("rendition " + name_);
    queue_.Abort();  // unblocks the decode thread; it sees Push fail and stops
  }
}

Status Rendition::Join() {
  if (thread_.joinable()) thread_.join();
  return status_;
}

Result<std::unique_ptr<Fmp4Writer>> Rendition::OpenWriter(const std::vector<StreamSpec>& streams) {
  output_.summary.name = name_;
  output_.summary.file = name_ + ".mp4";
  output_.summary.playlist = name_ + ".m3u8";
  ASSIGN_OR_RETURN(auto file, HashingFile::Create(dir_, output_.summary.file, piece_size_bytes_));
  return Fmp4Writer::Open(std::move(file), streams, segment_seconds_);
}

Status Rendition::FinishWriter(Fmp4Writer& writer) {
  ASSIGN_OR_RETURN(output_.media, writer.Finish());
  output_.init = writer.init();
  output_.segments = writer.segments();
  output_.summary.size_bytes = output_.media.size_bytes;
  output_.summary.segments = static_cast<int>(output_.segments.size());
  set_done_seconds(writer.end_seconds());
  if (output_.segments.empty()) return UnsupportedInput("no media reached the " + name_ + " rendition");
  return Status::Ok();
}

}  // namespace lm::transcoder
