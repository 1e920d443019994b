#pragma once
// The rendition ladder: which video rungs and audio renditions a lesson is encoded to, and how a
// ladder is fitted to one source (never upscale, portrait stays portrait, low rung at low fps).
// Plain values; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace lm::transcoder {

struct VideoRung {
  std::string name;      // "720p": also the rendition's file stem
  int short_side = 0;    // 720 for 1280x720 or for portrait 720x1280
  int bitrate_kbps = 0;  // target; VBV max rate is the same, buffer twice that
  int max_fps = 0;       // 0 = the source rate (capped by Ladder::max_fps)
};

struct AudioProfile {
  int bitrate_kbps = 0;
  int channels = 0;
  int sample_rate = 48000;
};

struct Ladder {
  std::string name;
  std::vector<VideoRung> video;  // largest first
  AudioProfile with_video;       // muxed into every video rendition
  AudioProfile audio_only;       // the audio-only rendition
  std::string audio_only_name = "audio";
  int segment_seconds = 6;       // keyframe and fragment interval
  std::string x264_preset = "veryfast";
  std::string x264_profile = "high";
  int max_fps = 30;              // sources above this are reduced to it
  // A lesson at least twice this long is encoded in chunks of this many seconds (a whole number
  // of segments), on as many encoders at once as there are cores to spare; the chunks' bounds
  // depend on the lesson alone, so its bytes do not depend on the machine. Minute-long chunks
  // cost +0.2% bytes and -0.01 dB against one encoder for the whole (bench/RESULTS.md).
  int chunk_seconds = 60;

  // A string that changes whenever anything that changes the output changes; part of the lesson id.
  std::string Fingerprint() const;
};

// "lesson": 720p 1800k, 480p 900k, 360p 500k, 240p@15 200k, AAC 96k stereo, audio-only 48k mono.
Result<Ladder> LadderByName(std::string_view name);

// The ladder a bundle was made with, from the fingerprint in its lesson.json ("settings"): the
// named ladder with the segment length, x264 preset and profile and chunk length the fingerprint
// records (one made before chunks were recorded gets the default: its encoders were the same).
// kUnsupportedInput for a fingerprint of another pipeline version or an unknown ladder.
Result<Ladder> LadderFromFingerprint(std::string_view fingerprint);

// A frame rate as a fraction.
struct Rate {
  int num = 0;
  int den = 1;
  double value() const { return den ? static_cast<double>(num) / den : 0.0; }
  bool operator==(const Rate&) const = default;
};

// One rung fitted to a source.
struct PlannedRung {
  VideoRung rung;
  int width = 0;   // even, square pixels
  int height = 0;  // even
  Rate fps;
};

// Source display size (after rotation and sample aspect) and its constant output rate.
// Returns the rungs whose short side does not exceed the source's; a source smaller than the
// smallest rung gets that rung at its own (even) size.
std::vector<PlannedRung> PlanVideoRungs(const Ladder& ladder, int display_width, int display_height, Rate source_fps);

// The constant output rate for a source whose average rate is `avg` (0/0 if unknown): snapped to
// the common rates, capped at `max_fps`.
Rate OutputRate(Rate avg, int max_fps);

}  // namespace lm::transcoder
