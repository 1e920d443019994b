// The network lab's self-test: before any scenario trusts the lab, its links are measured from
// real traffic. Each link of the default county (plus a "probe" host on the WAN with an
// unshaped link, the far end of every measurement) must deliver its delay within 5 ms each way,
// its loss within a factor of 1.5 each way (none where it has none), nothing reordered or
// duplicated, and its rate within 5 % each way; the county LANs are fast and undelayed, carry
// multicast (local service discovery) and the WAN does not. Teardown leaves no namespace,
// interface or process behind, also when the test's process is killed (the reaper) or its reaper
// is gone too (the sweep at the next start). Needs root; skips with the reason otherwise.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/netlab/lab.h"
#include "tests/netlab/probes.h"
#include "tests/testing/child_process.h"
#include "tests/testing/wait_for.h"

namespace lm::netlab {
namespace {

class NetlabTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string why = Lab::Unavailable();
    if (!why.empty()) GTEST_SKIP() << why;
  }
};

// The default county with a probe: the other end of every WAN measurement, on a link without
// shaping, delay or loss, so what is measured is the other host's link alone.
Topology CountyWithProbe() {
  Topology t = DefaultTopology();
  t.hosts.push_back({"probe", {{"wan", LinkSpec{}}}});
  return t;
}

std::vector<std::string> WanHosts(const Lab& lab) {
  std::vector<std::string> hosts;
  for (const HostSpec& h : lab.topology().hosts)
    if (h.name != "probe") hosts.push_back(h.name);
  return hosts;
}

// One direction of one link, measured from `from` to `to` over `network`.
struct Path {
  std::string label, from, to, network;
  double rate_mbit, delay_ms, loss;
};

// Every WAN link both ways (against the probe), and each county LAN one way.
std::vector<Path> Paths(const Lab& lab, bool down) {
  std::vector<Path> paths;
  for (const std::string& h : WanHosts(lab)) {
    const LinkSpec& s = lab.Link(h, "wan");
    if (down) paths.push_back({h + " down", "probe", h, "wan", s.down_mbit, s.delay_ms, s.loss});
    else paths.push_back({h + " up", h, "probe", "wan", s.up_mbit, s.delay_ms, s.loss});
  }
  return paths;
}

std::vector<Path> LanPaths(const Lab& lab) {
  const LinkSpec& lan = lab.Link("edge1", "county1");
  return {{"county1 edge1>edge2", "edge1", "edge2", "county1", lan.up_mbit, 0, 0},
          {"county2 edge5>edge4", "edge5", "edge4", "county2", lan.up_mbit, 0, 0}};
}

template <typename Result>
std::vector<Result> InParallel(const std::vector<Path>& paths, const std::function<Result(const Path&)>& measure) {
  std::vector<std::future<Result>> futures;
  for (const Path& p : paths) futures.push_back(std::async(std::launch::async, measure, p));
  std::vector<Result> results;
  for (auto& f : futures) results.push_back(f.get());
  return results;
}

