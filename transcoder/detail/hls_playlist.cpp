#include "transcoder/detail/hls_playlist.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace lm::transcoder {

std::string MediaPlaylist(const std::string& media_file, const ByteRange& init, const std::vector<Segment>& segments) {
  long target = 1;
  for (const auto& s : segments) target = std::max(target, std::lround(s.duration_seconds));
  std::string out;
  out += "#EXTM3U\n#EXT-X-VERSION:7\n";
  out += "#EXT-X-TARGETDURATION:" + std::to_string(target) + "\n";
  out += "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  out += "#EXT-X-MAP:URI=\"" + media_file + "\",BYTERANGE=\"" + std::to_string(init.length) + "@" +
         std::to_string(init.offset) + "\"\n";
  char extinf[64];
  for (const auto& s : segments) {
    std::snprintf(extinf, sizeof(extinf), "#EXTINF:%.6f,\n", s.duration_seconds);
    out += extinf;
    out += "#EXT-X-BYTERANGE:" + std::to_string(s.bytes.length) + "@" + std::to_string(s.bytes.offset) + "\n";
    out += media_file + "\n";
  }
  out += "#EXT-X-ENDLIST\n";
  return out;
}

void FillBandwidth(const std::vector<Segment>& segments, RenditionSummary& summary) {
  double peak = 0, bytes = 0, seconds = 0;
  for (const auto& s : segments) {
    bytes += static_cast<double>(s.bytes.length);
    seconds += s.duration_seconds;
    // A very short last segment would overstate the peak.
    if (s.duration_seconds >= 1.0 || segments.size() == 1) {
      peak = std::max(peak, s.bytes.length * 8.0 / std::max(s.duration_seconds, 0.001));
    }
  }
  summary.average_bandwidth = seconds > 0 ? static_cast<std::int64_t>(std::llround(bytes * 8.0 / seconds)) : 0;
  summary.bandwidth = std::max(summary.average_bandwidth, static_cast<std::int64_t>(std::llround(peak)));
}

std::string MasterPlaylist(const std::vector<RenditionSummary>& renditions) {
  std::string out = "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n";
  char fps[32];
  for (const auto& r : renditions) {
    out += "#EXT-X-STREAM-INF:BANDWIDTH=" + std::to_string(r.bandwidth) +
           ",AVERAGE-BANDWIDTH=" + std::to_string(r.average_bandwidth);
    if (r.width > 0) {
      std::snprintf(fps, sizeof(fps), "%.3f", r.fps);
      out += ",RESOLUTION=" + std::to_string(r.width) + "x" + std::to_string(r.height) + ",FRAME-RATE=" + fps;
    }
    out += ",CODECS=\"" + r.codecs + "\"\n" + r.playlist + "\n";
  }
  return out;
}

}  // namespace lm::transcoder
