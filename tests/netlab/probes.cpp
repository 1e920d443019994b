#include "tests/netlab/probes.h"

#include <arpa/inet.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace lm::netlab {

namespace {

int64_t RealtimeNs() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int64_t MonotonicNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void SleepUntilMonotonic(int64_t ns) {
  timespec ts{time_t(ns / 1'000'000'000), long(ns % 1'000'000'000)};
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
  }
}

void Check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("netlab probe: " + what + ": " + std::strerror(errno));
}

// An IPv4 ("10.200.0.2") or IPv6 ("fd00:200::2") address and a port.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
};

SocketAddress Endpoint(const std::string& address, uint16_t port) {
  SocketAddress a;
  if (address.find(':') != std::string::npos) {
    auto* sa = reinterpret_cast<sockaddr_in6*>(&a.storage);
    sa->sin6_family = AF_INET6;
    sa->sin6_port = htons(port);
    a.length = sizeof *sa;
    if (inet_pton(AF_INET6, address.c_str(), &sa->sin6_addr) == 1) return a;
  } else {
    auto* sa = reinterpret_cast<sockaddr_in*>(&a.storage);
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    a.length = sizeof *sa;
    if (inet_pton(AF_INET, address.c_str(), &sa->sin_addr) == 1) return a;
  }
  throw std::runtime_error("netlab probe: bad address " + address);
}

// Binds to address:0 and returns the port chosen.
uint16_t BindAny(int fd, const std::string& address) {
  SocketAddress a = Endpoint(address, 0);
  Check(::bind(fd, a.get(), a.length) == 0, "bind " + address);
  socklen_t len = sizeof a.storage;
  Check(::getsockname(fd, a.get(), &len) == 0, "getsockname");
  return a.family() == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&a.storage)->sin6_port)
                                : ntohs(reinterpret_cast<sockaddr_in*>(&a.storage)->sin_port);
}

// The host's address on `network`, IPv6 or IPv4; throws if it has no IPv6 address there.
std::string AddressOn(const Lab& lab, const std::string& host, const std::string& network, bool ipv6) {
  if (!ipv6) return lab.Address(host, network);
  const std::string a = lab.Address6(host, network);
  if (a.empty()) throw std::runtime_error("netlab probe: " + network + " carries no IPv6");
  return a;
}

void SetTimeout(int fd, int option, double seconds) {
  timeval tv{time_t(seconds), suseconds_t((seconds - double(time_t(seconds))) * 1e6)};
  ::setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

double Percentile(std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t i = std::min(sorted.size() - 1, size_t(p * double(sorted.size() - 1) + 0.5));
  return sorted[i];
}

struct Datagram {
  uint64_t seq;
  int64_t sent_realtime_ns;
};

}  // namespace

