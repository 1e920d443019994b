#include "tests/netlab/lab.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/testing/wait_for.h"

extern char** environ;

namespace lm::netlab {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kNetnsDir = "/run/netns";
constexpr const char* kLabMark = "lmlab-";
constexpr int kFrameBytes = 1514;  // a full Ethernet frame at MTU 1500, header included

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// An IPv6 address as the kernel and `ss` write it ("fd00:200:0:0::2" → "fd00:200::2").
std::string CanonicalIpv6(const std::string& text) {
  in6_addr a{};
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, text.c_str(), &a) != 1 || !inet_ntop(AF_INET6, &a, out, sizeof out))
    throw std::runtime_error("netlab: bad IPv6 address " + text);
  return out;
}

// This process's start time in clock ticks since boot (field 22 of /proc/PID/stat): with the
// pid, it names this run even after the pid is reused. "" if the process does not exist.
std::string StartTime(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return "";
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return "";
  std::istringstream fields(stat.substr(paren + 2));
  std::string field;
  for (int i = 3; i <= 22 && fields >> field; ++i) {
    if (i == 22) return field;
  }
  return "";
}

// A lab's namespace is named lmlab-PID-START-…: its owner is alive when that process still runs.
bool OwnerAlive(const std::string& name) {
  static const std::regex pattern("^lmlab-([0-9]+)-([0-9]+)-.*");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return false;
  const long pid = std::stol(m[1]);
  return pid > 0 && StartTime(pid_t(pid)) == m[2].str();
}

std::vector<std::string> LabNamespaces() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(kNetnsDir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kLabMark, 0) == 0) names.push_back(name);
  }
  return names;
}

// Kills what runs in the namespace, then removes its name; the kernel frees it, its interfaces
// and its bridges once the last process in it has gone. Errors go to stderr: a teardown goes on.
bool RemoveNamespace(const std::string& name) {
  const CommandResult pids = RunCommand({"ip", "netns", "pids", name}, "", 10);
  if (pids.status == 0) {
    std::istringstream in(pids.output);
    for (long pid; in >> pid;) ::kill(pid_t(pid), SIGKILL);
  }
  const CommandResult del = RunCommand({"ip", "netns", "del", name}, "", 10);
  if (del.status != 0 && std::filesystem::exists(std::filesystem::path(kNetnsDir) / name)) {
    std::fprintf(stderr, "netlab: `ip netns del %s` exited %d: %s\n", name.c_str(), del.status,
                 Trim(del.output).c_str());
    return false;
  }
  return true;
}

std::string Mbit(double mbit) { return std::to_string(std::llround(mbit * 1e6)) + "bit"; }

bool ValidName(const std::string& name, size_t max) {
  return !name.empty() && name.size() <= max &&
         std::all_of(name.begin(), name.end(), [](unsigned char c) { return std::islower(c) || std::isdigit(c); });
}

