// netlab_delay_line: the network lab's propagation delay. This machine's kernel has no netem (nor
// fq, etf or any other qdisc that holds a packet until a time), so a link's delay is a queue in
// user space: an iptables rule sends the link's packets to an NFQUEUE, and this program holds each
// one for the link's delay, then lets it go on (NF_ACCEPT). It is started by the lab inside the
// namespace whose rules queue the packets.
//
//   netlab_delay_line [--realtime] [--tick-us=250] QUEUE:DELAY_MS [QUEUE:DELAY_MS ...]
//
// Every packet of a queue is held the same time, so they leave in the order they came: one batch
// verdict (NFQNL_MSG_VERDICT_BATCH, "every id up to this one") releases all that are due, and a
// packet is never reordered. Only the packet's metadata is copied to user space. While packets
// flow, the line wakes at most once a tick (reads all that came, releases all that fell due):
// on a small virtual machine a wake-up per packet cost five times the CPU. A packet is so held
// up to two ticks (0.5 ms) longer than the delay, never shorter. The queue is
// deep (65536 packets) and the socket's buffer large, so the line does not drop under the link's
// rate; when it does, it counts it. Prints "ready" once every queue is bound. On SIGUSR1 it prints
// one "stats" line per queue; on SIGINT the same, and exits; on SIGTERM the same, and exits once
// it has let go every packet it holds, each at its time (the lab stops sending it packets first,
// when a link's delay changes):
//   stats queue=N delay_us=D packets=P max_depth=K late_max_us=L late_p50_us=M late_p99_us=Q enobufs=E
//         kernel_dropped=X user_dropped=Y verdict_errors=V
// late_* is how long after its due time a packet's verdict was sent (the scheduling jitter the
// line adds on top of its delay); kernel_dropped and user_dropped are the kernel's own counts for
// the queue (/proc/net/netfilter/nfnetlink_queue: queue full, or the message did not reach us).

// glibc's netinet/in.h before the kernel's headers, or both define in_addr.
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

extern "C" {
#include <libnetfilter_queue/libnetfilter_queue.h>
}

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

constexpr uint32_t kQueueMaxLen = 65536;
constexpr unsigned kSocketBuffer = 32u << 20;
constexpr int kLateBuckets = 2000;  // 50 µs each: up to 100 ms

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

struct Held {
  uint32_t id;
  int64_t due_ns;
};

struct Queue {
  uint16_t num = 0;
  int64_t delay_ns = 0;
  nfq_q_handle* handle = nullptr;
  std::deque<Held> held;
  uint64_t packets = 0;
  size_t max_depth = 0;
  int64_t late_max_ns = 0;
  std::array<uint64_t, kLateBuckets + 1> late_hist{};
  uint64_t released = 0;
  uint64_t verdict_errors = 0;
};

uint64_t g_enobufs = 0;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "netlab_delay_line: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

int OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* arg) {
  auto* q = static_cast<Queue*>(arg);
  const nfqnl_msg_packet_hdr* hdr = nfq_get_msg_packet_hdr(data);
  if (!hdr) return 0;
  q->held.push_back({ntohl(hdr->packet_id), NowNs() + q->delay_ns});
  ++q->packets;
  q->max_depth = std::max(q->max_depth, q->held.size());
  return 0;
}

