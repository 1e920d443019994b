#pragma once
// Measuring the lab's links from real traffic, for the lab's self-test and for scenarios that
// want to know what a link delivered: numbered, timestamped UDP datagrams give one-way delay,
// loss and order; a TCP bulk transfer gives the rate. Both ends run in this process, on threads
// whose sockets were made in the two hosts' namespaces (Lab::Socket); the clock is the machine's
// one, so one-way delay needs no synchronisation. Each call blocks until it has its figures;
// several may run at once on different threads.

#include <string>

#include "tests/netlab/lab.h"

namespace lm::netlab {

struct DatagramResult {
  long long sent = 0, received = 0;
  long long reordered = 0;  // arrived after a datagram sent later
  long long duplicated = 0;
  double delay_min_ms = 0, delay_p50_ms = 0, delay_p99_ms = 0, delay_max_ms = 0;  // one way, received ones
  double loss() const { return sent > 0 ? double(sent - received) / double(sent) : 0; }
};

// `count` datagrams of `payload` bytes (at least 16) from `from` to `to`'s address on `network`,
// paced at `per_second`; each carries its number and send time, the receiver reads the kernel's
// receive time. Waits for the last one until `wait_seconds` after the last send. `ipv6`: between
// the hosts' IPv6 addresses (the network must carry IPv6).
DatagramResult SendDatagrams(const Lab& lab, const std::string& from, const std::string& to, const std::string& network,
                             long long count, double per_second, int payload = 16, double wait_seconds = 2,
                             bool ipv6 = false);

struct BulkResult {
  double goodput_mbit = 0;  // TCP payload delivered per second over the measured window
  double wire_mbit = 0;     // the same as Ethernet frames: goodput × (MTU + 14) / MSS
  int mss = 0;
  long long retransmits = 0;  // the sender's, over the whole transfer
  double seconds = 0;         // the measured window
};

// A TCP bulk transfer from `from` to `to`'s address on `network`: `warmup_seconds` to fill the
// path, then the bytes the receiver reads over `measure_seconds`.
BulkResult TcpBulk(const Lab& lab, const std::string& from, const std::string& to, const std::string& network,
                   double warmup_seconds, double measure_seconds, bool ipv6 = false);

}  // namespace lm::netlab