std::string ProgramInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/sbin:/usr/bin:/sbin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  for (const char* dir : {"/usr/sbin", "/sbin"}) {  // root's tools, even when PATH lacks them
    const std::string candidate = std::string(dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A namespace other than the machine's own may only choose a TCP congestion control that the
// machine allows every program (net.ipv4.tcp_allowed_congestion_control, one setting for the
// whole machine). The hosts' cubic (a Debian school box's) is added to that list if it is not
// there: a wider choice for every program, no change to any default.
void AllowCongestionControl(const std::string& name) {
  if (name.empty()) return;
  const std::string path = "/proc/sys/net/ipv4/tcp_allowed_congestion_control";
  std::string allowed;
  {
    std::ifstream in(path);
    std::getline(in, allowed);
  }
  std::istringstream names(allowed);
  for (std::string n; names >> n;)
    if (n == name) return;
  std::ofstream out(path);
  out << allowed << " " << name << "\n";
  out.close();
  if (!out) throw std::runtime_error("netlab: cannot allow TCP congestion control " + name + " in " + path);
  std::fprintf(stderr, "netlab: added %s to %s (now: %s %s)\n", name.c_str(), path.c_str(), allowed.c_str(), name.c_str());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Commands

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& input, double timeout_seconds) {
  CommandResult result;
  if (argv.empty()) {
    result.output = "nothing to run";
    return result;
  }
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return {-1, std::string("pipe: ") + std::strerror(errno)};
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return {-1, std::string("pipe: ") + std::strerror(errno)};
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDERR_FILENO);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::string program = argv[0];
  if (program.find('/') == std::string::npos) {
    const std::string found = ProgramInPath(program);
    if (!found.empty()) program = found;
  }
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  UniqueFd to_child(in[1]), from_child(out[0]);
  if (rc != 0) return {-1, "cannot run " + argv[0] + ": " + std::strerror(rc)};
  if (input.empty()) to_child = UniqueFd();
  ::fcntl(from_child.get(), F_SETFL, O_NONBLOCK);
  if (to_child.get() >= 0) ::fcntl(to_child.get(), F_SETFL, O_NONBLOCK);

  const auto deadline = Clock::now() + testing::ScaledDuration(timeout_seconds);
  size_t written = 0;
  bool timed_out = false;
  while (from_child.get() >= 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2] = {{from_child.get(), POLLIN, 0}, {to_child.get(), POLLOUT, 0}};
    const int n = ::poll(fds, to_child.get() >= 0 ? 2 : 1, int(std::min<long long>(left, 1000)));
    if (n < 0 && errno != EINTR) break;
    if (to_child.get() >= 0 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t w = ::write(to_child.get(), input.data() + written, input.size() - written);
      if (w > 0) written += size_t(w);
      if (w < 0 && errno != EAGAIN) to_child = UniqueFd();
      if (written == input.size()) to_child = UniqueFd();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      const ssize_t r = ::read(from_child.get(), buf, sizeof buf);
      if (r > 0) result.output.append(buf, size_t(r));
      if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) from_child = UniqueFd();
    }
  }
  int raw = 0;
  if (timed_out) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &raw, 0);
    result.output += "\n(killed after " + std::to_string(timeout_seconds) + " s)";
    return result;
  }
  // The output is closed; the program ends now (a daemon it left behind keeps no pipe of ours).
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  return result;
}

std::string RunChecked(const std::vector<std::string>& argv, const std::string& input, double timeout_seconds) {
  CommandResult r = RunCommand(argv, input, timeout_seconds);
  if (r.status != 0) {
    std::string message = "netlab: `" + Join(argv) + "` ";
    message += r.status < 0 ? "failed" : "exited " + std::to_string(r.status);
    if (!Trim(r.output).empty()) message += ": " + Trim(r.output);
    if (!input.empty()) message += "\ninput was:\n" + input;
    throw std::runtime_error(message);
  }
  return r.output;
}

// ---------------------------------------------------------------------------------------------
// Namespaces

InNamespace::InNamespace(const std::string& netns_path) : home_(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)) {
  if (home_.get() < 0) throw std::runtime_error(std::string("netlab: open own namespace: ") + std::strerror(errno));
  UniqueFd target(::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.get() < 0)
    throw std::runtime_error("netlab: open " + netns_path + ": " + std::strerror(errno));
  if (::setns(target.get(), CLONE_NEWNET) != 0)
    throw std::runtime_error("netlab: setns " + netns_path + ": " + std::strerror(errno));
}

InNamespace::~InNamespace() {
  if (::setns(home_.get(), CLONE_NEWNET) != 0) {
    // A thread left in a lab namespace would make every later socket there: stop loudly.
    std::fprintf(stderr, "netlab: cannot return to the test's own network namespace: %s\n", std::strerror(errno));
    std::abort();
  }
}

