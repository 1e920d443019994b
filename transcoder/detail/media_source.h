#pragma once
// Opens an upload with libavformat, picks its best video and audio streams, opens their decoders
// and yields decoded frames with times on the lesson timeline (seconds from the source's start).
// Also describes the source (display size after rotation, frame rate, interlacing) for planning.
// Owned by the decode thread; not thread-safe.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/ladder.h"

namespace lm::transcoder {

struct SourceInfo {
  std::string container;  // "mov,mp4,m4a,3gp,3g2,mj2"
  double duration_seconds = 0;
  bool has_video = false;
  bool has_audio = false;
  std::string video_codec;
  int coded_width = 0;
  int coded_height = 0;
  int display_width = 0;   // after rotation and sample aspect ratio
  int display_height = 0;
  int rotation_degrees = 0;  // clockwise rotation to apply: 0, 90, 180, 270
  Rate avg_fps;
  bool interlaced = false;
  std::string audio_codec;
  int audio_channels = 0;
  int audio_sample_rate = 0;
};

class MediaSource {
 public:
  enum class Kind { kVideo, kAudio };
  // Called for every decoded frame; `seconds` is its time on the lesson timeline.
  using FrameFn = std::function<Status(Kind, AVFrame*, double seconds)>;

  // `decoder_threads` 0 = one per core; decoding is bit-exact at any count.
  static Result<std::unique_ptr<MediaSource>> Open(const std::filesystem::path& path, int decoder_threads = 0);

  const SourceInfo& info() const { return info_; }
  AVRational video_time_base() const;

  // Decodes only the streams named from here on (a lesson's audio and its chunks of video are
  // decoded by separate passes); a stream the source lacks stays absent.
  void Select(bool video, bool audio);
  // Starts decoding from the last keyframe at or before `seconds` on the lesson timeline.
  Status SeekTo(double seconds);

  // What Run does next, asked between packets.
  enum class Next {
    kRead,    // read on
    kStop,    // the caller has all it wants (a chunk's last frame): return ok, decoders not drained
    kCancel,  // return kCancelled
  };
  // Demuxes and decodes to the end, calling `on_frame`, unless `next` says otherwise.
  // Fails with kUnsupportedInput if nothing at all could be decoded.
  Status Run(const FrameFn& on_frame, const std::function<Next()>& next);

  std::int64_t frames_decoded() const { return video_frames_ + audio_frames_; }

 private:
  MediaSource() = default;
  Status OpenDecoder(int stream_index, int threads, av::CodecPtr* out);
  Status Decode(AVCodecContext* dec, const AVPacket* pkt, Kind kind, const FrameFn& on_frame);

  av::InputPtr input_;
  av::CodecPtr video_dec_;
  av::CodecPtr audio_dec_;
  int video_index_ = -1;
  int audio_index_ = -1;
  double start_seconds_ = 0;
  SourceInfo info_;
  av::FramePtr frame_;
  std::int64_t video_frames_ = 0;
  std::int64_t audio_frames_ = 0;
  int decode_errors_ = 0;
  bool decode_video_ = true;
  bool decode_audio_ = true;
};

}  // namespace lm::transcoder
