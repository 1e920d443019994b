#pragma once
// The school's bandwidth schedule: weekly rules that cap what the edge may take from (and give to)
// the WAN, so lesson downloads never starve the live 专递课堂 during class hours. A rule reads
//   "Mon-Fri 07:30-17:30 256/64"   (days, from-to local time, down/up kbit/s; 0 = no cap)
// Days are Mon..Sun, ranges ("Mon-Fri"), lists ("Mon,Wed,Fri") or "daily". The first rule that
// holds at a moment applies; outside every rule there is no cap. Immutable after Parse;
// thread-safe.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace lm::edge {

struct BandwidthRule {
  std::string text;     // as written, for /v1/status
  unsigned days = 0;    // bit 0 = Monday ... bit 6 = Sunday
  int from_minute = 0;  // minutes after local midnight, [0, 1440)
  int to_minute = 0;    // (from, 1440]
  int down_kbps = 0;    // 0 = no cap
  int up_kbps = 0;
};

// What applies at one moment, and when that changes.
struct BandwidthNow {
  const BandwidthRule* rule = nullptr;  // null: no rule holds, no cap
  int down_kbps = 0;                    // 0 = no cap
  int up_kbps = 0;
  // The next moment a different rule (or none) applies, as local minutes from the start of the
  // week (Monday 00:00), and the wall-clock time of it.
  std::chrono::system_clock::time_point next_change;
};

class BandwidthSchedule {
 public:
  // kInvalidArgument naming the rule that does not read.
  static Result<BandwidthSchedule> Parse(const std::vector<std::string>& rules);

  // `local_minute_of_week`: minutes since Monday 00:00 local time, [0, 10080).
  BandwidthNow At(int local_minute_of_week, std::chrono::system_clock::time_point now) const;
  // The same for a wall-clock time, in the machine's local time zone.
  BandwidthNow At(std::chrono::system_clock::time_point now) const;

  const std::vector<BandwidthRule>& rules() const { return rules_; }

 private:
  const BandwidthRule* RuleAt(int minute_of_week) const;
  std::vector<BandwidthRule> rules_;
};

// Minutes since Monday 00:00 in local time.
int LocalMinuteOfWeek(std::chrono::system_clock::time_point t);

}  // namespace lm::edge
