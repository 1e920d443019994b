#include "transcoder/ladder.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lm::transcoder {

namespace {

// Bumped whenever the pipeline's output changes for the same settings.
constexpr int kPipelineVersion = 1;

int EvenAtLeast2(double v) { return std::max(2, static_cast<int>(std::lround(v / 2.0)) * 2); }

}  // namespace

std::string Ladder::Fingerprint() const {
  std::string s = "lm" + std::to_string(kPipelineVersion) + ";" + name + ";seg=" + std::to_string(segment_seconds) +
                  ";x264=" + x264_preset + "/" + x264_profile + ";maxfps=" + std::to_string(max_fps) +
                  ";chunk=" + std::to_string(chunk_seconds);
  for (const auto& r : video) {
    s += ";" + r.name + ":" + std::to_string(r.short_side) + "@" + std::to_string(r.bitrate_kbps) + "k/" +
         std::to_string(r.max_fps);
  }
  auto audio = [](const AudioProfile& a) {
    return std::to_string(a.bitrate_kbps) + "k/" + std::to_string(a.channels) + "ch/" + std::to_string(a.sample_rate);
  };
  s += ";av=" + audio(with_video) + ";ao=" + audio(audio_only);
  return s;
}

Result<Ladder> LadderByName(std::string_view name) {
  if (name == "lesson") {
    Ladder l;
    l.name = "lesson";
    l.video = {
        {"720p", 720, 1800, 0},
        {"480p", 480, 900, 0},
        {"360p", 360, 500, 0},
        {"240p", 240, 200, 15},
    };
    l.with_video = {96, 2, 48000};
    l.audio_only = {48, 1, 48000};
    return l;
  }
  return InvalidArgument("unknown ladder \"" + std::string(name) + "\" (known: lesson)", "ladder");
}

Result<Ladder> LadderFromFingerprint(std::string_view fingerprint) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t semi = fingerprint.find(';', start);
    parts.push_back(fingerprint.substr(start, semi == std::string_view::npos ? semi : semi - start));
    if (semi == std::string_view::npos) break;
    start = semi + 1;
  }
  const std::string version = "lm" + std::to_string(kPipelineVersion);
  auto unsupported = [&] {
    return UnsupportedInput("bundle settings \"" + std::string(fingerprint) + "\" are not this transcoder's");
  };
  if (parts.size() < 4 || parts[0] != version || parts[2].rfind("seg=", 0) != 0 || parts[3].rfind("x264=", 0) != 0) {
    return unsupported();
  }
  auto ladder = LadderByName(parts[1]);
  if (!ladder.ok()) return unsupported();
  const std::string_view x264 = parts[3].substr(5);
  const size_t slash = x264.find('/');
  if (slash == std::string_view::npos) return unsupported();
  ladder->x264_preset = std::string(x264.substr(0, slash));
  ladder->x264_profile = std::string(x264.substr(slash + 1));
  int seg = 0;
  if (std::sscanf(std::string(parts[2].substr(4)).c_str(), "%d", &seg) != 1 || seg <= 0) return unsupported();
  ladder->segment_seconds = seg;
  std::string expected;
  if (parts.size() > 5 && parts[5].rfind("chunk=", 0) == 0) {
    int chunk = 0;
    if (std::sscanf(std::string(parts[5].substr(6)).c_str(), "%d", &chunk) != 1 || chunk <= 0) return unsupported();
    ladder->chunk_seconds = chunk;
    expected = ladder->Fingerprint();
  } else {
    // A bundle made before long lessons were encoded in chunks: the same encoders, which is what
    // a clip of it needs; its settings lack only the chunk length.
    expected = ladder->Fingerprint();
    const std::string chunk_part = ";chunk=" + std::to_string(ladder->chunk_seconds);
    expected.erase(expected.find(chunk_part), chunk_part.size());
  }
  if (expected != fingerprint) return unsupported();
  return ladder;
}

Rate OutputRate(Rate avg, int max_fps) {
  double v = avg.value();
  if (!(v > 0.5) || !std::isfinite(v) || v > 1000) return {std::min(25, max_fps), 1};
  static constexpr Rate kCommon[] = {{24000, 1001}, {24, 1}, {25, 1}, {30000, 1001}, {30, 1},
                                     {50, 1},       {60000, 1001}, {60, 1}};
  Rate r{static_cast<int>(std::lround(v)), 1};
  double best = 0.02;  // snap only to a rate this close
  for (Rate c : kCommon) {
    if (std::fabs(c.value() - v) < best) {
      best = std::fabs(c.value() - v);
      r = c;
    }
  }
  if (r.value() > max_fps) {
    // Halve 50/60 to 25/30, keep NTSC fractions; otherwise cap.
    if (r.num % 2 == 0 && r.value() / 2 <= max_fps) {
      r.num /= 2;
    } else {
      r = {max_fps, 1};
    }
  }
  return r;
}

std::vector<PlannedRung> PlanVideoRungs(const Ladder& ladder, int display_width, int display_height, Rate source_fps) {
  std::vector<PlannedRung> out;
  if (display_width <= 0 || display_height <= 0 || ladder.video.empty()) return out;
  const bool portrait = display_height > display_width;
  const int short_side = portrait ? display_width : display_height;
  const double aspect = static_cast<double>(display_width) / display_height;

  auto plan = [&](const VideoRung& rung, int target_short) {
    PlannedRung p;
    p.rung = rung;
    if (portrait) {
      p.width = EvenAtLeast2(target_short);
      p.height = EvenAtLeast2(target_short / aspect);
    } else {
      p.height = EvenAtLeast2(target_short);
      p.width = EvenAtLeast2(target_short * aspect);
    }
    p.fps = source_fps;
    if (rung.max_fps > 0 && source_fps.value() > rung.max_fps) {
      // Keep NTSC-style rates in step with the source so keyframes stay aligned.
      p.fps = (source_fps.den == 1001) ? Rate{rung.max_fps * 1000, 1001} : Rate{rung.max_fps, 1};
    }
    return p;
  };

  for (const auto& rung : ladder.video) {
    if (rung.short_side <= short_side) out.push_back(plan(rung, rung.short_side));
  }
  if (out.empty()) out.push_back(plan(ladder.video.back(), short_side));
  return out;
}

}  // namespace lm::transcoder
