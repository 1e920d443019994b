#pragma once
// The audio-only rendition branch: writes the AAC packets it is given into its own fMP4 file,
// cutting a fragment at every segment boundary. For classrooms whose link cannot carry video.

#include <memory>

#include "transcoder/detail/rendition.h"

namespace lm::transcoder {

class AudioRendition : public Rendition {
 public:
  // `encoder` is the AAC encoder whose packets will be pushed; its parameters are copied now.
  AudioRendition(std::string name, const AVCodecContext* encoder, std::filesystem::path dir, int piece_size_bytes,
                 double segment_seconds);
  ~AudioRendition() override;

 private:
  Status Open() override;
  Status Process(RenditionInput& input) override;
  Status Finish() override;

  av::CodecParamsPtr params_;
  AVRational time_base_{};
  std::unique_ptr<Fmp4Writer> writer_;
};

}  // namespace lm::transcoder