// A named namespace of this lab: made when constructed, removed (with its processes) when destroyed.
class Lab::OwnedNamespace {
 public:
  explicit OwnedNamespace(std::string name) : name_(std::move(name)) {
    RunChecked({"ip", "netns", "add", name_});
  }
  ~OwnedNamespace() { RemoveNamespace(name_); }
  OwnedNamespace(const OwnedNamespace&) = delete;
  OwnedNamespace& operator=(const OwnedNamespace&) = delete;
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// A process, in its own session, that waits for this test process to end and then removes the
// lab's namespaces: it reads a pipe whose only writer is this process, so end of file comes when
// this process ends, however it ends (SIGKILL included). A Lab that tears itself down leaves the
// reaper nothing to do.
class Lab::Reaper {
 public:
  Reaper(const std::string& program, const std::string& prefix) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("netlab: pipe: ") + std::strerror(errno));
    UniqueFd read_end(fds[0]);
    write_end_ = UniqueFd(fds[1]);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, read_end.get(), STDIN_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // no signal to our group or terminal reaches it
    std::vector<std::string> argv = {program, "reap", prefix};
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attr, args.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("netlab: cannot start " + program + ": " + std::strerror(rc));
  }
  ~Reaper() {
    write_end_ = UniqueFd();  // it removes what is left (nothing, normally) and exits
    int raw = 0;
    const bool ended = testing::WaitFor([&] { return ::waitpid(pid_, &raw, WNOHANG) == pid_; }, 10, 10);
    if (!ended) {
      std::fprintf(stderr, "netlab: the reaper did not end; killing it\n");
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &raw, 0);
    }
  }
  Reaper(const Reaper&) = delete;
  Reaper& operator=(const Reaper&) = delete;

 private:
  UniqueFd write_end_;
  pid_t pid_ = -1;
};

// ---------------------------------------------------------------------------------------------
// The lab

struct Lab::LinkState {
  std::string host, network;
  std::string host_ns, iface;  // the host's end: its namespace, its interface (named after the network)
  std::string port;            // the core's end, a port of the network's bridge
  std::string address;
  LinkSpec spec;
  int up_queue = 0, down_queue = 0;  // NFQUEUE numbers while a delay line runs
  std::unique_ptr<testing::ChildProcess> line;
  std::vector<std::unique_ptr<testing::ChildProcess>> draining;  // old lines letting their packets go
};

Topology DefaultTopology() {
  Topology t;
  t.networks = {{"wan", "10.200.0", false, ""}, {"county1", "10.201.1", true, ""}, {"county2", "10.201.2", true, ""}};
  LinkSpec origin{.down_mbit = 8, .up_mbit = 8, .delay_ms = 5, .loss = 0};
  LinkSpec school{.down_mbit = 4, .up_mbit = 1, .delay_ms = 80, .loss = 0.005};
  LinkSpec lan{.down_mbit = 100, .up_mbit = 100, .delay_ms = 0, .loss = 0};
  t.hosts.push_back({"origin", {{"wan", origin}}});
  for (int i = 1; i <= 6; ++i)
    t.hosts.push_back({"edge" + std::to_string(i), {{"wan", school}, {i <= 3 ? "county1" : "county2", lan}}});
  return t;
}

std::string Lab::Unavailable() {
  if (::geteuid() != 0) return "the network lab needs root (network namespaces, veth pairs, tc, iptables)";
  for (const auto& [program, package] : std::vector<std::pair<std::string, std::string>>{
           {"ip", "iproute2"}, {"tc", "iproute2"}, {"iptables-restore", "iptables"}, {"ethtool", "ethtool"}}) {
    if (ProgramInPath(program).empty())
      return "`" + program + "` is missing (Debian package " + package + "; scripts/install-deps.sh installs it)";
  }
  if (!std::filesystem::exists("/proc/thread-self/ns/net")) return "no network namespaces in this kernel";
  // A namespace made and removed at once: a container without CAP_SYS_ADMIN fails here.
  const std::string probe = std::string(kLabMark) + std::to_string(::getpid()) + "-" + StartTime(::getpid()) + "-probe";
  const CommandResult add = RunCommand({"ip", "netns", "add", probe}, "", 10);
  if (add.status != 0) return "cannot create a network namespace: " + Trim(add.output);
  RemoveNamespace(probe);
  return "";
}

