#include "transcoder/progress_bar.h"

#include <unistd.h>

#include <algorithm>
#include <string>

namespace lm::transcoder {

namespace {
std::string Clock(double seconds) {
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
}  // namespace

ProgressBar::ProgressBar(std::FILE* out) : out_(out), tty_(::isatty(::fileno(out)) != 0) {}

void ProgressBar::Update(const Progress& p) {
  const double fraction = p.total_seconds > 0 ? std::clamp(p.done_seconds / p.total_seconds, 0.0, 1.0) : 0.0;
  const double speed = p.wall_seconds > 0 ? p.done_seconds / p.wall_seconds : 0.0;
  const double eta = speed > 0 && p.total_seconds > 0 ? (p.total_seconds - p.done_seconds) / speed : -1;
  if (tty_) {
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(kWidth - filled), '.');
    std::fprintf(out_, "\r[%s] %5.1f%%  %s / %s  %.2fx  ETA %s ", bar.c_str(), fraction * 100,
                 Clock(p.done_seconds).c_str(), Clock(p.total_seconds).c_str(), speed, Clock(eta).c_str());
    std::fflush(out_);
    drawn_ = true;
  } else if (p.wall_seconds - last_line_wall_ >= 5.0) {
    last_line_wall_ = p.wall_seconds;
    std::fprintf(out_, "progress percent=%.1f done_s=%.1f total_s=%.1f speed=%.2fx eta=%s\n", fraction * 100,
                 p.done_seconds, p.total_seconds, speed, Clock(eta).c_str());
    std::fflush(out_);
  }
}

void ProgressBar::Finish() {
  if (tty_ && drawn_) std::fprintf(out_, "\n");
}

}  // namespace lm::transcoder
