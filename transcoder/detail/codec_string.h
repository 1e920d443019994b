#pragma once
// RFC 6381 codec strings for HLS CODECS attributes.

#include <string>

extern "C" {
#include <libavcodec/avcodec.h>
}

namespace lm::transcoder {

// "avc1.64001f" from an H.264 encoder's extradata (Annex B or avcC), falling back to its
// profile and level fields.
std::string H264CodecString(const AVCodecContext* enc);

// "mp4a.40.2" for AAC-LC.
std::string AacCodecString(const AVCodecContext* enc);

}  // namespace lm::transcoder