int Lab::SweepStale() {
  int removed = 0;
  for (const std::string& name : LabNamespaces()) {
    if (OwnerAlive(name)) continue;
    if (RemoveNamespace(name)) ++removed;
  }
  if (removed > 0) std::fprintf(stderr, "netlab: swept %d namespaces of labs whose process has ended\n", removed);
  return removed;
}

int Lab::RemoveWithPrefix(const std::string& prefix) {
  int removed = 0;
  for (const std::string& name : LabNamespaces()) {
    if (name.rfind(prefix, 0) == 0 && RemoveNamespace(name)) ++removed;
  }
  return removed;
}

Lab::Lab(Topology topology, LabOptions options) : topology_(std::move(topology)), options_(std::move(options)) {
  static std::atomic<int> labs{0};
  if (options_.helper_dir.empty()) options_.helper_dir = LM_NETLAB_BIN_DIR;
  prefix_ = std::string(kLabMark) + std::to_string(::getpid()) + "-" + StartTime(::getpid()) + "-" +
            std::to_string(labs++) + "-";
  Build();
}

Lab::~Lab() {
  // Delay lines first, so none waits on a queue whose namespace is going; then the namespaces
  // (members, in reverse), the reaper last.
  for (auto& link : links_) {
    if (link->line) link->line->Stop(0);
    for (auto& old : link->draining) old->Stop(0);
  }
  links_.clear();
  while (!namespaces_.empty()) namespaces_.pop_back();
}

std::string Lab::HelperPath(const std::string& name) const { return options_.helper_dir + "/" + name; }

void Lab::Build() {
  const auto start = Clock::now();
  // Names first: a bad topology fails before anything is made.
  if (topology_.networks.empty() || topology_.hosts.empty()) throw std::runtime_error("netlab: an empty topology");
  std::map<std::string, const NetworkSpec*> networks;
  for (const NetworkSpec& n : topology_.networks) {
    if (!ValidName(n.name, 12)) throw std::runtime_error("netlab: network name '" + n.name + "' (a-z0-9, at most 12)");
    if (!std::regex_match(n.subnet, std::regex(R"(\d{1,3}\.\d{1,3}\.\d{1,3})")))
      throw std::runtime_error("netlab: network " + n.name + ": subnet '" + n.subnet + "' is not three octets");
    if (!n.subnet6.empty() && !std::regex_match(n.subnet6, std::regex(R"([0-9a-f]{1,4}(:[0-9a-f]{1,4}){3})")))
      throw std::runtime_error("netlab: network " + n.name + ": subnet6 '" + n.subnet6 + "' is not four groups");
    if (!networks.emplace(n.name, &n).second) throw std::runtime_error("netlab: network " + n.name + " twice");
  }
  std::map<std::string, int> hosts;
  for (const HostSpec& h : topology_.hosts) {
    if (!ValidName(h.name, 10) || h.name == "core")
      throw std::runtime_error("netlab: host name '" + h.name + "' (a-z0-9, at most 10, not 'core')");
    if (!hosts.emplace(h.name, 0).second) throw std::runtime_error("netlab: host " + h.name + " twice");
    if (h.links.empty()) throw std::runtime_error("netlab: host " + h.name + " has no link");
    for (const auto& [network, spec] : h.links) {
      if (!networks.count(network)) throw std::runtime_error("netlab: host " + h.name + ": no network " + network);
      if (spec.loss < 0 || spec.loss > 1 || spec.delay_ms < 0 || spec.down_mbit < 0 || spec.up_mbit < 0)
        throw std::runtime_error("netlab: host " + h.name + ": link to " + network + " out of range");
    }
  }

  SweepStale();
  AllowCongestionControl(options_.tcp_congestion);
  reaper_ = std::make_unique<Reaper>(HelperPath("netlab"), prefix_);

  // The core: one bridge per network; bridged IPv4 and IPv6 pass iptables and ip6tables
  // (br_netfilter), where each link's loss and delay are. The core itself has no address.
  namespaces_.push_back(std::make_unique<OwnedNamespace>(CoreNamespace()));
  const std::string core = CoreNamespace();
  RunChecked({"ip", "netns", "exec", core, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
              "net.ipv6.conf.default.disable_ipv6=1", "net.bridge.bridge-nf-call-iptables=1",
              "net.bridge.bridge-nf-call-ip6tables=1", "net.bridge.bridge-nf-call-arptables=0"});
  RunChecked({"ip", "-n", core, "link", "set", "lo", "up"});
  for (const NetworkSpec& n : topology_.networks) {
    // mcast_snooping off: a LAN floods multicast like a school's unmanaged switch.
    RunChecked({"ip", "-n", core, "link", "add", "name", "br-" + n.name, "type", "bridge", "mcast_snooping", "0"});
    RunChecked({"ip", "-n", core, "link", "set", "br-" + n.name, "up"});
  }
  for (const HostSpec& host : topology_.hosts) AddHost(host);
  for (auto& link : links_)
    if (link->spec.delay_ms > 0) StartDelayLine(*link);
  WriteCoreRules();
  std::fprintf(stderr, "netlab: %zu hosts on %zu networks built in %.1f s (namespaces %s*)\n", topology_.hosts.size(),
               topology_.networks.size(), SecondsSince(start), prefix_.c_str());
}

