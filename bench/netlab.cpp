// netlab_bench: scenario 1 of the network lab at full size. Builds the lab's default county
// (tests/netlab/README.md), runs the catalog and origin on its origin host and a school box on each
// of its six edge hosts, uploads a pack of courseware documents, publishes it to every school and
// prints how long until every edge holds it, the origin's WAN egress and each edge's WAN and LAN
// traffic, beside the Kumar–Ross lower bound for the same links. --mode both (the default) runs
// peer-to-peer first, then peer_to_peer = false (the web seed alone) in a fresh lab. Scenario 5 at
// full size: --nat puts every edge behind an IPv4 NAT; --ipv6 routes IPv6 on the WAN as well (the
// origin then named at its IPv6 address in its torrents). Needs root.
//   sudo build/bin/netlab_bench --mb 100 --lessons 20 [--mode p2p|webseed|both] [--nat] [--ipv6]

#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <string>

#include "tests/netlab/county.h"
#include "tests/netlab/lab.h"

namespace {

struct Setting {
  double mb = 100;
  int lessons = 20;
  double deadline_factor = 8;
  bool nat = false;
  bool ipv6 = false;
  std::string logs;  // a directory for each edge's log, or ""
};

int RunOnce(bool peer_to_peer, const Setting& s) {
  using namespace lm::netlab;
  Topology topology = DefaultTopology();
  if (s.ipv6) topology.networks.at(0).subnet6 = "fd00:200:0:0";  // the WAN
  Lab lab(topology);
  County county(lab);
  county.Start();
  std::printf("uploading %d lessons, %.1f MB ...\n", s.lessons, s.mb);
  std::fflush(stdout);
  const std::vector<PackLesson> pack = UploadPack(county, s.lessons, static_cast<std::int64_t>(s.mb * 1e6));
  EdgeOptions options;
  options.peer_to_peer = peer_to_peer;
  for (const std::string& e : county.Edges()) {
    if (s.nat) PutBehindIpv4Nat(lab, e);
    county.StartEdge(e, options);
  }
  const double bytes = std::accumulate(pack.begin(), pack.end(), 0.0, [](double s, const PackLesson& l) { return s + l.bytes; });
  const DistributionBound bound = KumarRoss(lab.topology(), bytes);
  const DistributionFigures f = Distribute(county, pack, s.deadline_factor * bound.wan_s);
  std::string label = peer_to_peer ? "distribution, peer-to-peer" : "distribution, web seed only (peer_to_peer = false)";
  if (s.nat) label += ", every edge behind an IPv4 NAT";
  if (s.ipv6) label += ", IPv6 routed";
  std::printf("%s", Describe(label, f, bound).c_str());
  if (!s.logs.empty()) {
    std::filesystem::create_directories(s.logs);
    for (const std::string& e : county.Edges()) {
      std::ofstream(std::filesystem::path(s.logs) / (e + (peer_to_peer ? ".p2p" : ".webseed") + ".log")) << county.EdgeLog(e);
    }
  }
  if (s.nat) {
    long long refused = 0;
    for (const std::string& e : county.Edges()) refused += RefusedByIpv4Nat(lab, e);
    std::printf("new inbound IPv4 connections refused by the edges' NATs: %lld packets\n", refused);
  }
  int bad = 0;
  for (const std::string& e : county.Edges()) {
    const std::string check = county.CheckFiles(e, pack);
    if (!check.empty()) {
      std::printf("files: %s\n", check.c_str());
      ++bad;
    }
  }
  if (bad == 0 && f.seconds >= 0) std::printf("every file of every edge matches its XXH3 in lesson.json\n");
  std::fflush(stdout);
  return f.seconds >= 0 && bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Scenario 1 of the network lab (distribution to six edges) at full size"};
  Setting s;
  std::string mode = "both";
  app.add_option("--mb", s.mb, "pack size in MB (10^6 bytes)")->capture_default_str();
  app.add_option("--lessons", s.lessons, "courseware documents in the pack")->capture_default_str();
  app.add_option("--mode", mode, "p2p, webseed or both")->check(CLI::IsMember({"p2p", "webseed", "both"}))->capture_default_str();
  app.add_option("--deadline-factor", s.deadline_factor, "give up after this many times the bound")->capture_default_str();
  app.add_flag("--nat", s.nat, "every edge behind an IPv4 NAT (no inbound connection from the WAN)");
  app.add_option("--logs", s.logs, "write each edge's log into this directory");
  app.add_flag("--ipv6", s.ipv6, "IPv6 routed on the WAN too; the origin named at its IPv6 address");
  CLI11_PARSE(app, argc, argv);
  const std::string why = lm::netlab::Lab::Unavailable();
  if (!why.empty()) {
    std::fprintf(stderr, "netlab_bench: %s\n", why.c_str());
    return 2;
  }
  try {
    int rc = 0;
    if (mode != "webseed") rc |= RunOnce(true, s);
    if (mode != "p2p") rc |= RunOnce(false, s);
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "netlab_bench: %s\n", e.what());
    return 1;
  }
}