std::vector<Path> Concat(std::vector<Path> a, const std::vector<Path>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Measures every WAN link both ways, and over IPv4 the county LANs: delay idle and under load,
// loss, order, rate, and the delay lines' own counts. `ipv6`: between the hosts' IPv6 addresses
// (the WAN must carry IPv6; the LANs do not).
void ExpectLinksDeliver(Lab& lab, bool ipv6) {
  const auto start = std::chrono::steady_clock::now();
  auto phase = [&](const char* name) {
    std::printf("-- %s at %.1f s\n", name, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
  const auto all_wan = Concat(Paths(lab, true), Paths(lab, false));
  const std::vector<Path> lans = ipv6 ? std::vector<Path>{} : LanPaths(lab);
  std::printf("%-22s %8s %8s %8s %8s | %8s %8s %8s | %9s %9s %8s\n", "path", "delay", "p50", "p99", "max", "loss",
              "target", "datagr.", "rate", "wire", "target");

  // Delay, idle links: 40 datagrams each way of every link, all links at once.
  const auto idle_paths = Concat(all_wan, lans);
  const auto send_idle = [&](const Path& p) { return SendDatagrams(lab, p.from, p.to, p.network, 40, 40, 16, 1.0, ipv6); };
  const auto idle = InParallel<DatagramResult>(idle_paths, send_idle);
  constexpr double kDelayTolerance = 5.0;
  for (size_t i = 0; i < idle_paths.size(); ++i) {
    const Path& p = idle_paths[i];
    const auto off = [&](const DatagramResult& r) { return std::abs(r.delay_p50_ms - p.delay_ms); };
    const auto print = [&](const DatagramResult& r, const char* what) {
      std::printf("%-22s %8.1f %8.2f %8.2f %8.2f   (%s)\n", p.label.c_str(), p.delay_ms, r.delay_p50_ms, r.delay_p99_ms,
                  r.delay_max_ms, what);
    };
    DatagramResult r = idle[i];
    print(r, "idle");
    // A virtual machine that slows every process for half a second delays most of a path's 40
    // datagrams at once (an 80 ms link's median at 86.1 ms, once, 2026-12-01). Such a path is
    // measured up to twice more, alone, and the median nearest its delay stands: a stall only
    // ever adds delay, while a delay line set wrong is off every time.
    for (int again = 0; again < 2 && r.received > 20 && off(r) > kDelayTolerance; ++again) {
      const DatagramResult alone = send_idle(p);
      print(alone, "idle, again, alone");
      if (alone.received > 20 && off(alone) < off(r)) r = alone;
    }
    ASSERT_GT(r.received, 20) << p.label;
    EXPECT_NEAR(r.delay_p50_ms, p.delay_ms, kDelayTolerance) << p.label << ": one-way delay (median)";
    if (p.network != "wan") {
      EXPECT_LT(r.delay_p50_ms, 1.0) << p.label << ": a LAN has no delay";
    }
  }

  // Loss: 30,000 small datagrams each way of every link (at 0.5 % about 150 lost, so a factor of
  // 1.5 either way is over four standard deviations). The rate limits are lifted meanwhile, so
  // this takes seconds rather than a minute at 1 Mbit/s; loss and delay stay as they are, and the
  // delay is measured again under this load.
  std::map<std::string, LinkSpec> saved;
  for (const std::string& h : WanHosts(lab)) {
    saved[h] = lab.Link(h, "wan");
    LinkSpec unshaped = saved[h];
    unshaped.down_mbit = unshaped.up_mbit = 0;
    lab.SetLink(h, "wan", unshaped);
  }
  phase("idle delay measured");
  constexpr long long kDatagrams = 30000;
  const auto lossy = InParallel<DatagramResult>(all_wan, [&](const Path& p) {
    return SendDatagrams(lab, p.from, p.to, p.network, kDatagrams, 5000, 16, 1.0, ipv6);
  });
  for (size_t i = 0; i < all_wan.size(); ++i) {
    const Path& p = all_wan[i];
    const DatagramResult& r = lossy[i];
    std::printf("%-22s %8.1f %8.2f %8.2f %8.2f | %7.3f%% %7.3f%% %8lld   (loaded, %lld reordered)\n", p.label.c_str(),
                p.delay_ms, r.delay_p50_ms, r.delay_p99_ms, r.delay_max_ms, r.loss() * 100, p.loss * 100, r.sent,
                r.reordered);
    EXPECT_EQ(r.sent, kDatagrams) << p.label;
    EXPECT_EQ(r.reordered, 0) << p.label << ": the delay line must keep the order";
    EXPECT_EQ(r.duplicated, 0) << p.label;
    EXPECT_NEAR(r.delay_p50_ms, p.delay_ms, kDelayTolerance) << p.label << ": one-way delay under load (median)";
    if (p.loss == 0) {
      EXPECT_EQ(r.received, r.sent) << p.label << ": a link without loss lost datagrams";
    } else {
      EXPECT_GE(r.loss(), p.loss / 1.5) << p.label;
      EXPECT_LE(r.loss(), p.loss * 1.5) << p.label;
    }
  }
  for (const auto& [h, spec] : saved) lab.SetLink(h, "wan", spec);
  phase("loss measured");

  // Rate: a TCP bulk transfer on each link, every link's downstream at once, then every
  // upstream (and the LANs) at once: a link's own acknowledgements would otherwise share it.
  // Loss is off meanwhile (0.5 % at 160 ms keeps one TCP flow far below the link's rate).
  for (const std::string& h : WanHosts(lab)) {
    LinkSpec lossless = saved[h];
    lossless.loss = 0;
    lab.SetLink(h, "wan", lossless);
  }
  const auto measure = [&](const Path& p) { return TcpBulk(lab, p.from, p.to, p.network, 2.0, 4.0, ipv6); };
  const auto print = [](const Path& p, const BulkResult& r, const char* what) {
    std::printf("%-22s %62s %9.3f %9.3f %8.3f   (%s; %lld retransmits)\n", p.label.c_str(), "", r.goodput_mbit,
                r.wire_mbit, p.rate_mbit, what, r.retransmits);
  };
  for (const auto& paths : {Paths(lab, true), Concat(Paths(lab, false), lans)}) {
    const auto bulk = InParallel<BulkResult>(paths, measure);
    for (size_t i = 0; i < paths.size(); ++i) {
      const Path& p = paths[i];
      const double tolerance = 0.05 * p.rate_mbit;
      const auto off = [&](const BulkResult& r) { return std::abs(r.wire_mbit - p.rate_mbit); };
      BulkResult r = bulk[i];
      print(p, r, "goodput, wire Mbit/s");
      // One TCP flow measures a link from below: a flow that lost packets at the shaper's queue
      // while the two cores were busy with the other links, or a virtual machine that stalled for
      // tens of milliseconds, leaves the link idle a moment (7.56-7.60 of 8 Mbit/s twice over IPv6,
      // a 100 Mbit/s LAN at 78.8-93.6, on an Intel host, 2026-12-01). Such a link is measured up to
      // twice more, alone, and the measurement nearest its rate stands: a stall only ever lowers
      // one, while a shaper set wrong is off every time.
      for (int again = 0; again < 2 && off(r) > tolerance; ++again) {
        const BulkResult alone = measure(p);
        print(p, alone, "again, alone");
        if (off(alone) < off(r)) r = alone;
      }
      EXPECT_NEAR(r.wire_mbit, p.rate_mbit, tolerance) << p.label << ": rate";
    }
  }
  for (const auto& [h, spec] : saved) lab.SetLink(h, "wan", spec);
  phase("rates measured");

  // The delay lines dropped nothing, and let packets go on time.
  for (const DelayLineStats& s : lab.DelayLines()) {
    std::printf("delay line %-7s %-4s %6.1f ms: %8lld packets, depth %5lld, late p50 %5lld us p99 %5lld us max %6lld us\n",
                s.host.c_str(), s.direction.c_str(), s.delay_ms, s.packets, s.max_depth, s.late_p50_us, s.late_p99_us,
                s.late_max_us);
    EXPECT_EQ(s.enobufs + s.kernel_dropped + s.user_dropped + s.verdict_errors, 0)
        << s.host << " " << s.direction << ": the delay line dropped packets";
    // On time: the line wakes once a tick (250 µs) while packets flow, so half of them go within
    // a tick or two of their time (p50 100-250 µs measured) however busy the machine. Its p99 is
    // the machine's, not the line's: 300 µs on a quiet machine, 1.5-2.3 ms on an AMD host just
    // after a build, 7-10 ms on an Intel one whose every line saw the same stalls of 10-23 ms at
    // the same moments (2026-12-01), so it is printed, not bounded. What the lab promises, each
    // link's delay within 5 ms, is asserted above from the datagrams' own one-way delays, idle and
    // under load.
    EXPECT_LE(s.late_p50_us, 1000) << s.host << " " << s.direction;
  }
}

TEST_F(NetlabTest, LinksDeliverTheirRateDelayAndLoss) {
  Lab lab(CountyWithProbe());
  ExpectLinksDeliver(lab, false);
}

// The WAN carrying IPv6 beside IPv4 (scenario 5's second half): IPv6 packets cross the same
// shapers, loss rules and delay lines (ip6tables in the core, on the same queues), so each link
// delivers the same figures over IPv6.
TEST_F(NetlabTest, OverIpv6LinksDeliverTheSameRateDelayAndLoss) {
  Topology t = CountyWithProbe();
  t.networks.at(0).subnet6 = "fd00:200:0:0";
  Lab lab(t);
  EXPECT_EQ(lab.Address6("edge1"), "fd00:200::2");
  EXPECT_EQ(lab.Address6("edge1", "county1"), "") << "a LAN without subnet6 has no IPv6";
  ExpectLinksDeliver(lab, true);
}

// A link changed while the lab runs: a new delay starts a new delay line (the old one lets its
// packets go at their time, then ends), a new loss and rate apply at once.
TEST_F(NetlabTest, ALinkChangesWhileTheLabRuns) {
  Topology small = DefaultTopology();
  small.hosts.resize(2);  // origin, edge1
  Lab lab(small);
  const auto before = SendDatagrams(lab, "origin", "edge1", "wan", 20, 40, 16, 1.0);
  EXPECT_NEAR(before.delay_p50_ms, 5 + 80, 5.0);

  LinkSpec changed = lab.Link("edge1", "wan");
  changed.delay_ms = 30;
  changed.loss = 0;
  changed.down_mbit = 2;
  lab.SetLink("edge1", "wan", changed);
  const auto after = SendDatagrams(lab, "origin", "edge1", "wan", 200, 100, 16, 1.0);
  EXPECT_NEAR(after.delay_p50_ms, 5 + 30, 5.0);
  EXPECT_EQ(after.received, after.sent);
  const BulkResult bulk = TcpBulk(lab, "origin", "edge1", "wan", 1.5, 2.5);
  EXPECT_NEAR(bulk.wire_mbit, 2.0, 0.1);

  std::vector<double> delays;
  for (const DelayLineStats& s : lab.DelayLines())
    if (s.host == "edge1") delays.push_back(s.delay_ms);
  EXPECT_EQ(delays, (std::vector<double>{30, 30})) << "one line, up and down, at the new delay";
  // The old line has ended: the core runs origin's line and edge1's new one.
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        std::istringstream pids(RunChecked({"ip", "netns", "pids", lab.CoreNamespace()}));
        int n = 0;
        for (std::string pid; pids >> pid;) ++n;
        return n == 2;
      },
      5))
      << RunChecked({"ip", "netns", "pids", lab.CoreNamespace()});
}