void Lab::AddHost(const HostSpec& host) {
  namespaces_.push_back(std::make_unique<OwnedNamespace>(prefix_ + host.name));
  const std::string ns = prefix_ + host.name;
  const std::string core = CoreNamespace();
  // IPv6 off but where a network carries it: on loopback and that network's interface, with no
  // duplicate address detection or router advertisements (addresses are fixed and usable at once).
  bool ipv6 = false;
  for (const auto& [network, spec] : host.links)
    for (const NetworkSpec& n : topology_.networks) ipv6 = ipv6 || (n.name == network && !n.subnet6.empty());
  std::vector<std::string> sysctl = {"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
                                     "net.ipv6.conf.default.disable_ipv6=1"};
  if (ipv6) {
    sysctl.insert(sysctl.end(), {"net.ipv6.conf.lo.disable_ipv6=0", "net.ipv6.conf.default.accept_dad=0",
                                 "net.ipv6.conf.default.accept_ra=0"});
  }
  if (!options_.tcp_congestion.empty()) sysctl.push_back("net.ipv4.tcp_congestion_control=" + options_.tcp_congestion);
  RunChecked(sysctl);
  RunChecked({"ip", "-n", ns, "link", "set", "lo", "up"});
  std::string multicast_iface;
  for (const auto& [network, spec] : host.links) {
    const auto net = std::find_if(topology_.networks.begin(), topology_.networks.end(),
                                  [&](const NetworkSpec& n) { return n.name == network; });
    const int net_index = int(net - topology_.networks.begin());
    auto link = std::make_unique<LinkState>();
    link->host = host.name;
    link->network = network;
    link->host_ns = ns;
    link->iface = network;
    link->port = host.name + "-" + std::to_string(net_index);
    link->spec = spec;
    // Addresses in the order hosts join the network: .1, .2, …
    int k = 1;
    for (const auto& [key, address] : addresses_) k += key.second == network;
    link->address = net->subnet + "." + std::to_string(k);
    addresses_[{host.name, network}] = link->address;

    RunChecked({"ip", "-n", core, "link", "add", "name", link->port, "type", "veth", "peer", "name", link->iface,
                "netns", ns});
    // No segmentation offload: the shaper sees real frames, not 64 KB bursts.
    RunChecked({"ip", "netns", "exec", core, "ethtool", "-K", link->port, "tso", "off", "gso", "off", "gro", "off"});
    RunChecked({"ip", "netns", "exec", ns, "ethtool", "-K", link->iface, "tso", "off", "gso", "off", "gro", "off"});
    RunChecked({"ip", "-n", core, "link", "set", link->port, "master", "br-" + network, "up"});
    RunChecked({"ip", "-n", ns, "addr", "add", link->address + "/24", "dev", link->iface});
    if (!net->subnet6.empty()) {
      const std::string address6 = CanonicalIpv6(net->subnet6 + "::" + std::to_string(k));
      RunChecked({"ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf." + link->iface + ".disable_ipv6=0"});
      RunChecked({"ip", "-n", ns, "-6", "addr", "add", address6 + "/64", "dev", link->iface, "nodad"});
      addresses6_[{host.name, network}] = address6;
    }
    RunChecked({"ip", "-n", ns, "link", "set", link->iface, "up"});
    Shape(ns, link->iface, spec.up_mbit, spec.queue_ms, false);
    Shape(core, link->port, spec.down_mbit, spec.queue_ms, false);
    if (net->multicast && multicast_iface.empty()) multicast_iface = link->iface;
    links_.push_back(std::move(link));
  }
  // Everything not on a subnet goes out of the first link; multicast to the first LAN.
  RunChecked({"ip", "-n", ns, "route", "add", "default", "dev", host.links.front().first});
  if (!multicast_iface.empty()) RunChecked({"ip", "-n", ns, "route", "add", "224.0.0.0/4", "dev", multicast_iface});
}

