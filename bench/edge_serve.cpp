// bench/edge_serve: ranged reads of a rendition-sized file from an edge, side by side with nginx.
// One ready bundle holding a 50 MB file in a fresh edge cache; nginx (a child process with its own
// config in the work directory) serves the same file. 200 client threads, each with one keep-alive
// connection (plain blocking sockets), fetch 256 KiB ranges at random offsets; edge and nginx alternate for --pairs pairs.
// Prints p50/p99 latency and throughput per run, and the median of the per-pair throughput ratios.
//
//   build/bin/edge_serve [--clients 200] [--requests 10] [--pairs 5] [--dir bench/out/edge_serve]

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/edge_bench_fixture.h"
#include "edge/edge_service.h"
#include "tests/testing/http_client.h"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

struct RunResult {
  double p50_ms = 0, p99_ms = 0, mib_per_s = 0, wall_s = 0;
  int errors = 0;
};

// A plain blocking HTTP/1.1 keep-alive client, so the client costs little next to the servers: one
// connection, GET with a Range header, reads the status line, headers and Content-Length bytes.
class RangeClient {
 public:
  explicit RangeClient(std::uint16_t port) : port_(port) { body_.resize(1 << 20); }
  ~RangeClient() { Close(); }
  // The status (0 on a socket error) and the body length; the body is read into a reused buffer.
  std::pair<int, std::int64_t> Get(const std::string& target, std::int64_t first, std::int64_t last) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !Connect()) return {0, 0};
      const std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nRange: bytes=" +
                              std::to_string(first) + "-" + std::to_string(last) + "\r\n\r\n";
      if (::send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
        Close();
        continue;
      }
      std::string head;
      char c;
      while (head.size() < 16384 && head.find("\r\n\r\n") == std::string::npos) {
        if (::recv(fd_, &c, 1, 0) != 1) break;
        head += c;
      }
      if (head.find("\r\n\r\n") == std::string::npos) {
        Close();
        if (head.empty()) continue;  // the server closed an idle connection: reconnect once
        return {0, 0};
      }
      const int status = std::atoi(head.c_str() + 9);
      std::string lower = head;
      for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      const auto cl = lower.find("content-length:");
      std::int64_t length = cl == std::string::npos ? 0 : std::atoll(lower.c_str() + cl + 15);
      std::int64_t got = 0;
      while (got < length) {
        const ssize_t n = ::recv(fd_, body_.data(), std::min<std::int64_t>(length - got, static_cast<std::int64_t>(body_.size())), 0);
        if (n <= 0) {
          Close();
          return {0, got};
        }
        got += n;
      }
      if (lower.find("connection: close") != std::string::npos) Close();
      return {status, got};
    }
    return {0, 0};
  }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Close();
      return false;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  std::uint16_t port_;
  int fd_ = -1;
  std::vector<char> body_;
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