// Multicast datagrams on port 6771 (libtorrent's local service discovery) from edge1: on its
// county's LAN, edge2 and edge3 hear them; on the WAN, nobody does. A unicast marker sent after
// them on the same path shows when the multicast would have arrived.
TEST_F(NetlabTest, CountyLanCarriesLocalDiscoveryAndTheWanDoesNot) {
  Lab lab;
  const std::string group = "239.192.152.143";
  // A receiver on `host`, joined to the group on its interface to `network`, bound to 6771.
  auto receiver = [&](const std::string& host, const std::string& network) {
    UniqueFd fd = lab.Socket(host, AF_INET, SOCK_DGRAM);
    const int on = 1;
    ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = htons(6771);
    EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
    ip_mreq join{};
    inet_pton(AF_INET, group.c_str(), &join.imr_multiaddr);
    inet_pton(AF_INET, lab.Address(host, network).c_str(), &join.imr_interface);
    EXPECT_EQ(::setsockopt(fd.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join), 0) << host;
    timeval tv{0, 200000};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  };
  // Sends "multicast" to the group out of edge1's interface on `network`, then "marker" to each
  // receiver's unicast address, until each receiver has its marker (loss may eat one).
  auto exchange = [&](const std::string& network, const std::vector<std::pair<std::string, int>>& receivers) {
    UniqueFd tx = lab.Socket("edge1", AF_INET, SOCK_DGRAM);
    in_addr ifaddr{};
    inet_pton(AF_INET, lab.Address("edge1", network).c_str(), &ifaddr);
    EXPECT_EQ(::setsockopt(tx.get(), IPPROTO_IP, IP_MULTICAST_IF, &ifaddr, sizeof ifaddr), 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(6771);
    inet_pton(AF_INET, group.c_str(), &to.sin_addr);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(::sendto(tx.get(), "multicast", 9, 0, reinterpret_cast<sockaddr*>(&to), sizeof to), 9);
    std::map<std::string, int> heard;  // receiver → multicast datagrams before its marker
    std::set<std::string> marked;
    const bool done = testing::WaitFor(
        [&] {
          for (const auto& [host, fd] : receivers) {
            if (marked.count(host)) continue;
            sockaddr_in unicast{};
            unicast.sin_family = AF_INET;
            unicast.sin_port = htons(6771);
            inet_pton(AF_INET, lab.Address(host, network).c_str(), &unicast.sin_addr);
            ::sendto(tx.get(), "marker", 6, 0, reinterpret_cast<sockaddr*>(&unicast), sizeof unicast);
            char buf[64];
            for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
              const std::string text(buf, size_t(n));
              if (text == "multicast") ++heard[host];
              if (text == "marker") {
                marked.insert(host);
                break;
              }
            }
          }
          return marked.size() == receivers.size();
        },
        10, 1);
    EXPECT_TRUE(done) << "a marker did not arrive on " << network;
    return heard;
  };

  UniqueFd edge2 = receiver("edge2", "county1"), edge3 = receiver("edge3", "county1");
  UniqueFd edge4 = receiver("edge4", "county2");
  auto lan = exchange("county1", {{"edge2", edge2.get()}, {"edge3", edge3.get()}});
  EXPECT_EQ(lan["edge2"], 3);
  EXPECT_EQ(lan["edge3"], 3);
  char buf[64];
  EXPECT_LT(::recv(edge4.get(), buf, sizeof buf, MSG_DONTWAIT), 0) << "county2 heard county1's multicast";

  UniqueFd origin = receiver("origin", "wan"), edge4_wan = receiver("edge4", "wan");
  auto wan = exchange("wan", {{"origin", origin.get()}, {"edge4", edge4_wan.get()}});
  EXPECT_EQ(wan["origin"], 0) << "the WAN carried multicast";
  EXPECT_EQ(wan["edge4"], 0) << "the WAN carried multicast";
}