// HTB with one class at the rate, over a byte FIFO of `queue_ms` at that rate; unlimited: none.
void Lab::Shape(const std::string& netns, const std::string& dev, double mbit, double queue_ms, bool existed) {
  if (mbit <= 0) {
    if (existed) RunChecked({"tc", "-n", netns, "qdisc", "del", "dev", dev, "root"});
    return;
  }
  const long long limit = std::max<long long>(10 * kFrameBytes, std::llround(mbit * 1e6 / 8 * queue_ms / 1000));
  const std::string verb = existed ? "change" : "add";
  if (!existed) RunChecked({"tc", "-n", netns, "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "1"});
  RunChecked({"tc", "-n", netns, "class", verb, "dev", dev, "parent", "1:", "classid", "1:1", "htb", "rate", Mbit(mbit),
              "ceil", Mbit(mbit), "quantum", std::to_string(2 * kFrameBytes)});
  RunChecked({"tc", "-n", netns, "qdisc", verb, "dev", dev, "parent", "1:1", "handle", "10:", "bfifo", "limit",
              std::to_string(limit)});
}

void Lab::StartDelayLine(LinkState& link) {
  link.up_queue = next_queue_++;
  link.down_queue = next_queue_++;
  char up[64], down[64];
  std::snprintf(up, sizeof up, "%d:%.3f", link.up_queue, link.spec.delay_ms);
  std::snprintf(down, sizeof down, "%d:%.3f", link.down_queue, link.spec.delay_ms);
  std::vector<std::string> argv = {"ip", "netns", "exec", CoreNamespace(), HelperPath("netlab_delay_line")};
  if (options_.realtime_delay) argv.push_back("--realtime");
  argv.push_back(up);
  argv.push_back(down);
  link.line = std::make_unique<testing::ChildProcess>();
  const std::string error = link.line->StartPiped(argv);
  if (!error.empty()) throw std::runtime_error("netlab: " + Join(argv) + ": " + error);
  if (!link.line->WaitForLine("ready", 10)) {
    const auto status = link.line->Stop(0);
    throw std::runtime_error("netlab: `" + Join(argv) + "` did not become ready (exit " +
                             (status ? std::to_string(*status) : "?") + ")");
  }
}

// The core's mangle table, written whole at once: for each link, packets from the host (arriving
// on its port: PREROUTING, physdev-in) are dropped at random, then queued to its delay line;
// packets to the host (leaving by its port: POSTROUTING, physdev-out) the same. A packet's
// verdict ends its pass through one hook, so the two links a packet crosses are on two hooks.
// Multicast from a host on a network that does not carry it (the WAN) is dropped first.
// IPv6 (where a network carries it) gets the same rules from ip6tables, on the same queues;
// there a WAN drops multicast but ICMPv6 (neighbour discovery, the IPv6 ARP, which is delayed).
void Lab::WriteCoreRules() {
  const bool ipv6 = std::any_of(topology_.networks.begin(), topology_.networks.end(),
                                [](const NetworkSpec& n) { return !n.subnet6.empty(); });
  for (const bool v6 : {false, true}) {
    if (v6 && !ipv6) break;
    RunChecked({"ip", "netns", "exec", CoreNamespace(), v6 ? "ip6tables-restore" : "iptables-restore"}, CoreRules(v6));
  }
}

std::string Lab::CoreRules(bool ipv6) const {
  std::string rules = "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
                      ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n";
  char probability[32];
  for (const auto& link : links_) {
    const auto net = std::find_if(topology_.networks.begin(), topology_.networks.end(),
                                  [&](const NetworkSpec& n) { return n.name == link->network; });
    if (!net->multicast) {
      rules += "-A PREROUTING -m physdev --physdev-in " + link->port +
               (ipv6 ? " -d ff00::/8 ! -p ipv6-icmp -j DROP\n" : " -d 224.0.0.0/4 -j DROP\n");
    }
    std::snprintf(probability, sizeof probability, "%.8f", link->spec.loss);
    for (const auto& [chain, match, queue] : {std::tuple{"PREROUTING", "--physdev-in", link->up_queue},
                                               std::tuple{"POSTROUTING", "--physdev-out", link->down_queue}}) {
      const std::string head = std::string("-A ") + chain + " -m physdev " + match + " " + link->port;
      if (link->spec.loss >= 1)
        rules += head + " -j DROP\n";  // down
      else if (link->spec.loss > 0)
        rules += head + " -m statistic --mode random --probability " + probability + " -j DROP\n";
      if (link->line) rules += head + " -j NFQUEUE --queue-num " + std::to_string(queue) + "\n";
    }
  }
  rules += "COMMIT\n";
  return rules;
}

std::string Lab::Namespace(const std::string& host) const {
  for (const HostSpec& h : topology_.hosts)
    if (h.name == host) return prefix_ + host;
  throw std::runtime_error("netlab: no host " + host);
}

std::string Lab::NamespacePath(const std::string& host) const {
  return std::string(kNetnsDir) + "/" + Namespace(host);
}

std::vector<std::string> Lab::Namespaces() const {
  std::vector<std::string> names;
  for (const auto& ns : namespaces_) names.push_back(ns->name());
  return names;
}

std::string Lab::Address(const std::string& host, const std::string& network) const {
  const auto it = addresses_.find({host, network});
  if (it == addresses_.end()) throw std::runtime_error("netlab: host " + host + " is not on " + network);
  return it->second;
}

std::string Lab::Address6(const std::string& host, const std::string& network) const {
  Address(host, network);  // throws if the host is not on it
  const auto it = addresses6_.find({host, network});
  return it == addresses6_.end() ? "" : it->second;
}

std::vector<std::string> Lab::Command(const std::string& host, const std::vector<std::string>& argv) const {
  std::vector<std::string> wrapped = {"ip", "netns", "exec", Namespace(host)};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  return wrapped;
}

std::string Lab::Run(const std::string& host, const std::vector<std::string>& argv, double timeout_seconds) const {
  return RunChecked(Command(host, argv), "", timeout_seconds);
}

UniqueFd Lab::Socket(const std::string& host, int domain, int type, int protocol) const {
  InNamespace in(std::string(kNetnsDir) + "/" + Namespace(host));
  UniqueFd fd(::socket(domain, type | SOCK_CLOEXEC, protocol));
  if (fd.get() < 0) throw std::runtime_error("netlab: socket in " + host + ": " + std::strerror(errno));
  return fd;
}

Lab::Counters Lab::InterfaceCounters(const std::string& host, const std::string& network) const {
  const LinkState& link = FindLink(host, network);
  std::string text;
  {
    InNamespace in(std::string(kNetnsDir) + "/" + link.host_ns);
    std::ifstream dev("/proc/thread-self/net/dev");
    std::stringstream ss;
    ss << dev.rdbuf();
    text = ss.str();
  }
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name != link.iface) continue;
    std::istringstream fields(line.substr(colon + 1));
    long long v[10] = {};
    for (long long& x : v) fields >> x;
    return {v[0], v[1], v[8], v[9]};
  }
  throw std::runtime_error("netlab: no interface " + link.iface + " in " + host);
}

