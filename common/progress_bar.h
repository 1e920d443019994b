#pragma once
// Shows the progress of a long command on stderr: a redrawn bar with percent, amounts, rate and
// ETA on a terminal, plain key=value lines every few seconds otherwise (logs, CI). Used by the
// transcoder (media seconds, x realtime) and the upload CLI (bytes, MB/s). Called from one thread.

#include <cstdio>
#include <string>

namespace lm {

struct ProgressLine {
  double fraction = 0;       // 0..1
  std::string done;          // "1:05" or "12.5 MB"
  std::string total;         // "45:00" or "800.0 MB"
  std::string rate;          // "1.73x" or "1.2 MB/s"
  double eta_seconds = -1;   // < 0: unknown
  double wall_seconds = 0;   // since the start
};

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* out);
  void Update(const ProgressLine& p);
  void Finish();

 private:
  std::FILE* out_;
  bool tty_;
  bool drawn_ = false;
  double last_line_wall_ = -1e9;
};

// "m:ss" or "h:mm:ss"; "--:--" when unknown.
std::string ClockText(double seconds);
// "812 KB", "12.5 MB", "1.20 GB".
std::string BytesText(double bytes);

}  // namespace lm