// The lab's namespaces by inode, so that a process still inside one is found after the name is gone.
std::map<std::string, ino_t> NamespaceInodes(const std::vector<std::string>& names) {
  std::map<std::string, ino_t> inodes;
  for (const std::string& n : names) {
    struct stat st;
    if (::stat(("/run/netns/" + n).c_str(), &st) == 0) inodes[n] = st.st_ino;
  }
  return inodes;
}

// Names under /run/netns starting with `prefix`, and processes living in any of `inodes`.
std::vector<std::string> Leftovers(const std::string& prefix, const std::map<std::string, ino_t>& inodes) {
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns"))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) left.push_back(entry.path().filename().string());
  std::set<ino_t> wanted;
  for (const auto& [name, ino] : inodes) wanted.insert(ino);
  std::error_code ec;
  for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
    struct stat st;
    if (::stat((proc.path() / "ns/net").c_str(), &st) == 0 && wanted.count(st.st_ino))
      left.push_back("process " + proc.path().filename().string());
  }
  return left;
}

std::string RootLinks() { return RunChecked({"ip", "-o", "link", "show"}); }

TEST_F(NetlabTest, TeardownLeavesNoNamespaceInterfaceOrProcess) {
  const std::string links_before = RootLinks();
  Topology small = DefaultTopology();
  small.hosts.resize(3);
  testing::ChildProcess resident;  // outlives the lab: the lab must end it
  std::string prefix;
  std::map<std::string, ino_t> inodes;
  {
    Lab lab(small);
    prefix = lab.prefix();
    inodes = NamespaceInodes(lab.Namespaces());
    ASSERT_EQ(inodes.size(), 4u);
    ASSERT_EQ(resident.Start(lab.Command("edge1", {"sleep", "300"}), "/dev/null", "/dev/null"), "");
    ASSERT_TRUE(testing::WaitFor([&] { return Leftovers(prefix, inodes).size() >= 4 + 1 + 3; }, 10))
        << "the resident process and the delay lines should be in the lab's namespaces";
  }
  EXPECT_TRUE(resident.Wait(10).has_value()) << "the process in edge1 outlived the lab";
  EXPECT_TRUE(testing::WaitFor([&] { return Leftovers(prefix, inodes).empty(); }, 10))
      << ::testing::PrintToString(Leftovers(prefix, inodes));
  EXPECT_EQ(RootLinks(), links_before) << "the lab changed the machine's own interfaces";
}

