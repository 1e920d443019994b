#pragma once
// The network lab: a county's network on one machine, for tests that must see LessonMesh over
// rural links. Each host (the origin, a school's edge box) is a Linux network namespace; every
// network (the WAN core, a county's LAN) is a bridge in the lab's own "core" namespace; a host
// joins a network by a veth pair whose link has a rate each way (HTB), a delay each way (an
// NFQUEUE delay line, netlab_delay_line: this kernel has no netem) and a random loss each way
// (iptables statistic). Nothing touches the machine's own network: every interface lives inside
// the lab's namespaces, which carry a per-run name prefix and are removed when the Lab is
// destroyed, by a reaper process when the test process is killed, and by a sweep of stale labs
// when the next one starts. Needs root; Lab::Unavailable() says why not. See tests/netlab/README.md.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "tests/testing/child_process.h"

namespace lm::netlab {

// A host's attachment to a network. Rates are the link's bits per second at the Ethernet layer
// (the shaper counts each frame with its 14-byte header); 0 is unlimited. Delay and loss apply to
// each direction: a ping over the link alone sees twice the delay, a round trip twice the loss.
struct LinkSpec {
  double down_mbit = 0;   // toward the host
  double up_mbit = 0;     // from the host
  double delay_ms = 0;    // one way
  double loss = 0;        // probability that a packet is dropped, each way; 1: the link is down
  double queue_ms = 100;  // the shaper's buffer, as time at its rate (at least 10 full frames)
  bool operator==(const LinkSpec&) const = default;
};

struct NetworkSpec {
  std::string name;        // at most 12 characters; a host's interface on it has this name
  std::string subnet;      // the /24's first three octets: "10.200.0"
  bool multicast = false;  // a LAN: IPv4 multicast (local service discovery) crosses it; a WAN drops it
  // "" (the default): IPv4 only. Else the network carries IPv6 too, on one /64 whose first four
  // groups this is ("fd00:200:0:0"): a host's address there ends in the same number as its IPv4
  // one (fd00:200::3 beside 10.200.0.3). IPv6 is routed, not translated: nothing in the lab hides
  // a host's IPv6 address, as a NAT hides its IPv4 one.
  std::string subnet6;
};

struct HostSpec {
  std::string name;                                      // at most 10 characters, [a-z0-9]
  std::vector<std::pair<std::string, LinkSpec>> links;  // network name, link; the first is its default route
};

struct Topology {
  std::vector<NetworkSpec> networks;
  std::vector<HostSpec> hosts;
};

// The county of the issue: "origin" (origin and catalog; 8 Mbit/s each way, 5 ms, no loss) on
// "wan"; six edges, edge1..edge6, each 4 Mbit/s down / 1 Mbit/s up, 80 ms, 0.5 % loss on "wan";
// edge1-3 on the LAN "county1", edge4-6 on "county2", 100 Mbit/s, no delay, no loss.
Topology DefaultTopology();

// What a delay line counted for one direction of one link (see delay_line.cpp).
struct DelayLineStats {
  std::string host, network, direction;  // direction: "up" or "down"
  double delay_ms = 0;
  long long packets = 0, max_depth = 0, late_max_us = 0, late_p50_us = 0, late_p99_us = 0;
  long long enobufs = 0, kernel_dropped = 0, user_dropped = 0, verdict_errors = 0;
};

// Switches the calling thread into a namespace (a path such as /run/netns/NAME) and back when it
// goes out of scope: sockets made meanwhile stay in that namespace. Throws if it cannot.
class InNamespace {
 public:
  explicit InNamespace(const std::string& netns_path);
  ~InNamespace();
  InNamespace(const InNamespace&) = delete;
  InNamespace& operator=(const InNamespace&) = delete;

 private:
  UniqueFd home_;
};

struct LabOptions {
  std::string helper_dir;                // where netlab_delay_line and netlab are; "" = this build's
  std::string tcp_congestion = "cubic";  // every host's TCP, as on a Debian school box
  bool realtime_delay = true;            // delay lines at SCHED_FIFO priority, for on-time verdicts
};

class Lab {
 public:

  // Why the lab cannot run on this machine (not root, a missing program), or "" when it can.
  static std::string Unavailable();
  // Removes every lab whose process has ended (its namespaces and what runs in them); returns
  // how many namespaces it removed. Labs of running processes are left alone.
  static int SweepStale();
  // Removes every namespace whose name starts with `prefix` (the reaper, once its lab's process is gone).
  static int RemoveWithPrefix(const std::string& prefix);

