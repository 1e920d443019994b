#pragma once
// HLS (RFC 8216) playlists for a bundle: a media playlist per rendition that addresses the
// fragments of its single fMP4 file by EXT-X-BYTERANGE, and the master playlist.

#include <string>
#include <vector>

#include "transcoder/bundle.h"
#include "transcoder/detail/fmp4_writer.h"

namespace lm::transcoder {

std::string MediaPlaylist(const std::string& media_file, const ByteRange& init, const std::vector<Segment>& segments);

// Peak and average bit rates of a rendition from its fragments, for BANDWIDTH/AVERAGE-BANDWIDTH.
void FillBandwidth(const std::vector<Segment>& segments, RenditionSummary& summary);

// Video renditions first (largest first), the audio-only one last.
std::string MasterPlaylist(const std::vector<RenditionSummary>& renditions);

}  // namespace lm::transcoder