Lab::LinkState& Lab::FindLink(const std::string& host, const std::string& network) {
  for (auto& link : links_)
    if (link->host == host && link->network == network) return *link;
  throw std::runtime_error("netlab: host " + host + " has no link to " + network);
}

const Lab::LinkState& Lab::FindLink(const std::string& host, const std::string& network) const {
  return const_cast<Lab*>(this)->FindLink(host, network);
}

const LinkSpec& Lab::Link(const std::string& host, const std::string& network) const {
  return FindLink(host, network).spec;
}

void Lab::SetLink(const std::string& host, const std::string& network, const LinkSpec& spec) {
  LinkState& link = FindLink(host, network);
  const LinkSpec old = link.spec;
  if (spec.loss < 0 || spec.loss > 1 || spec.delay_ms < 0 || spec.down_mbit < 0 || spec.up_mbit < 0)
    throw std::runtime_error("netlab: host " + host + ": link to " + network + " out of range");
  const bool queue_changed = spec.queue_ms != old.queue_ms;
  if (spec.up_mbit != old.up_mbit || queue_changed)
    Shape(link.host_ns, link.iface, spec.up_mbit, spec.queue_ms, old.up_mbit > 0);
  if (spec.down_mbit != old.down_mbit || queue_changed)
    Shape(CoreNamespace(), link.port, spec.down_mbit, spec.queue_ms, old.down_mbit > 0);
  link.spec = spec;
  std::unique_ptr<testing::ChildProcess> old_line;
  if (spec.delay_ms != old.delay_ms) {
    old_line = std::move(link.line);
    link.up_queue = link.down_queue = 0;
    if (spec.delay_ms > 0) StartDelayLine(link);
  }
  if (spec.delay_ms != old.delay_ms || spec.loss != old.loss) WriteCoreRules();
  if (old_line) {
    old_line->Signal(SIGTERM);  // no new packets reach it now; it releases those it holds, then ends
    link.draining.push_back(std::move(old_line));
  }
}

