#include "common/progress_bar.h"

#include <unistd.h>

#include <algorithm>

namespace lm {

std::string ClockText(double seconds) {
  if (!(seconds >= 0) || seconds > 360000) return "--:--";
  const int s = static_cast<int>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%d:%02d", s / 60, s % 60);
  }
  return buf;
}

std::string BytesText(double bytes) {
  char buf[32];
  if (bytes >= 1e9) {
    std::snprintf(buf, sizeof(buf), "%.2f GB", bytes / 1e9);
  } else if (bytes >= 1e6) {
    std::snprintf(buf, sizeof(buf), "%.1f MB", bytes / 1e6);
  } else {
    std::snprintf(buf, sizeof(buf), "%.0f KB", bytes / 1e3);
  }
  return buf;
}

ProgressBar::ProgressBar(std::FILE* out) : out_(out), tty_(::isatty(::fileno(out)) != 0) {}

void ProgressBar::Update(const ProgressLine& p) {
  const double fraction = std::clamp(p.fraction, 0.0, 1.0);
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(out_, "\r[%s] %5.1f%%  %s / %s  %s  ETA %s ", bar.c_str(), fraction * 100, p.done.c_str(),
                 p.total.c_str(), p.rate.c_str(), ClockText(p.eta_seconds).c_str());
    std::fflush(out_);
    drawn_ = true;
  } else if (p.wall_seconds - last_line_wall_ >= 5.0) {
    last_line_wall_ = p.wall_seconds;
    std::fprintf(out_, "progress percent=%.1f done=\"%s\" total=\"%s\" rate=\"%s\" eta=%s\n", fraction * 100,
                 p.done.c_str(), p.total.c_str(), p.rate.c_str(), ClockText(p.eta_seconds).c_str());
    std::fflush(out_);
  }
}

void ProgressBar::Finish() {
  if (tty_ && drawn_) std::fprintf(out_, "\n");
}

}  // namespace lm