  // Sweeps stale labs, then builds `topology`. Throws std::runtime_error naming the failing
  // command; whatever was built by then is removed.
  explicit Lab(Topology topology, LabOptions options = {});
  Lab() : Lab(DefaultTopology()) {}
  ~Lab();
  Lab(const Lab&) = delete;
  Lab& operator=(const Lab&) = delete;

  const std::string& prefix() const { return prefix_; }  // every namespace's name starts with it
  const Topology& topology() const { return topology_; }
  std::string Namespace(const std::string& host) const;   // "lmlab-…-edge1"
  std::string NamespacePath(const std::string& host) const;  // "/run/netns/lmlab-…-edge1", for InNamespace
  std::string CoreNamespace() const { return prefix_ + "core"; }
  std::vector<std::string> Namespaces() const;             // the core's and every host's
  // The host's IPv4 address on `network` ("10.200.0.3"); its interface there is named `network`.
  std::string Address(const std::string& host, const std::string& network = "wan") const;
  // The host's IPv6 address on `network` ("fd00:200::3"), or "" when the network has no subnet6.
  std::string Address6(const std::string& host, const std::string& network = "wan") const;

  // `argv` wrapped to run inside the host (`ip netns exec`), for ChildProcess.
  std::vector<std::string> Command(const std::string& host, const std::vector<std::string>& argv) const;
  // Runs `argv` inside the host and returns its output (stdout and stderr); throws naming the
  // command if it fails or outlives `timeout_seconds`.
  std::string Run(const std::string& host, const std::vector<std::string>& argv, double timeout_seconds = 30) const;
  // A socket in the host's namespace (throws if socket() fails).
  UniqueFd Socket(const std::string& host, int domain, int type, int protocol = 0) const;
  // The host's end of its link to `network`: "/proc/net/dev" bytes and packets counted there.
  struct Counters {
    long long rx_bytes = 0, rx_packets = 0, tx_bytes = 0, tx_packets = 0;
  };
  Counters InterfaceCounters(const std::string& host, const std::string& network) const;

  const LinkSpec& Link(const std::string& host, const std::string& network) const;
  // Changes a link while traffic flows: rate and loss in place; a new delay starts a new delay
  // line and the old one lets its held packets go at their time. Loss 1 takes the link down (every
  // packet dropped, each way, as a cut cable upstream would: the host's interface stays up).
  void SetLink(const std::string& host, const std::string& network, const LinkSpec& spec);
  // Each delay line's counts so far (asks every line; throws if one does not answer).
  std::vector<DelayLineStats> DelayLines();

 private:
  struct LinkState;
  class Reaper;
  class OwnedNamespace;

  LinkState& FindLink(const std::string& host, const std::string& network);
  const LinkState& FindLink(const std::string& host, const std::string& network) const;
  void Build();
  void AddHost(const HostSpec& host);
  void Shape(const std::string& netns, const std::string& dev, double mbit, double queue_ms, bool existed);
  void StartDelayLine(LinkState& link);
  void WriteCoreRules();
  std::string CoreRules(bool ipv6) const;  // the core's mangle table, for iptables-restore or ip6tables-restore
  std::string HelperPath(const std::string& name) const;

  Topology topology_;
  LabOptions options_;
  std::string prefix_;
  // Destroyed in reverse order: delay lines, then namespaces (with what runs in them), the reaper last.
  std::unique_ptr<Reaper> reaper_;
  std::vector<std::unique_ptr<OwnedNamespace>> namespaces_;  // the core first
  std::map<std::pair<std::string, std::string>, std::string> addresses_;  // (host, network) → address
  std::map<std::pair<std::string, std::string>, std::string> addresses6_;  // the same, IPv6 networks only
  std::vector<std::unique_ptr<LinkState>> links_;
  int next_queue_ = 1;
};

// Runs a program (looked up in PATH) with `input` on its stdin; its exit status and output
// (stdout and stderr together). Status -1 when it could not start or outlived the timeout (the
// output then says so).
struct CommandResult {
  int status = -1;
  std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input = "",
                         double timeout_seconds = 30);
// RunCommand that throws std::runtime_error("`ip …` exited 2: …") unless the program exits 0.
std::string RunChecked(const std::vector<std::string>& argv, const std::string& input = "",
                       double timeout_seconds = 30);

}  // namespace lm::netlab
