#include "transcoder/detail/codec_string.h"

#include <cstdio>

namespace lm::transcoder {

namespace {
std::string Avc1(int profile, int constraints, int level) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "avc1.%02x%02x%02x", profile & 0xff, constraints & 0xff, level & 0xff);
  return buf;
}
}  // namespace

std::string H264CodecString(const AVCodecContext* enc) {
  const uint8_t* p = enc->extradata;
  const int n = enc->extradata_size;
  if (p && n >= 4 && p[0] == 1) return Avc1(p[1], p[2], p[3]);  // avcC
  for (int i = 0; p && i + 6 < n; ++i) {                         // Annex B: find the SPS
    if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 && (p[i + 3] & 0x1f) == 7) {
      return Avc1(p[i + 4], p[i + 5], p[i + 6]);
    }
  }
  return Avc1(enc->profile > 0 ? enc->profile : 100, 0, enc->level > 0 ? enc->level : 40);
}

std::string AacCodecString(const AVCodecContext* enc) {
  const int object_type = enc->profile >= 0 ? enc->profile + 1 : 2;
  return "mp4a.40." + std::to_string(object_type);
}

}  // namespace lm::transcoder
