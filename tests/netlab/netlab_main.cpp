// netlab: the network lab from a shell (as root).
//   netlab up [--small]  builds the default county (--small: origin, edge1, edge2), prints each
//                        host's namespace and addresses, and keeps it until SIGINT or SIGTERM;
//                        `ip netns exec NAMESPACE bash` gives a shell on a host meanwhile
//   netlab sweep         removes the labs of runs that have ended (a killed test's, a crash's)
//   netlab reap PREFIX   (the lab's own reaper) waits for end of file on stdin, which comes when
//                        the lab's process ends, then removes the namespaces named PREFIX*

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <string>

#include "tests/netlab/lab.h"

namespace {

int Usage() {
  std::fprintf(stderr, "usage: netlab up [--small] | netlab sweep | netlab reap PREFIX\n");
  return 2;
}

int Reap(const std::string& prefix) {
  // Only the end of the lab's process may end the reaper: a signal meant for the test's process
  // group or for the test run does not.
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT}) ::signal(sig, SIG_IGN);
  char buf[256];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EINTR)) break;
  }
  const int removed = lm::netlab::Lab::RemoveWithPrefix(prefix);
  if (removed > 0) std::fprintf(stderr, "netlab reap: removed %d namespaces of %s* after its process ended\n", removed,
                                prefix.c_str());
  return 0;
}

int Up(bool small) {
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  sigprocmask(SIG_BLOCK, &stop, nullptr);  // before any thread or child: they inherit the mask's
  lm::netlab::Topology topology = lm::netlab::DefaultTopology();
  if (small) topology.hosts.resize(3);  // origin, edge1, edge2
  lm::netlab::Lab lab(topology);
  std::printf("ready %s\n", lab.prefix().c_str());
  for (const lm::netlab::HostSpec& host : topology.hosts) {
    std::printf("%-8s %s", host.name.c_str(), lab.Namespace(host.name).c_str());
    for (const auto& [network, spec] : host.links)
      std::printf("  %s %s (%g/%g Mbit/s, %g ms, %g %% loss)", network.c_str(), lab.Address(host.name, network).c_str(),
                  spec.down_mbit, spec.up_mbit, spec.delay_ms, spec.loss * 100);
    std::printf("\n");
  }
  std::fflush(stdout);
  int sig = 0;
  sigwait(&stop, &sig);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  try {
    if (command == "reap" && argc == 3) return Reap(argv[2]);
    if (command == "sweep" && argc == 2) {
      std::printf("%d\n", lm::netlab::Lab::SweepStale());
      return 0;
    }
    if (command == "up" && (argc == 2 || (argc == 3 && std::string(argv[2]) == "--small"))) {
      const std::string why = lm::netlab::Lab::Unavailable();
      if (!why.empty()) {
        std::fprintf(stderr, "netlab: %s\n", why.c_str());
        return 1;
      }
      return Up(argc == 3);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
  return Usage();
}