// Sends the verdict for every packet of `q` that is due: one batch verdict for the newest.
void ReleaseDue(Queue& q, int64_t now) {
  if (q.held.empty() || q.held.front().due_ns > now) return;
  uint32_t last = 0;
  while (!q.held.empty() && q.held.front().due_ns <= now) {
    const int64_t late = now - q.held.front().due_ns;
    q.late_max_ns = std::max(q.late_max_ns, late);
    ++q.late_hist[std::min<int64_t>(late / 50'000, kLateBuckets)];
    last = q.held.front().id;
    q.held.pop_front();
    ++q.released;
  }
  if (nfq_set_verdict_batch(q.handle, last, NF_ACCEPT) < 0) ++q.verdict_errors;
}

// The lateness below which `percent` % of the released packets fell, in µs (50 µs buckets).
int64_t LatePercentileUs(const Queue& q, int percent) {
  uint64_t total = 0;
  for (uint64_t n : q.late_hist) total += n;
  if (total == 0) return 0;
  const uint64_t want = total - total * uint64_t(100 - percent) / 100;
  uint64_t seen = 0;
  for (int i = 0; i <= kLateBuckets; ++i) {
    seen += q.late_hist[i];
    if (seen >= want) return int64_t(i + 1) * 50;
  }
  return int64_t(kLateBuckets) * 50;
}

// The kernel's counters for queue `num` in this namespace: {queue_dropped, user_dropped}.
std::pair<uint64_t, uint64_t> KernelDrops(uint16_t num) {
  std::ifstream in("/proc/net/netfilter/nfnetlink_queue");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    uint64_t queue, portid, waiting, mode, range, queue_dropped, user_dropped;
    if (fields >> queue >> portid >> waiting >> mode >> range >> queue_dropped >> user_dropped && queue == num)
      return {queue_dropped, user_dropped};
  }
  return {0, 0};
}

void PrintStats(const std::vector<std::unique_ptr<Queue>>& queues) {
  for (const auto& q : queues) {
    const auto [kernel_dropped, user_dropped] = KernelDrops(q->num);
    std::printf(
        "stats queue=%u delay_us=%lld packets=%llu max_depth=%zu late_max_us=%lld late_p50_us=%lld late_p99_us=%lld "
        "enobufs=%llu "
        "kernel_dropped=%llu user_dropped=%llu verdict_errors=%llu\n",
        unsigned(q->num), (long long)(q->delay_ns / 1000), (unsigned long long)q->packets, q->max_depth,
        (long long)(q->late_max_ns / 1000), (long long)LatePercentileUs(*q, 50),
        (long long)LatePercentileUs(*q, 99), (unsigned long long)g_enobufs,
        (unsigned long long)kernel_dropped, (unsigned long long)user_dropped,
        (unsigned long long)q->verdict_errors);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  bool realtime = false;
  int64_t tick_ns = 250'000;
  std::vector<std::unique_ptr<Queue>> queues;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--realtime") {
      realtime = true;
      continue;
    }
    if (arg.rfind("--tick-us=", 0) == 0) {
      tick_ns = std::atoll(arg.c_str() + 10) * 1000;
      continue;
    }
    auto q = std::make_unique<Queue>();
    unsigned num = 0;
    double ms = -1;
    if (std::sscanf(arg.c_str(), "%u:%lf", &num, &ms) != 2 || num > 65535 || ms < 0) {
      std::fprintf(stderr, "usage: netlab_delay_line [--realtime] [--tick-us=N] QUEUE:DELAY_MS ...  (bad argument '%s')\n",
                   arg.c_str());
      return 2;
    }
    q->num = uint16_t(num);
    q->delay_ns = int64_t(ms * 1e6);
    queues.push_back(std::move(q));
  }
  if (queues.empty()) {
    std::fprintf(stderr, "usage: netlab_delay_line [--realtime] [--tick-us=N] QUEUE:DELAY_MS ...\n");
    return 2;
  }

  // A real-time priority keeps the verdicts on time on a busy machine; the line sleeps in ppoll
  // between ticks, so it cannot starve anything.
  if (realtime) {
    sched_param param{};
    param.sched_priority = 10;
    if (sched_setscheduler(0, SCHED_FIFO, &param) != 0)
      std::fprintf(stderr, "netlab_delay_line: no real-time priority (%s); verdicts may be late\n",
                   std::strerror(errno));
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  if (sigprocmask(SIG_BLOCK, &signals, nullptr) != 0) Die("sigprocmask");
  const int sfd = signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK);
  if (sfd < 0) Die("signalfd");

  nfq_handle* h = nfq_open();
  if (!h) Die("nfq_open");
  for (auto& q : queues) {
    q->handle = nfq_create_queue(h, q->num, &OnPacket, q.get());
    if (!q->handle) Die("nfq_create_queue " + std::to_string(q->num) + " (is another line bound to it?)");
    if (nfq_set_mode(q->handle, NFQNL_COPY_META, 0) < 0) Die("nfq_set_mode");
    if (nfq_set_queue_maxlen(q->handle, kQueueMaxLen) < 0) Die("nfq_set_queue_maxlen");
    // Whole GSO packets, not their segments: fewer messages, the same bytes and order.
    nfq_set_queue_flags(q->handle, NFQA_CFG_F_GSO, NFQA_CFG_F_GSO);
  }
  nfnl_rcvbufsiz(nfq_nfnlh(h), kSocketBuffer);
  const int fd = nfq_fd(h);
  std::printf("ready\n");
  std::fflush(stdout);

  std::vector<char> buffer(1 << 16);
  bool stop = false, draining = false;
  // Wake-ups, not bytes, are what the line costs: while packets flow, it reads the socket and
  // sends verdicts at most once a tick, each time for all that came or fell due meanwhile.
  int64_t quiet_until = 0;
  for (;;) {
    int64_t next_due = INT64_MAX;
    for (const auto& q : queues)
      if (!q->held.empty()) next_due = std::min(next_due, q->held.front().due_ns);
    const int64_t before = NowNs();
    const bool quiet = before < quiet_until;
    int64_t wake = quiet ? std::max(next_due, quiet_until) : next_due;
    if (quiet) wake = std::min(wake, quiet_until);
    timespec timeout{};
    timespec* timeout_ptr = nullptr;
    if (wake != INT64_MAX) {
      const int64_t wait = std::max<int64_t>(0, wake - before);
      timeout.tv_sec = wait / 1'000'000'000;
      timeout.tv_nsec = wait % 1'000'000'000;
      timeout_ptr = &timeout;
    }
    pollfd fds[2] = {{quiet ? -1 : fd, POLLIN, 0}, {sfd, POLLIN, 0}};
    const int ready = ppoll(fds, 2, timeout_ptr, nullptr);
    if (ready < 0 && errno != EINTR) Die("ppoll");
    bool got = false;
    if (NowNs() >= quiet_until) {
      for (;;) {
        const ssize_t n = recv(fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n < 0) {
          if (errno == ENOBUFS) {
            ++g_enobufs;  // the kernel could not hand us a packet: it dropped it
            continue;
          }
          if (errno == EAGAIN || errno == EINTR) break;
          Die("recv");
        }
        nfq_handle_packet(h, buffer.data(), int(n));
        got = true;
      }
    }
    const int64_t now = NowNs();
    for (auto& q : queues) ReleaseDue(*q, now);
    if (got) quiet_until = now + tick_ns;
    if (ready > 0 && (fds[1].revents & POLLIN)) {
      signalfd_siginfo info;
      while (read(sfd, &info, sizeof info) == ssize_t(sizeof info)) {
        PrintStats(queues);
        if (info.ssi_signo == SIGINT) stop = true;
        if (info.ssi_signo == SIGTERM) draining = true;
      }
    }
    if (draining && std::all_of(queues.begin(), queues.end(), [](const auto& q) { return q->held.empty(); }))
      stop = true;
    if (stop) break;
  }
  for (auto& q : queues) nfq_destroy_queue(q->handle);
  nfq_close(h);
  return 0;
}