RunResult Run(std::uint16_t port, const std::string& target, std::int64_t file_size, int clients, int requests,
              int range_bytes, unsigned seed) {
  std::vector<std::vector<double>> lat(clients);
  std::atomic<int> errors{0};
  std::atomic<std::int64_t> bytes{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      std::mt19937_64 rng(seed * 1000 + c);
      RangeClient client(port);
      for (int i = 0; i < requests; ++i) {
        const std::int64_t off = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(file_size - range_bytes));
        const auto t0 = Clock::now();
        const auto [status, got] = client.Get(target, off, off + range_bytes - 1);
        lat[c].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        if (status != 206 || got != range_bytes) {
          ++errors;
        } else {
          bytes += range_bytes;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  RunResult out;
  out.wall_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  out.p50_ms = Percentile(all, 0.50);
  out.p99_ms = Percentile(all, 0.99);
  out.mib_per_s = static_cast<double>(bytes.load()) / (1 << 20) / out.wall_s;
  out.errors = errors.load();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"edge serve benchmark (against nginx)"};
  int clients = 200, requests = 10, pairs = 5, file_mb = 50, range_kib = 256, nginx_port = 18089;
  std::string dir = "bench/out/edge_serve", nginx = "/usr/sbin/nginx";
  app.add_option("--clients", clients, "concurrent keep-alive clients");
  app.add_option("--requests", requests, "ranged GETs per client per run");
  app.add_option("--pairs", pairs, "edge/nginx pairs, alternating");
  app.add_option("--file-mb", file_mb, "size of the served file, MB");
  app.add_option("--range-kib", range_kib, "bytes per range, KiB");
  app.add_option("--nginx", nginx, "nginx binary");
  app.add_option("--nginx-port", nginx_port, "nginx's loopback port");
  app.add_option("--dir", dir, "work directory (recreated)");
  CLI11_PARSE(app, argc, argv);
  namespace fs = std::filesystem;

  const std::int64_t file_size = std::int64_t{file_mb} * 1000 * 1000;
  auto [config, ids] = lm::bench::FillEdge(dir, 1, static_cast<std::size_t>(file_size));
  const std::string id = ids[0];
  const fs::path bundle_dir = fs::absolute(fs::path(config.cache_dir) / "lessons" / id);
  config.scrub_kbps = 0;  // the background re-hash would compete with the clients
  auto service = lm::edge::EdgeService::Start(config);
  if (!service.ok()) lm::bench::Die(service.status().message());
  const std::string edge_target = "/lessons/" + id + "/document.pdf";
  const std::string nginx_target = "/" + id + "/document.pdf";

  // nginx as a child, serving the lessons directory, tuned as a packaged site would be.
  const fs::path prefix = fs::absolute(fs::path(dir) / "nginx");
  fs::create_directories(prefix / "logs");
  {
    std::ofstream conf(prefix / "nginx.conf");
    // Workers run as this user (as root, nginx would switch them to nobody, who cannot read the cache).
    if (geteuid() == 0) conf << "user root;\n";
    conf << "worker_processes auto;\nevents { worker_connections 1024; }\nhttp {\n"
         << "  access_log off;\n  sendfile on;\n  tcp_nopush on;\n  keepalive_requests 100000;\n"
         << "  client_body_temp_path " << (prefix / "tmp").string() << ";\n"
         << "  server {\n    listen 127.0.0.1:" << nginx_port << ";\n    root " << bundle_dir.parent_path().string()
         << ";\n  }\n}\n";
  }
  const std::string conf_path = (prefix / "nginx.conf").string(), prefix_s = prefix.string() + "/",
                    globals = "daemon off; pid " + prefix_s + "nginx.pid; error_log stderr;";
  std::vector<char*> args = {nginx.data(), const_cast<char*>("-c"), const_cast<char*>(conf_path.c_str()),
                             const_cast<char*>("-p"), const_cast<char*>(prefix_s.c_str()),
                             const_cast<char*>("-g"), const_cast<char*>(globals.c_str()), nullptr};
  pid_t nginx_pid = 0;
  if (posix_spawn(&nginx_pid, nginx.c_str(), nullptr, nullptr, args.data(), environ) != 0) {
    lm::bench::Die("cannot start " + nginx);
  }
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    up = lm::testing::HttpClient(static_cast<std::uint16_t>(nginx_port)).Request("HEAD", nginx_target).status == 200;
  }
  if (!up) {
    kill(nginx_pid, SIGTERM);
    lm::bench::Die("nginx did not answer on port " + std::to_string(nginx_port));
  }
  std::printf("edge_serve: %d MB file, %d clients x %d ranged GETs of %d KiB per run, %d pairs (edge, nginx)\n",
              file_mb, clients, requests, range_kib, pairs);
  std::printf("pair  server  p50 ms   p99 ms   MiB/s    req/s    errors\n");
  std::vector<double> ratios;
  std::vector<RunResult> edge_runs, nginx_runs;
  for (int p = 0; p < pairs; ++p) {
    for (int which = 0; which < 2; ++which) {
      const bool is_edge = which == 0;
      RunResult r = Run(is_edge ? (*service)->http_port() : static_cast<std::uint16_t>(nginx_port),
                        is_edge ? edge_target : nginx_target, file_size, clients, requests, range_kib * 1024,
                        static_cast<unsigned>(p + 1));
      std::printf("%-5d %-7s %-8.2f %-8.2f %-8.1f %-8.0f %d\n", p + 1, is_edge ? "edge" : "nginx", r.p50_ms, r.p99_ms,
                  r.mib_per_s, clients * requests / r.wall_s, r.errors);
      std::fflush(stdout);
      (is_edge ? edge_runs : nginx_runs).push_back(r);
    }
    ratios.push_back(edge_runs.back().mib_per_s / nginx_runs.back().mib_per_s);
  }
  kill(nginx_pid, SIGTERM);
  waitpid(nginx_pid, nullptr, 0);
  (*service)->Stop();
  auto med = [](std::vector<RunResult> v, double RunResult::*f) {
    std::vector<double> x;
    for (auto& r : v) x.push_back(r.*f);
    return Percentile(x, 0.5);
  };
  std::vector<double> sorted = ratios;
  std::sort(sorted.begin(), sorted.end());
  std::printf("medians: edge p50 %.2f ms p99 %.2f ms %.1f MiB/s; nginx p50 %.2f ms p99 %.2f ms %.1f MiB/s\n",
              med(edge_runs, &RunResult::p50_ms), med(edge_runs, &RunResult::p99_ms),
              med(edge_runs, &RunResult::mib_per_s), med(nginx_runs, &RunResult::p50_ms),
              med(nginx_runs, &RunResult::p99_ms), med(nginx_runs, &RunResult::mib_per_s));
  std::printf("edge/nginx throughput: median of %d pair ratios %.2f (range %.2f-%.2f); target >= 0.8: %s; "
              "edge p99 target < 50 ms: %s\n",
              pairs, Percentile(ratios, 0.5), sorted.front(), sorted.back(), Percentile(ratios, 0.5) >= 0.8 ? "met" : "NOT met",
              med(edge_runs, &RunResult::p99_ms) < 50 ? "met" : "NOT met");
  return 0;
}