std::vector<DelayLineStats> Lab::DelayLines() {
  std::vector<DelayLineStats> all;
  for (auto& link : links_) {
    if (!link->line) continue;
    link->line->Signal(SIGUSR1);
    for (const auto& [direction, queue] : {std::pair{"up", link->up_queue}, std::pair{"down", link->down_queue}}) {
      const auto line = link->line->WaitForLine("stats queue=" + std::to_string(queue) + " ", 10);
      if (!line)
        throw std::runtime_error("netlab: the delay line of " + link->host + "/" + link->network + " did not answer");
      DelayLineStats s;
      s.host = link->host;
      s.network = link->network;
      s.direction = direction;
      std::istringstream fields(*line);
      for (std::string field; fields >> field;) {
        const size_t eq = field.find('=');
        if (eq == std::string::npos) continue;
        const std::string key = field.substr(0, eq);
        const long long value = std::stoll(field.substr(eq + 1));
        if (key == "delay_us") s.delay_ms = value / 1000.0;
        else if (key == "packets") s.packets = value;
        else if (key == "max_depth") s.max_depth = value;
        else if (key == "late_max_us") s.late_max_us = value;
        else if (key == "late_p50_us") s.late_p50_us = value;
        else if (key == "late_p99_us") s.late_p99_us = value;
        else if (key == "enobufs") s.enobufs = value;
        else if (key == "kernel_dropped") s.kernel_dropped = value;
        else if (key == "user_dropped") s.user_dropped = value;
        else if (key == "verdict_errors") s.verdict_errors = value;
      }
      all.push_back(s);
    }
  }
  return all;
}

}  // namespace lm::netlab
