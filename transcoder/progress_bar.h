#pragma once
// Shows transcode progress on stderr: a redrawn bar with percent, speed (x realtime) and ETA on a
// terminal, plain lines every few seconds otherwise. Called from one thread.

#include <chrono>
#include <cstdio>

#include "transcoder/bundle.h"

namespace lm::transcoder {

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* out);
  void Update(const Progress& p);
  void Finish();

 private:
  std::FILE* out_;
  bool tty_;
  bool drawn_ = false;
  double last_line_wall_ = -1e9;
};

}  // namespace lm::transcoder
