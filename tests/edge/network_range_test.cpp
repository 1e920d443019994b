// The networks the schedule leaves uncapped, written as CIDR in edge.toml.

#include <gtest/gtest.h>

#include "edge/network_range.h"
#include "edge/transfer.h"

namespace lm::edge {
namespace {

TEST(NetworkRangeTest, CidrBecomesFirstAndLastAddress) {
  EXPECT_EQ(*NetworkRange("10.0.0.0/8"), std::make_pair(std::string("10.0.0.0"), std::string("10.255.255.255")));
  EXPECT_EQ(*NetworkRange("172.16.0.0/12"),
            std::make_pair(std::string("172.16.0.0"), std::string("172.31.255.255")));
  EXPECT_EQ(*NetworkRange("192.168.7.9/32"), std::make_pair(std::string("192.168.7.9"), std::string("192.168.7.9")));
  EXPECT_EQ(*NetworkRange("fe80::/10"),
            std::make_pair(std::string("fe80::"), std::string("febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
  for (const char* bad : {"10.0.0.0", "10.0.0.0/33", "10.0.0/8", "school/8", "::/129", "10.0.0.0/-1", ""}) {
    auto r = NetworkRange(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().field(), "lan_networks");
  }
}

TEST(KeepsFileTest, RenditionsNotKeptAreLeftOut) {
  const std::vector<std::string> kept = {"480p", "audio"};
  EXPECT_TRUE(KeepsFile("480p.mp4", kept));
  EXPECT_TRUE(KeepsFile("480p.m3u8", kept));
  EXPECT_TRUE(KeepsFile("audio.mp4", kept));
  EXPECT_FALSE(KeepsFile("720p.mp4", kept));
  EXPECT_FALSE(KeepsFile("240p.m3u8", kept));
  EXPECT_TRUE(KeepsFile("master.m3u8", kept));
  EXPECT_TRUE(KeepsFile("poster.jpg", kept));
  EXPECT_TRUE(KeepsFile("document.pdf", kept));
}

}  // namespace
}  // namespace lm::edge
