#include "edge/bandwidth_schedule.h"

#include <time.h>

#include <array>
#include <sstream>

namespace lm::edge {

namespace {

constexpr int kMinutesPerDay = 24 * 60;
constexpr int kMinutesPerWeek = 7 * kMinutesPerDay;
constexpr std::array<const char*, 7> kDayNames = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return s;
}

int DayIndex(const std::string& name) {
  for (size_t i = 0; i < kDayNames.size(); ++i) {
    if (name == kDayNames[i]) return static_cast<int>(i);
  }
  return -1;
}

// "Mon-Fri", "Mon,Wed", "daily", "Sat"
bool ParseDays(const std::string& text, unsigned* days) {
  const std::string t = Lower(text);
  if (t == "daily" || t == "*") {
    *days = 0x7f;
    return true;
  }
  *days = 0;
  std::stringstream parts(t);
  std::string part;
  while (std::getline(parts, part, ',')) {
    const size_t dash = part.find('-');
    const int a = DayIndex(part.substr(0, dash));
    const int b = dash == std::string::npos ? a : DayIndex(part.substr(dash + 1));
    if (a < 0 || b < 0) return false;
    for (int d = a;; d = (d + 1) % 7) {  // "Sat-Mon" wraps
      *days |= 1u << d;
      if (d == b) break;
    }
  }
  return *days != 0;
}

// "07:30" -> 450; "24:00" -> 1440.
bool ParseClock(const std::string& s, int* minute) {
  if (s.size() != 5 || s[2] != ':') return false;
  for (size_t i : {0, 1, 3, 4}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const int h = std::stoi(s.substr(0, 2)), m = std::stoi(s.substr(3, 2));
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return false;
  *minute = h * 60 + m;
  return true;
}

bool ParseRate(const std::string& s, int* kbps) {
  if (s.empty() || s.size() > 7) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  *kbps = std::stoi(s);
  return true;
}

}  // namespace

Result<BandwidthSchedule> BandwidthSchedule::Parse(const std::vector<std::string>& texts) {
  BandwidthSchedule schedule;
  for (const std::string& text : texts) {
    auto bad = [&](const std::string& why) {
      return InvalidArgument("schedule rule \"" + text + "\": " + why +
                                 " (write e.g. \"Mon-Fri 07:30-17:30 256/64\": days, from-to, down/up kbit/s)",
                             "schedule");
    };
    std::stringstream in(text);
    std::string days, span, rates, extra;
    if (!(in >> days >> span >> rates) || (in >> extra)) return bad("needs three parts");
    BandwidthRule r;
    r.text = text;
    if (!ParseDays(days, &r.days)) return bad("days must be like Mon-Fri, Sat,Sun or daily");
    const size_t dash = span.find('-');
    if (dash == std::string::npos || !ParseClock(span.substr(0, dash), &r.from_minute) ||
        !ParseClock(span.substr(dash + 1), &r.to_minute) || r.from_minute >= r.to_minute ||
        r.from_minute >= kMinutesPerDay) {
      return bad("times must be HH:MM-HH:MM within one day, from before to");
    }
    const size_t slash = rates.find('/');
    if (slash == std::string::npos || !ParseRate(rates.substr(0, slash), &r.down_kbps) ||
        !ParseRate(rates.substr(slash + 1), &r.up_kbps)) {
      return bad("rates must be down/up in kbit/s");
    }
    schedule.rules_.push_back(std::move(r));
  }
  return schedule;
}

const BandwidthRule* BandwidthSchedule::RuleAt(int minute_of_week) const {
  const int day = minute_of_week / kMinutesPerDay;
  const int minute = minute_of_week % kMinutesPerDay;
  for (const auto& r : rules_) {
    if ((r.days & (1u << day)) && minute >= r.from_minute && minute < r.to_minute) return &r;
  }
  return nullptr;
}

BandwidthNow BandwidthSchedule::At(int minute_of_week, std::chrono::system_clock::time_point now) const {
  minute_of_week = ((minute_of_week % kMinutesPerWeek) + kMinutesPerWeek) % kMinutesPerWeek;
  BandwidthNow out;
  out.rule = RuleAt(minute_of_week);
  if (out.rule) {
    out.down_kbps = out.rule->down_kbps;
    out.up_kbps = out.rule->up_kbps;
  }
  // Walk forward minute by minute (a week at most) to the first minute another rule holds.
  int ahead = 1;
  for (; ahead <= kMinutesPerWeek; ++ahead) {
    if (RuleAt((minute_of_week + ahead) % kMinutesPerWeek) != out.rule) break;
  }
  const auto minute_start = std::chrono::floor<std::chrono::minutes>(now);
  out.next_change = minute_start + std::chrono::minutes(ahead);
  return out;
}

BandwidthNow BandwidthSchedule::At(std::chrono::system_clock::time_point now) const {
  return At(LocalMinuteOfWeek(now), now);
}

int LocalMinuteOfWeek(std::chrono::system_clock::time_point t) {
  const time_t secs = std::chrono::system_clock::to_time_t(t);
  struct tm local {};
  localtime_r(&secs, &local);
  const int day_from_monday = (local.tm_wday + 6) % 7;
  return day_from_monday * kMinutesPerDay + local.tm_hour * 60 + local.tm_min;
}

}  // namespace lm::edge