TEST_F(NetlabTest, AKilledRunIsReapedAtOnce) {
  testing::ChildProcess run;
  ASSERT_EQ(run.StartPiped({std::string(LM_NETLAB_BIN_DIR) + "/netlab", "up", "--small"}), "");
  const auto ready = run.WaitForLine("ready ", 60);
  ASSERT_TRUE(ready.has_value()) << "netlab up did not build its lab";
  const std::string prefix = ready->substr(6);
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns"))
    if (entry.path().filename().string().rfind(prefix, 0) == 0) names.push_back(entry.path().filename().string());
  ASSERT_EQ(names.size(), 4u);
  const auto inodes = NamespaceInodes(names);
  run.Signal(SIGKILL);  // no destructor runs: the reaper must notice
  ASSERT_TRUE(run.Wait(10).has_value());
  EXPECT_TRUE(testing::WaitFor([&] { return Leftovers(prefix, inodes).empty(); }, 15))
      << ::testing::PrintToString(Leftovers(prefix, inodes));
}

TEST_F(NetlabTest, TheSweepRemovesLabsOfEndedRunsOnly) {
  // A lab of a process that still runs (this one) is left alone.
  Lab live(Topology{{{"wan", "10.200.0", false, ""}}, {{"solo", {{"wan", LinkSpec{}}}}}});
  // Stale: a lab named after a pid that has ended, and one after this pid with another start
  // time (a pid reused since), each with a process inside.
  const pid_t ended = ::fork();
  if (ended == 0) ::_exit(0);
  ASSERT_EQ(::waitpid(ended, nullptr, 0), ended);
  const std::vector<std::string> stale = {"lmlab-" + std::to_string(ended) + "-1-0-core",
                                          "lmlab-" + std::to_string(::getpid()) + "-1-0-core"};
  std::vector<std::unique_ptr<testing::ChildProcess>> inside;
  for (const std::string& name : stale) {
    RunChecked({"ip", "netns", "add", name});
    inside.push_back(std::make_unique<testing::ChildProcess>());
    ASSERT_EQ(inside.back()->Start({"ip", "netns", "exec", name, "sleep", "300"}, "/dev/null", "/dev/null"), "");
  }
  const auto inodes = NamespaceInodes(stale);
  ASSERT_EQ(inodes.size(), 2u);
  ASSERT_TRUE(testing::WaitFor([&] { return Leftovers("lmlab-none", inodes).size() == 2; }, 10))
      << "the processes should be inside the stale namespaces";

  EXPECT_EQ(Lab::SweepStale(), 2);
  for (auto& process : inside) EXPECT_TRUE(process->Wait(10).has_value()) << "a process in a stale lab was not ended";
  for (const std::string& name : stale) {
    EXPECT_TRUE(testing::WaitFor([&] { return Leftovers(name, inodes).empty(); }, 10))
        << ::testing::PrintToString(Leftovers(name, inodes));
  }
  for (const std::string& name : live.Namespaces())
    EXPECT_TRUE(std::filesystem::exists("/run/netns/" + name)) << "the sweep removed a live lab's " << name;
}

}  // namespace
}  // namespace lm::netlab