DatagramResult SendDatagrams(const Lab& lab, const std::string& from, const std::string& to, const std::string& network,
                             long long count, double per_second, int payload, double wait_seconds, bool ipv6) {
  payload = std::max<int>(payload, sizeof(Datagram));
  const std::string to_address = AddressOn(lab, to, network, ipv6);
  const int family = ipv6 ? AF_INET6 : AF_INET;
  UniqueFd rx = lab.Socket(to, family, SOCK_DGRAM);
  UniqueFd tx = lab.Socket(from, family, SOCK_DGRAM);
  const int big = 16 << 20;
  ::setsockopt(rx.get(), SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);  // the receiver never drops
  const int on = 1;
  Check(::setsockopt(rx.get(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) == 0, "SO_TIMESTAMPNS");
  const uint16_t port = BindAny(rx.get(), to_address);
  BindAny(tx.get(), AddressOn(lab, from, network, ipv6));
  SocketAddress dest = Endpoint(to_address, port);
  Check(::connect(tx.get(), dest.get(), dest.length) == 0, "connect " + to_address);
  SetTimeout(rx.get(), SO_RCVTIMEO, 0.1);

  DatagramResult result;
  std::atomic<int64_t> last_send_done{0};  // monotonic ns once every datagram is sent
  std::vector<double> delays;
  delays.reserve(size_t(count));
  std::thread receiver([&] {
    std::vector<bool> seen(size_t(count), false);
    uint64_t highest = 0;
    bool any = false;
    // recvmmsg: many datagrams a wake-up, each with the kernel's receive time.
    constexpr int kBatch = 64;
    std::vector<char> bufs(size_t(kBatch) * size_t(payload + 64));
    std::vector<char> controls(size_t(kBatch) * 128);
    std::vector<iovec> iovs(kBatch);
    std::vector<mmsghdr> msgs(kBatch);
    while (result.received + result.duplicated < count) {
      const int64_t done = last_send_done.load();
      if (done != 0 && MonotonicNs() > done + int64_t(wait_seconds * 1e9)) break;
      for (int i = 0; i < kBatch; ++i) {
        iovs[i] = {bufs.data() + size_t(i) * size_t(payload + 64), size_t(payload + 64)};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
        msgs[i].msg_hdr.msg_control = controls.data() + size_t(i) * 128;
        msgs[i].msg_hdr.msg_controllen = 128;
      }
      const int got = ::recvmmsg(rx.get(), msgs.data(), kBatch, MSG_WAITFORONE, nullptr);
      if (got <= 0) continue;  // the 0.1 s timeout: look at the deadline again
      const int64_t now_ns = RealtimeNs();
      for (int i = 0; i < got; ++i) {
        if (msgs[i].msg_len < sizeof(Datagram)) continue;
        int64_t received_ns = now_ns;
        for (cmsghdr* c = CMSG_FIRSTHDR(&msgs[i].msg_hdr); c; c = CMSG_NXTHDR(&msgs[i].msg_hdr, c)) {
          if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
            timespec ts;
            std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
            received_ns = int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
          }
        }
        Datagram d;
        std::memcpy(&d, iovs[i].iov_base, sizeof d);
        if (d.seq >= uint64_t(count)) continue;
        if (seen[d.seq]) {
          ++result.duplicated;
          continue;
        }
        seen[d.seq] = true;
        ++result.received;
        if (any && d.seq < highest) ++result.reordered;
        highest = any ? std::max(highest, d.seq) : d.seq;
        any = true;
        delays.push_back(double(received_ns - d.sent_realtime_ns) / 1e6);
      }
    }
  });

  // Paced by the clock, a burst every 5 ms at most (fewer wake-ups on every side: on a small
  // virtual machine they, not the bytes, are the cost): at each wake-up, every datagram due by
  // now goes out with one sendmmsg per 64, and a late sender catches up rather than slowing down.
  constexpr int kBatch = 64;
  std::vector<char> out(size_t(kBatch) * size_t(payload), 0);
  std::vector<iovec> iovs(kBatch);
  std::vector<mmsghdr> msgs(kBatch);
  const int64_t start = MonotonicNs();
  const int64_t tick = std::max<int64_t>(int64_t(1e9 / per_second), 5'000'000);
  long long next = 0;
  while (next < count) {
    const long long due = std::min<long long>(count, 1 + (long long)(double(MonotonicNs() - start) / 1e9 * per_second));
    while (next < due) {
      const int n = int(std::min<long long>(kBatch, due - next));
      for (int i = 0; i < n; ++i) {
        Datagram d{uint64_t(next + i), RealtimeNs()};
        char* slot = out.data() + size_t(i) * size_t(payload);
        std::memcpy(slot, &d, sizeof d);
        iovs[i] = {slot, size_t(payload)};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iovs[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      const int sent = ::sendmmsg(tx.get(), msgs.data(), unsigned(n), 0);
      if (sent <= 0) {
        if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) continue;
        last_send_done = MonotonicNs();
        receiver.join();
        Check(false, "send to " + to_address);
      }
      next += sent;
      result.sent += sent;
    }
    if (next < count) SleepUntilMonotonic(MonotonicNs() + tick);
  }
  last_send_done = MonotonicNs();
  receiver.join();
  std::sort(delays.begin(), delays.end());
  if (!delays.empty()) {
    result.delay_min_ms = delays.front();
    result.delay_max_ms = delays.back();
    result.delay_p50_ms = Percentile(delays, 0.5);
    result.delay_p99_ms = Percentile(delays, 0.99);
  }
  return result;
}

BulkResult TcpBulk(const Lab& lab, const std::string& from, const std::string& to, const std::string& network,
                   double warmup_seconds, double measure_seconds, bool ipv6) {
  const std::string to_address = AddressOn(lab, to, network, ipv6);
  const int family = ipv6 ? AF_INET6 : AF_INET;
  UniqueFd listener = lab.Socket(to, family, SOCK_STREAM);
  UniqueFd tx = lab.Socket(from, family, SOCK_STREAM);
  const int on = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  const uint16_t port = BindAny(listener.get(), to_address);
  Check(::listen(listener.get(), 1) == 0, "listen");
  SocketAddress dest = Endpoint(to_address, port);
  SetTimeout(tx.get(), SO_SNDTIMEO, 10);        // connect's deadline (a lost SYN is sent again after 1 s)
  SetTimeout(listener.get(), SO_RCVTIMEO, 10);  // accept's
  Check(::connect(tx.get(), dest.get(), dest.length) == 0, "connect " + to_address);
  UniqueFd rx(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  Check(rx.get() >= 0, "accept from " + from);
  SetTimeout(tx.get(), SO_SNDTIMEO, 0.2);  // the sender looks at `stop` this often
  SetTimeout(rx.get(), SO_RCVTIMEO, 0.2);

  std::atomic<bool> stop{false};
  std::thread sender([&] {
    std::vector<char> chunk(64 * 1024, 'x');
    while (!stop.load()) {
      const ssize_t n = ::send(tx.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) break;
    }
  });

  std::vector<char> buf(256 * 1024);
  long long bytes = 0, bytes_at_start = 0;
  const int64_t begin = MonotonicNs();
  const int64_t window_start = begin + int64_t(warmup_seconds * 1e9);
  const int64_t window_end = window_start + int64_t(measure_seconds * 1e9);
  int64_t started_at = 0, ended_at = 0;
  long long bytes_at_end = 0;
  while (ended_at == 0) {
    const ssize_t n = ::recv(rx.get(), buf.data(), buf.size(), 0);
    const int64_t now = MonotonicNs();
    if (n > 0) bytes += n;
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    // The window's edges at the first read past each: the bytes read by then, the time then.
    if (started_at == 0 && now >= window_start) {
      started_at = now;
      bytes_at_start = bytes;
    } else if (started_at != 0 && now >= window_end) {
      ended_at = now;
      bytes_at_end = bytes;
    }
  }
  stop = true;
  ::shutdown(tx.get(), SHUT_RDWR);
  sender.join();

  BulkResult result;
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(tx.get(), IPPROTO_TCP, TCP_INFO, &info, &len) == 0) {
    result.mss = int(info.tcpi_snd_mss);
    result.retransmits = info.tcpi_total_retrans;
  }
  if (ended_at == 0) throw std::runtime_error("netlab probe: the transfer from " + from + " to " + to + " ended early");
  result.seconds = double(ended_at - started_at) / 1e9;
  result.goodput_mbit = double(bytes_at_end - bytes_at_start) * 8 / result.seconds / 1e6;
  if (result.mss > 0) result.wire_mbit = result.goodput_mbit * (1500 + 14) / result.mss;
  return result;
}

}  // namespace lm::netlab
