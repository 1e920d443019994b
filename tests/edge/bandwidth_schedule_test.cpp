// The bandwidth schedule: which cap holds at a moment, when it changes next, and rules that do
// not read are refused by name.

#include "edge/bandwidth_schedule.h"

#include <gtest/gtest.h>

namespace lm::edge {
namespace {

constexpr int kDay = 24 * 60;
int At(int day, int hour, int minute) { return day * kDay + hour * 60 + minute; }  // day 0 = Monday

TEST(BandwidthScheduleTest, ClassHoursAreCappedAndNightsAreFree) {
  auto s = BandwidthSchedule::Parse({"Mon-Fri 07:30-17:30 256/64", "Sat,Sun 08:00-12:00 1000/0"});
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  const auto t0 = std::chrono::system_clock::time_point{};
  auto tuesday_class = s->At(At(1, 9, 0), t0);
  ASSERT_NE(tuesday_class.rule, nullptr);
  EXPECT_EQ(tuesday_class.down_kbps, 256);
  EXPECT_EQ(tuesday_class.up_kbps, 64);
  // It changes at 17:30: 8 h 30 min from 09:00.
  EXPECT_EQ(tuesday_class.next_change - t0, std::chrono::minutes(8 * 60 + 30));

  auto tuesday_night = s->At(At(1, 22, 0), t0);
  EXPECT_EQ(tuesday_night.rule, nullptr);
  EXPECT_EQ(tuesday_night.down_kbps, 0);
  EXPECT_EQ(tuesday_night.next_change - t0, std::chrono::minutes(9 * 60 + 30));  // Wednesday 07:30

  EXPECT_EQ(s->At(At(1, 7, 29), t0).rule, nullptr);
  EXPECT_NE(s->At(At(1, 7, 30), t0).rule, nullptr);
  EXPECT_EQ(s->At(At(1, 17, 30), t0).rule, nullptr);
  EXPECT_EQ(s->At(At(5, 9, 0), t0).down_kbps, 1000);  // Saturday
  // Friday night runs free until Saturday 08:00.
  EXPECT_EQ(s->At(At(4, 20, 0), t0).next_change - t0, std::chrono::minutes(12 * 60));
  // Sunday noon to Monday 07:30 wraps the week.
  EXPECT_EQ(s->At(At(6, 12, 0), t0).next_change - t0, std::chrono::minutes(19 * 60 + 30));
}

TEST(BandwidthScheduleTest, NoRulesMeansNoCap) {
  auto s = BandwidthSchedule::Parse({});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->At(At(2, 10, 0), {}).rule, nullptr);
  EXPECT_EQ(s->At(At(2, 10, 0), {}).down_kbps, 0);
}

TEST(BandwidthScheduleTest, RulesThatDoNotReadAreRefused) {
  for (const char* bad : {"Mon-Fri 07:30-17:30", "Funday 07:30-17:30 256/64", "Mon 17:30-07:30 256/64",
                          "Mon 07:30-25:00 256/64", "Mon 07:30-17:30 fast/64", "Mon 7:30-17:30 256/64",
                          "Mon 07:30-17:30 256/64 extra"}) {
    auto s = BandwidthSchedule::Parse({bad});
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.status().field(), "schedule");
    EXPECT_NE(s.status().message().find(bad), std::string::npos) << s.status().message();
  }
  EXPECT_TRUE(BandwidthSchedule::Parse({"daily 00:00-24:00 512/128"}).ok());
  EXPECT_TRUE(BandwidthSchedule::Parse({"Sat-Mon 08:00-09:00 1/1"}).ok());
}

}  // namespace
}  // namespace lm::edge
