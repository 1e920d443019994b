// The order a school's box fetches its lessons in: dates first, then the published order; boxes
// of one LAN group each take a date's lessons in an order of their own, which a lesson arriving or
// leaving changes for no other.

#include "edge/download_order.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

namespace lm::edge {
namespace {

// Lessons l00..l(n-1), published in that order (added_at), all needed by `date`.
std::vector<EdgeLesson> Lessons(int n, const std::string& date) {
  std::vector<EdgeLesson> out(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    out[i].id = std::string("l") + (i < 10 ? "0" : "") + std::to_string(i);
    out[i].added_at = 1000 + i;
    out[i].needed_by = date;
  }
  return out;
}

std::vector<std::string> Order(std::vector<EdgeLesson>& lessons, const std::string& school, const std::string& group) {
  std::vector<EdgeLesson*> wanted;
  for (EdgeLesson& l : lessons) wanted.push_back(&l);
  std::reverse(wanted.begin(), wanted.end());  // the input's order must not matter
  SortForDownload(wanted, school, group);
  std::vector<std::string> ids;
  for (const EdgeLesson* l : wanted) ids.push_back(l->id);
  return ids;
}

TEST(DownloadOrderTest, NearestDateFirstThenThePublishedOrderWithoutALanGroup) {
  std::vector<EdgeLesson> lessons = Lessons(5, "2026-12-09");
  lessons[3].needed_by = "2026-12-01";
  lessons[1].needed_by = "";  // no date: last
  lessons[4].added_at = 999;  // published before the others
  EXPECT_EQ(Order(lessons, "school-a", ""), (std::vector<std::string>{"l03", "l04", "l00", "l02", "l01"}));
  EXPECT_EQ(Order(lessons, "school-b", ""), Order(lessons, "school-a", ""));
}

TEST(DownloadOrderTest, BoxesOfOneLanGroupStartADatesLessonsAtDifferentOnes) {
  std::vector<EdgeLesson> lessons = Lessons(8, "2026-12-09");
  lessons[7].needed_by = "2026-12-01";  // dates still come first
  std::set<std::string> first_two;
  std::vector<std::vector<std::string>> orders;
  for (const std::string school : {"school-edge1", "school-edge2", "school-edge3"}) {
    const std::vector<std::string> order = Order(lessons, school, "county1");
    ASSERT_EQ(order.size(), 8u);
    EXPECT_EQ(order[0], "l07") << school;
    EXPECT_EQ(std::set<std::string>(order.begin(), order.end()).size(), 8u) << "every lesson once";
    EXPECT_EQ(Order(lessons, school, "county1"), order) << "the same order at every pass";
    first_two.insert(order[1]);
    first_two.insert(order[2]);
    orders.push_back(order);
  }
  // Three boxes fetching two lessons at a time over their WANs: not all the same two (a hash
  // spreads them as chance would: these three share one of their first lessons).
  EXPECT_GT(first_two.size(), 2u);
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
}

TEST(DownloadOrderTest, ALessonArrivingOrLeavingMovesNoOther) {
  std::vector<EdgeLesson> lessons = Lessons(10, "2026-12-09");
  const std::vector<std::string> all = Order(lessons, "school-edge4", "county2");
  std::vector<EdgeLesson> fewer = lessons;
  fewer.erase(fewer.begin() + 6);  // l06 has arrived: no longer wanted
  fewer.erase(fewer.begin() + 2);
  std::vector<std::string> expected = all;
  expected.erase(std::remove_if(expected.begin(), expected.end(),
                                [](const std::string& id) { return id == "l06" || id == "l02"; }),
                 expected.end());
  EXPECT_EQ(Order(fewer, "school-edge4", "county2"), expected);
}

}  // namespace
}  // namespace lm::edge
