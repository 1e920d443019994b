#pragma once
// Cuts one rendition of a lesson bundle down to a range, as a rendition of a clip: whole GOPs (the
// ladder's segments) are copied packet for packet with timestamps rebased to the range's start;
// a GOP the range cuts through is decoded and only its frames inside the range re-encoded with
// the ladder's H.264 settings. The muxed AAC is copied, never re-encoded. Used by one thread.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "bundle/lesson_manifest.h"
#include "common/av_handles.h"
#include "common/status.h"
#include "transcoder/detail/h264_encoder.h"
#include "transcoder/detail/rendition.h"

namespace lm::transcoder {

struct CutParams {
  std::filesystem::path parent_file;  // the parent rendition's .mp4
  bundle::Rendition parent;           // its manifest entry (name, size, codecs)
  std::filesystem::path dir;          // the clip bundle being built
  int piece_size_bytes = 0;
  double start_seconds = 0;  // the range on the parent's timeline
  double end_seconds = 0;
  std::vector<double> segment_starts;   // on the clip's timeline; the first is 0
  std::optional<H264Settings> encoder;  // video renditions: how the ladder encodes this rung
  bool want_poster = false;             // keep the clip's first video frame
};

struct CutResult {
  RenditionOutput output;  // bandwidth fields are left to the caller
  av::FramePtr poster;     // when asked for and the rendition has video
  int gops_copied = 0;
  int gops_reencoded = 0;
};

Result<CutResult> CutRendition(const CutParams& params);

}  // namespace lm::transcoder
