#include "tests/netlab/county.h"

#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "bundle/lesson_manifest.h"
#include "common/xxh3.h"
#include "edge/transfer.h"
#include "tests/testing/tus_upload.h"
#include "tests/testing/wait_for.h"

namespace lm::netlab {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::HttpClient;
using testing::HttpResult;
using testing::ReadFile;
using testing::WaitFor;
using testing::WriteFile;

namespace {

const std::vector<std::string> kRenditions = {"240p"};  // what every school keeps
constexpr char kOriginHost[] = "origin";

std::string Quoted(const std::string& s) { return "\"" + s + "\""; }

// Lines of origin.toml an experiment adds (LM_NETLAB_ORIGIN_TOML, e.g. `super_seeding = "strict"`),
// so bench/netlab can measure an origin setting without a build of its own.
std::string OriginExtraToml() {
  const char* extra = std::getenv("LM_NETLAB_ORIGIN_TOML");
  return extra ? std::string(extra) + "\n" : std::string();
}

std::string TomlList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + Quoted(items[i]);
  return out + "]";
}

std::string Tail(const std::string& text, std::size_t bytes) {
  return text.size() <= bytes ? text : "…" + text.substr(text.size() - bytes);
}

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The networks of `host` other than the WAN, as CIDR.
std::vector<std::string> LanNetworks(const Topology& t, const std::string& host) {
  std::vector<std::string> out;
  for (const HostSpec& h : t.hosts) {
    if (h.name != host) continue;
    for (const auto& [network, spec] : h.links) {
      if (network == "wan") continue;
      for (const NetworkSpec& n : t.networks)
        if (n.name == network) out.push_back(n.subnet + ".0/24");
    }
  }
  return out;
}

std::string FirstLan(const Topology& t, const std::string& host) {
  for (const HostSpec& h : t.hosts)
    if (h.name == host)
      for (const auto& [network, spec] : h.links)
        if (network != "wan") return network;
  return "";
}

Lab::Counters Minus(const Lab::Counters& a, const Lab::Counters& b) {
  return {a.rx_bytes - b.rx_bytes, a.rx_packets - b.rx_packets, a.tx_bytes - b.tx_bytes, a.tx_packets - b.tx_packets};
}

// "10.200.0.2:6881", "[fd00:200::2]:6881" or "[::ffff:10.200.0.2]:6881" (ss) → address, port.
std::pair<std::string, std::string> SplitEndpoint(const std::string& endpoint) {
  const size_t colon = endpoint.rfind(':');
  std::string address = endpoint.substr(0, colon), port = endpoint.substr(colon + 1);
  if (address.size() >= 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  if (address.rfind("::ffff:", 0) == 0 && address.find('.') != std::string::npos) address = address.substr(7);
  return {address, port};
}

// The established TCP connections of `host` by kind (DistributionFigures::Connections).
DistributionFigures::Connections ConnectionsOf(const Lab& lab, const std::string& host) {
  DistributionFigures::Connections c;
  struct Where {
    std::string host, network;
    bool ipv6 = false;
  };
  std::map<std::string, Where> where;  // address (either family) → whose, on which network
  for (const HostSpec& h : lab.topology().hosts) {
    for (const auto& [network, spec] : h.links) {
      where[lab.Address(h.name, network)] = {h.name, network, false};
      if (const std::string a6 = lab.Address6(h.name, network); !a6.empty()) where[a6] = {h.name, network, true};
    }
  }
  const std::string county = FirstLan(lab.topology(), host);
  const CommandResult ss = RunCommand(lab.Command(host, {"ss", "-tnH", "state", "established"}), "", 10);
  std::istringstream lines(ss.output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string recv_q, send_q, local, peer;
    if (!(fields >> recv_q >> send_q >> local >> peer)) continue;
    const std::string local_port = SplitEndpoint(local).second;
    const auto [peer_ip, peer_port] = SplitEndpoint(peer);
    const bool bt = local_port == std::to_string(kTorrentPort) || peer_port == std::to_string(kTorrentPort);
    const auto it = where.find(peer_ip);
    if (it == where.end()) continue;
    const Where& other = it->second;
    if (other.host == kOriginHost) {
      if (bt) c.origin_peer += 1;
      else if (peer_port == std::to_string(kOriginPort)) c.web_seed += 1;
      continue;
    }
    if (!bt) continue;
    if (other.ipv6) c.ipv6 += 1;
    if (other.network != "wan") c.lan += 1;
    else if (!county.empty() && FirstLan(lab.topology(), other.host) == county) c.wan_same_county += 1;
    else c.wan_other_county += 1;
  }
  return c;
}

}  // namespace

void PutBehindIpv4Nat(Lab& lab, const std::string& host) {
  lab.Run(host, {"iptables", "-A", "INPUT", "-i", "wan", "-p", "tcp", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP"});
}

long long RefusedByIpv4Nat(Lab& lab, const std::string& host) {
  const std::string out = lab.Run(host, {"iptables", "-L", "INPUT", "-v", "-x", "-n"});
  const size_t at = out.find("DROP");
  return at == std::string::npos ? 0 : std::stoll(out.substr(out.rfind('\n', at) + 1));
}

std::string DaysFromToday(int days) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
  std::tm local{};
  localtime_r(&t, &local);
  char buf[16];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d", &local);
  return buf;
}

struct County::Edge {
  int starts = 0;
  fs::path err;
  bool tmpfs = false;  // its cache is a tmpfs in its own mount namespace
  std::unique_ptr<testing::ChildProcess> process;
};

County::County(Lab& lab, std::string bin_dir) : lab_(lab), bin_dir_(std::move(bin_dir)) {
  for (const HostSpec& h : lab_.topology().hosts) {
    if (h.name.rfind("edge", 0) == 0) edges_.push_back(h.name);
  }
}

County::~County() {
  for (auto& [host, edge] : running_) {
    if (edge->process) edge->process->Stop(5);
  }
  running_.clear();
  if (origin_) origin_->Stop(5);
  if (catalog_) catalog_->Stop(5);
}

std::string County::OriginUrl() const {
  const std::string v6 = lab_.Address6(kOriginHost);
  return "http://" + (v6.empty() ? lab_.Address(kOriginHost) : "[" + v6 + "]") + ":" + std::to_string(kOriginPort);
}

std::string County::CreateToken(const std::string& role, const std::string& school) {
  std::vector<std::string> argv = {bin_dir_ + "/lessonmesh-catalog", "--data-dir", (dir_ / "catalog").string(),
                                   "token", "create", "--role", role, "--label", "netlab"};
  if (!school.empty()) argv.insert(argv.end(), {"--school", school});
  const std::string out = RunChecked(argv, "", testing::Scaled(30));
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("(^|\\n)([0-9a-f]{64})\\n"))) {
    throw std::runtime_error("netlab county: no token in the output of `token create`: " + out);
  }
  return m[2];
}

HttpResult County::Catalog(const std::string& method, const std::string& target, const json& body) {
  InNamespace in(lab_.NamespacePath(kOriginHost));
  return HttpClient(kCatalogPort).Request(method, target, body.is_null() ? "" : body.dump(),
                                           {{"Authorization", "Bearer " + admin_token_},
                                            {"Content-Type", "application/json"}});
}

HttpResult County::OriginRequest(const std::string& method, const std::string& target) {
  InNamespace in(lab_.NamespacePath(kOriginHost));
  return HttpClient(kOriginPort).Request(method, target, "", {{"Authorization", "Bearer " + teacher_token_}});
}

void County::Start() {
  const fs::path catalog_dir = dir_ / "catalog", origin_dir = dir_ / "origin";
  fs::create_directories(catalog_dir);
  fs::create_directories(origin_dir);
  admin_token_ = CreateToken("admin", "");
  origin_token_ = CreateToken("origin", "");
  teacher_token_ = CreateToken("teacher", "county-centre");
  for (const std::string& e : edges_) edge_tokens_[e] = CreateToken("edge", "school-" + e);

  catalog_ = std::make_unique<testing::ChildProcess>();
  std::string why = catalog_->Start(
      lab_.Command(kOriginHost, {bin_dir_ + "/lessonmesh-catalog", "--listen", "0.0.0.0", "--port",
                                 std::to_string(kCatalogPort), "--data-dir", catalog_dir.string(),
                                 "--worker-threads", "4"}),
      dir_ / "catalog.out", dir_ / "catalog.err");
  if (!why.empty()) throw std::runtime_error("netlab county: lessonmesh-catalog: " + why);
  HttpResult keys;
  if (!WaitFor([&] {
        InNamespace in(lab_.NamespacePath(kOriginHost));
        keys = HttpClient(kCatalogPort).Request("GET", "/v1/keys");
        return keys.status == 200 || catalog_->Wait(0).has_value();
      }, 60) || keys.status != 200) {
    throw std::runtime_error("netlab county: the catalog did not start: " + Tail(catalog_->err(), 2000));
  }
  catalog_key_ = json::parse(keys.body).at("public_key");

  // On a WAN that carries IPv6 the origin listens on both families and names its IPv6 address in
  // its torrents (web seed, tracker), as a county's origin with an AAAA record would be reached.
  const std::string listen = lab_.Address6(kOriginHost).empty() ? "0.0.0.0" : "::";
  const std::string toml = "listen = " + Quoted(listen) + "\nport = " + std::to_string(kOriginPort) + "\npublic_url = " +
                           Quoted(OriginUrl()) + "\ndata_dir = " + Quoted(origin_dir.string()) +
                           "\ncatalog_url = \"http://127.0.0.1:" + std::to_string(kCatalogPort) +
                           "\"\ncatalog_token = " + Quoted(origin_token_) +
                           "\ntorrent_port = " + std::to_string(kTorrentPort) + "\nlsd = false\n" + OriginExtraToml();
  WriteFile(dir_ / "origin.toml", toml);
  origin_ = std::make_unique<testing::ChildProcess>();
  why = origin_->Start(lab_.Command(kOriginHost, {bin_dir_ + "/lessonmesh-origin", "--config", (dir_ / "origin.toml").string()}),
                       dir_ / "origin.out", dir_ / "origin.err");
  if (!why.empty()) throw std::runtime_error("netlab county: lessonmesh-origin: " + why);
  if (!WaitFor([&] {
        InNamespace in(lab_.NamespacePath(kOriginHost));
        return HttpClient(kOriginPort).Request("GET", "/healthz").status == 200 || origin_->Wait(0).has_value();
      }, 60) || origin_->Wait(0).has_value()) {
    throw std::runtime_error("netlab county: the origin did not start: " + Tail(origin_->err(), 2000));
  }

  auto school = [&](const std::string& id, const std::string& name, const std::string& county, const char* kind) {
    const HttpResult r = Catalog("POST", "/v1/schools", {{"id", id}, {"name", name}, {"county", county}, {"kind", kind}});
    if (r.status != 201) throw std::runtime_error("netlab county: POST /v1/schools " + id + ": " + r.body);
  };
  school("county-centre", "县教师发展中心", "lab", "urban");
  for (const std::string& e : edges_) school("school-" + e, e + " 学校", FirstLan(lab_.topology(), e), "rural");
}

fs::path County::BundleDir(const std::string& lesson_id) const { return dir_ / "origin" / "bundles" / lesson_id; }

PackLesson County::UploadDocument(std::int64_t bytes, int seed, const std::string& title) {
  std::string pdf = "%PDF-1.4\n% LessonMesh netlab courseware " + std::to_string(seed) + "\n";
  pdf.reserve(static_cast<size_t>(bytes));
  std::uint32_t x = 2463534242u + static_cast<std::uint32_t>(seed) * 7919u;
  while (pdf.size() < static_cast<size_t>(bytes)) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    pdf += static_cast<char>('A' + x % 26);
  }
  pdf.resize(static_cast<size_t>(bytes));
  testing::TusUploadResult up;
  {
    InNamespace in(lab_.NamespacePath(kOriginHost));
    testing::TusUploadOptions options;
    options.chunk_bytes = 4 << 20;
    up = testing::TusUpload(kOriginPort, teacher_token_, pdf,
                            {{"title", title}, {"teacher", "王老师"}, {"subject", "语文"}, {"grade", "三年级"}}, options);
  }
  if (up.upload_id.empty()) throw std::runtime_error("netlab county: upload of " + title + " failed: " + up.error);
  json job;
  WaitFor([&] {
    const HttpResult r = OriginRequest("GET", "/v1/jobs?upload=" + up.upload_id);
    if (r.status != 200) return false;
    job = json::parse(r.body, nullptr, false);
    return job.is_object() && ((job.value("state", "") == "done" && job.value("registered", false)) ||
                               job.value("state", "") == "failed");
  }, 120, 100);
  if (!job.is_object() || job.value("state", "") != "done" || !job.value("registered", false)) {
    throw std::runtime_error("netlab county: " + title + " was not bundled and registered: " + job.dump());
  }
  PackLesson lesson;
  lesson.id = job["lesson_id"];
  lesson.title = title;
  auto manifest = bundle::ReadLessonManifest(BundleDir(lesson.id));
  if (!manifest.ok()) throw std::runtime_error("netlab county: " + manifest.status().message());
  lesson.bytes = static_cast<std::int64_t>(fs::file_size(BundleDir(lesson.id) / "lesson.json"));
  for (const auto& f : manifest->files) {
    if (edge::KeepsFile(f.path, kRenditions)) lesson.bytes += f.size_bytes;
  }
  return lesson;
}

int County::Publish(const std::vector<PackLesson>& lessons, const std::string& title,
                    const std::vector<std::string>& hosts) {
  json items = json::array();
  for (const PackLesson& l : lessons) {
    items.push_back({{"lesson_id", l.id}, {"needed_by", l.needed_by}});
    if (!l.pinned_until.empty()) items.back()["pinned_until"] = l.pinned_until;
  }
  json schools = json::array();
  for (const std::string& h : hosts.empty() ? edges_ : hosts) schools.push_back("school-" + h);
  const HttpResult r = Catalog("POST", "/v1/packs", {{"title", title}, {"items", items}, {"targets", {{"schools", schools}}}});
  if (r.status != 201) throw std::runtime_error("netlab county: POST /v1/packs: " + std::to_string(r.status) + " " + r.body);
  return json::parse(r.body).at("pack_id").get<int>();
}

void County::PublishVersion(int pack_id, const std::vector<PackLesson>& lessons, const std::string& title,
                            const std::vector<std::string>& hosts) {
  json items = json::array();
  for (const PackLesson& l : lessons) {
    items.push_back({{"lesson_id", l.id}, {"needed_by", l.needed_by}});
    if (!l.pinned_until.empty()) items.back()["pinned_until"] = l.pinned_until;
  }
  json schools = json::array();
  for (const std::string& h : hosts.empty() ? edges_ : hosts) schools.push_back("school-" + h);
  const std::string target = "/v1/packs/" + std::to_string(pack_id);
  const HttpResult r = Catalog("PUT", target, {{"title", title}, {"items", items}, {"targets", {{"schools", schools}}}});
  if (r.status != 200 && r.status != 201)
    throw std::runtime_error("netlab county: PUT " + target + ": " + std::to_string(r.status) + " " + r.body);
}

json County::CatalogGet(const std::string& target) {
  const HttpResult r = Catalog("GET", target, nullptr);
  if (r.status != 200) return nullptr;
  return json::parse(r.body, nullptr, false);
}

void County::StartEdge(const std::string& host, const EdgeOptions& options) {
  auto& edge = running_[host];
  if (!edge) edge = std::make_unique<Edge>();
  if (edge->process && !edge->process->Wait(0).has_value())
    throw std::runtime_error("netlab county: the edge on " + host + " is running already");
  const fs::path dir = dir_ / host;
  fs::create_directories(dir);
  WriteFile(dir / "edge.token", edge_tokens_.at(host) + "\n");
  const std::vector<std::string> lans =
      options.lan_networks.empty() ? LanNetworks(lab_.topology(), host) : options.lan_networks;
  std::string toml = "school_id = " + Quoted("school-" + host) + "\ncatalog_url = \"http://" + lab_.Address(kOriginHost) +
                     ":" + std::to_string(kCatalogPort) + "\"\ntoken_file = " + Quoted((dir / "edge.token").string()) +
                     "\ncatalog_key = " + Quoted(catalog_key_) + "\ncache_dir = " + Quoted((dir / "cache").string()) +
                     "\nquota = \"50GB\"\nmin_free = " + Quoted(options.min_free) +
                     "\nscrub_kbps = " + std::to_string(options.scrub_kbps) +
                     "\nscrub_interval_seconds = " + std::to_string(options.scrub_interval_seconds) +
                     "\nrenditions = " + TomlList(kRenditions) +
                     "\nschedule = " + TomlList(options.schedule) + "\nlan_networks = " + TomlList(lans) +
                     "\nlisten = \"0.0.0.0\"\nport = " + std::to_string(kEdgePort) +
                     "\ntorrent_port = " + std::to_string(kTorrentPort) +
                     "\nmax_active_downloads = " + std::to_string(options.max_active_downloads) +
                     "\npoll_wait_seconds = 20\nreport_interval_seconds = 10\nlsd = " + (options.lsd ? "true" : "false") +
                     "\npeer_to_peer = " + (options.peer_to_peer ? "true" : "false") +
                     "\nlan_group = " + Quoted(options.lan_group ? FirstLan(lab_.topology(), host) : "") + "\n";
  WriteFile(dir / "edge.toml", toml);
  ++edge->starts;
  edge->err = dir / ("edge-" + std::to_string(edge->starts) + ".err");
  edge->process = std::make_unique<testing::ChildProcess>();
  std::vector<std::string> argv = {bin_dir_ + "/lessonmesh-edge", "--config", (dir / "edge.toml").string()};
  edge->tmpfs = options.cache_tmpfs_mib > 0;
  if (edge->tmpfs) {
    // As tests/edge/edge_disk_full_test.cpp does: unshare(1) makes the new mount namespace's
    // mounts private, so the tmpfs lives and dies with the edge; exec keeps one process id from
    // `ip netns exec` to the edge, the id CacheDir reaches the tmpfs through.
    fs::create_directories(dir / "cache");  // the mount point, empty on this side
    argv = {"unshare", "--mount", "--propagation", "private", "sh", "-c",
            "mount -t tmpfs -o size=" + std::to_string(options.cache_tmpfs_mib) +
                "m lessonmesh-edge-cache \"$1\" || exit 97; exec \"$2\" --config \"$3\"",
            "sh", (dir / "cache").string(), argv[0], argv[2]};
  }
  const std::string why = edge->process->Start(lab_.Command(host, argv),
                                               dir / ("edge-" + std::to_string(edge->starts) + ".out"), edge->err);
  if (!why.empty()) throw std::runtime_error("netlab county: lessonmesh-edge on " + host + ": " + why);
  if (!WaitFor([&] { return !EdgeGet(host, "/v1/status").is_null() || edge->process->Wait(0).has_value(); }, 60) ||
      edge->process->Wait(0).has_value()) {
    throw std::runtime_error("netlab county: the edge on " + host + " did not start: " + EdgeLogTail(host));
  }
}

void County::KillEdge(const std::string& host) {
  auto it = running_.find(host);
  if (it == running_.end() || !it->second->process) return;
  it->second->process->Signal(SIGKILL);
  if (!it->second->process->Wait(30).has_value())
    throw std::runtime_error("netlab county: the edge on " + host + " outlived SIGKILL");
}

void County::StopEdge(const std::string& host) {
  auto it = running_.find(host);
  if (it == running_.end() || !it->second->process) return;
  it->second->process->Stop(30);
}

bool County::EdgeRunning(const std::string& host) const {
  auto it = running_.find(host);
  return it != running_.end() && it->second->process && !it->second->process->Wait(0).has_value();
}

std::string County::ServicesEnded() const {
  std::string out;
  for (const auto& [name, process] : {std::pair{"catalog", catalog_.get()}, std::pair{"origin", origin_.get()}}) {
    if (process == nullptr) continue;
    const auto status = process->Wait(0);
    if (!status) continue;
    out += std::string(out.empty() ? "" : "; ") + name + " exited " + std::to_string(*status) +
           (*status > 128 ? " (signal " + std::to_string(*status - 128) + ")" : "");
  }
  return out;
}

json County::EdgeGet(const std::string& host, const std::string& target) const {
  InNamespace in(lab_.NamespacePath(host));
  const HttpResult r = HttpClient(kEdgePort).Request("GET", target);
  if (r.status != 200) return nullptr;
  return json::parse(r.body, nullptr, false);
}

HttpResult County::EdgePost(const std::string& host, const std::string& target, const json& body) const {
  InNamespace in(lab_.NamespacePath(host));
  return HttpClient(kEdgePort).Request("POST", target, body.dump(), {{"Content-Type", "application/json"}});
}

long long County::EdgeMetric(const std::string& host, const std::string& name) const {
  InNamespace in(lab_.NamespacePath(host));
  const HttpResult r = HttpClient(kEdgePort).Request("GET", "/metrics");
  const size_t at = r.body.find("\n" + name + " ");
  if (r.status != 200 || at == std::string::npos) return -1;
  return std::stoll(r.body.substr(at + name.size() + 2));
}

std::set<std::string> County::Playable(const std::string& host) const {
  std::set<std::string> ids;
  const json body = EdgeGet(host, "/v1/lessons");
  if (!body.is_object() || !body.contains("lessons")) return ids;
  for (const auto& l : body["lessons"]) ids.insert(l.at("id").get<std::string>());
  return ids;
}

fs::path County::CacheDir(const std::string& host) const {
  const fs::path dir = dir_ / host / "cache";
  auto it = running_.find(host);
  if (it == running_.end() || !it->second->tmpfs || !it->second->process) return dir;
  return fs::path("/proc") / std::to_string(it->second->process->pid()) / "root" / dir.relative_path();
}

std::string County::CheckServed(const std::string& host, const std::vector<PackLesson>& lessons) const {
  for (const PackLesson& l : lessons) {
    auto manifest = bundle::ReadLessonManifest(BundleDir(l.id));
    if (!manifest.ok()) return "origin: " + manifest.status().message();
    for (const auto& f : manifest->files) {
      if (!edge::KeepsFile(f.path, kRenditions)) continue;
      const std::string target = "/lessons/" + l.id + "/" + f.path;
      HttpResult r;
      {
        InNamespace in(lab_.NamespacePath(host));
        r = HttpClient(kEdgePort).Request("GET", target);
      }
      if (r.status != 200) return host + ": GET " + target + ": " + std::to_string(r.status);
      if (static_cast<std::int64_t>(r.body.size()) != f.size_bytes || Xxh3Of(r.body).Hex() != f.xxh3_128)
        return host + ": GET " + target + " served " + std::to_string(r.body.size()) +
               " bytes that do not match lesson.json's XXH3";
    }
  }
  return "";
}

std::string County::CheckFiles(const std::string& host, const std::vector<PackLesson>& lessons) const {
  for (const PackLesson& l : lessons) {
    const fs::path at_edge = CacheDir(host) / "lessons" / l.id;
    if (ReadFile(at_edge / "lesson.json") != ReadFile(BundleDir(l.id) / "lesson.json"))
      return host + ": " + l.id + "/lesson.json differs from the origin's";
    auto manifest = bundle::ReadLessonManifest(BundleDir(l.id));
    if (!manifest.ok()) return "origin: " + manifest.status().message();
    for (const auto& f : manifest->files) {
      if (!edge::KeepsFile(f.path, kRenditions)) continue;
      std::error_code ec;
      if (!fs::exists(at_edge / f.path, ec)) return host + ": " + l.id + "/" + f.path + " is missing";
      const std::string bytes = ReadFile(at_edge / f.path);
      if (static_cast<std::int64_t>(bytes.size()) != f.size_bytes)
        return host + ": " + l.id + "/" + f.path + " has " + std::to_string(bytes.size()) + " bytes, lesson.json says " +
               std::to_string(f.size_bytes);
      if (Xxh3Of(bytes).Hex() != f.xxh3_128) return host + ": " + l.id + "/" + f.path + " does not match its XXH3";
    }
  }
  return "";
}

std::string County::EdgeLogTail(const std::string& host, std::size_t bytes) const {
  auto it = running_.find(host);
  if (it == running_.end()) return "(no edge on " + host + ")";
  std::error_code ec;
  if (!fs::exists(it->second->err, ec)) return "(no log)";
  return Tail(ReadFile(it->second->err), bytes);
}

std::string County::EdgeLog(const std::string& host) const {
  auto it = running_.find(host);
  if (it == running_.end()) return "";
  std::string out;
  for (int i = 1; i <= it->second->starts; ++i) {
    const fs::path err = dir_ / host / ("edge-" + std::to_string(i) + ".err");
    std::error_code ec;
    if (fs::exists(err, ec)) out += ReadFile(err);
  }
  return out;
}

DistributionBound KumarRoss(const Topology& topology, double pack_bytes, const std::string& origin) {
  const double bits = pack_bytes * 8;
  double u_s = 0, sum_u = 0, d_min = 1e300;
  int n = 0;
  std::map<std::string, std::pair<double, double>> county;  // down, up of its edges
  for (const HostSpec& h : topology.hosts) {
    const auto wan = std::find_if(h.links.begin(), h.links.end(), [](const auto& l) { return l.first == "wan"; });
    if (wan == h.links.end()) continue;
    const LinkSpec& s = wan->second;
    if (h.name == origin) {
      u_s = s.up_mbit * 1e6;
      continue;
    }
    ++n;
    sum_u += s.up_mbit * 1e6;
    d_min = std::min(d_min, s.down_mbit * 1e6);
    std::string lan = h.name;  // an edge on no LAN is a county of its own
    for (const auto& [network, spec] : h.links)
      if (network != "wan") {
        lan = network;
        break;
      }
    county[lan].first += s.down_mbit * 1e6;
    county[lan].second += s.up_mbit * 1e6;
  }
  DistributionBound b;
  b.origin_s = bits / u_s;
  b.edge_down_s = bits / d_min;
  b.swarm_s = n * bits / (u_s + sum_u);
  b.wan_s = std::max({b.origin_s, b.edge_down_s, b.swarm_s});
  b.counties_s = static_cast<double>(county.size()) * bits / (u_s + sum_u);
  for (const auto& [name, rates] : county) {
    const double from_outside = u_s + (sum_u - rates.second);
    b.county_in_s = std::max(b.county_in_s, bits / std::min(rates.first, from_outside));
  }
  b.lan_s = std::max({b.origin_s, b.counties_s, b.county_in_s});
  return b;
}

DistributionFigures Distribute(County& county, const std::vector<PackLesson>& lessons, double deadline_seconds,
                               const std::function<void(double, const std::set<std::string>&)>& during,
                               const std::set<std::string>& not_awaited) {
  Lab& lab = county.lab();
  DistributionFigures f;
  f.lessons = static_cast<int>(lessons.size());
  for (const PackLesson& l : lessons) f.pack_bytes += l.bytes;
  std::map<std::string, std::string> lan_of;
  std::map<std::string, Lab::Counters> wan0, lan0;
  for (const std::string& e : county.Edges()) {
    lan_of[e] = FirstLan(lab.topology(), e);
    wan0[e] = lab.InterfaceCounters(e, "wan");
    if (!lan_of[e].empty()) lan0[e] = lab.InterfaceCounters(e, lan_of[e]);
    f.edge_seconds[e] = -1;
  }
  const Lab::Counters origin0 = lab.InterfaceCounters(kOriginHost, "wan");
  auto snapshot = [&] {
    f.origin_wan = Minus(lab.InterfaceCounters(kOriginHost, "wan"), origin0);
    for (const std::string& e : county.Edges()) {
      f.edge_wan[e] = Minus(lab.InterfaceCounters(e, "wan"), wan0[e]);
      if (!lan_of[e].empty()) f.edge_lan[e] = Minus(lab.InterfaceCounters(e, lan_of[e]), lan0[e]);
    }
  };

  const auto t0 = std::chrono::steady_clock::now();
  county.Publish(lessons, "netlab 分发 " + std::to_string(lessons.size()) + " 课");
  std::set<std::string> complete;
  std::map<std::string, int> samples;
  double next_sample = 2.5;
  const bool all = WaitFor([&] {
    const double now = Since(t0);
    if (now >= next_sample) {
      next_sample = now + 5;
      for (const std::string& e : county.Edges()) {
        if (complete.count(e) || !county.EdgeRunning(e)) continue;
        const DistributionFigures::Connections c = ConnectionsOf(lab, e);
        auto& sum = f.connections[e];
        sum.origin_peer += c.origin_peer;
        sum.web_seed += c.web_seed;
        sum.lan += c.lan;
        sum.wan_same_county += c.wan_same_county;
        sum.wan_other_county += c.wan_other_county;
        sum.ipv6 += c.ipv6;
        ++samples[e];
      }
    }
    for (const std::string& e : county.Edges()) {
      if (complete.count(e)) continue;
      const std::set<std::string> held = county.Playable(e);
      if (std::all_of(lessons.begin(), lessons.end(), [&](const PackLesson& l) { return held.count(l.id) > 0; })) {
        complete.insert(e);
        f.edge_seconds[e] = now;
      }
    }
    if (std::all_of(county.Edges().begin(), county.Edges().end(),
                    [&](const std::string& e) { return complete.count(e) || not_awaited.count(e); })) {
      f.seconds = now;
      snapshot();
      return true;
    }
    if (during) during(now, complete);
    return false;
  }, deadline_seconds, 250);
  if (!all) snapshot();
  for (const std::string& e : county.Edges()) {
    f.hash_failures[e] = county.EdgeMetric(e, "lessonmesh_edge_hash_failures_total");
    f.peers_banned[e] = county.EdgeMetric(e, "lessonmesh_edge_peers_banned_total");
  }
  for (auto& [e, c] : f.connections) {
    const double n = samples[e];
    c = {c.origin_peer / n, c.web_seed / n, c.lan / n, c.wan_same_county / n, c.wan_other_county / n, c.ipv6 / n};
  }
  return f;
}

std::string Describe(const std::string& label, const DistributionFigures& f, const DistributionBound& b) {
  char line[512];
  std::string out;
  auto add = [&](const char* fmt, auto... args) {
    std::snprintf(line, sizeof line, fmt, args...);
    out += line;
  };
  const double mb = 1e6;
  add("== %s: %d lessons, F = %.2f MB (%.1f Mbit), %zu edges ==\n", label.c_str(), f.lessons, f.pack_bytes / mb,
      f.pack_bytes * 8 / mb, f.edge_seconds.size());
  if (f.seconds >= 0)
    add("every edge holds the pack after %.1f s\n", f.seconds);
  else
    out += "NOT every edge held the pack by the deadline\n";
  add("Kumar-Ross bound, WAN links:  %6.1f s = max(F/u_s %.1f, F/d_min %.1f, N*F/(u_s+sum u_i) %.1f)   measured/bound %.2f (target <= 1.25)\n",
      b.wan_s, b.origin_s, b.edge_down_s, b.swarm_s, f.seconds >= 0 ? f.seconds / b.wan_s : 0.0);
  add("bound with county LANs:       %6.1f s = max(F/u_s %.1f, C*F/(u_s+sum u_i) %.1f, county inbound %.1f)   measured/bound %.2f\n",
      b.lan_s, b.origin_s, b.counties_s, b.county_in_s, f.seconds >= 0 ? f.seconds / b.lan_s : 0.0);
  add("origin WAN egress %.2f MB = %.2f x F (target <= 1.5); ingress %.2f MB\n", f.origin_wan.tx_bytes / mb,
      f.origin_egress_ratio(), f.origin_wan.rx_bytes / mb);
  add("%-8s %10s %10s %10s %10s %9s %6s %6s | connections (mean): %6s %6s %6s %6s %6s %6s\n", "edge", "WAN in MB",
      "WAN out MB", "LAN in MB", "LAN out MB", "done at s", "hashf", "banned", "origin", "webseed", "LAN", "WAN-cty",
      "WAN-oth", "IPv6");
  for (const auto& [e, s] : f.edge_seconds) {
    const Lab::Counters w = f.edge_wan.count(e) ? f.edge_wan.at(e) : Lab::Counters{};
    const Lab::Counters l = f.edge_lan.count(e) ? f.edge_lan.at(e) : Lab::Counters{};
    const DistributionFigures::Connections c =
        f.connections.count(e) ? f.connections.at(e) : DistributionFigures::Connections{};
    const long long hf = f.hash_failures.count(e) ? f.hash_failures.at(e) : -1;
    const long long banned = f.peers_banned.count(e) ? f.peers_banned.at(e) : -1;
    add("%-8s %10.2f %10.2f %10.2f %10.2f %9.1f %6lld %6lld |                     %6.1f %6.1f %6.1f %6.1f %6.1f %6.1f\n",
        e.c_str(), w.rx_bytes / mb, w.tx_bytes / mb, l.rx_bytes / mb, l.tx_bytes / mb, s, hf, banned, c.origin_peer,
        c.web_seed, c.lan, c.wan_same_county, c.wan_other_county, c.ipv6);
  }
  return out;
}

std::vector<PackLesson> UploadPack(County& county, int count, std::int64_t total_bytes, int seed, int needed_by_days) {
  std::vector<PackLesson> lessons;
  const std::int64_t mean = total_bytes / count;
  std::int64_t left = total_bytes;
  for (int i = 0; i < count; ++i) {
    // 0.7, 1.3, 0.85, 1.15, ... of the mean; the last takes what is left.
    const double factor = (i % 2 == 0 ? 0.7 : 1.3) + (i % 4 >= 2 ? 0.15 * (i % 2 == 0 ? 1 : -1) : 0);
    const std::int64_t bytes = i + 1 == count ? left : static_cast<std::int64_t>(static_cast<double>(mean) * factor);
    left -= bytes;
    PackLesson l = county.UploadDocument(bytes, seed * 1000 + i, "第" + std::to_string(i + 1) + "课 课件");
    l.needed_by = DaysFromToday(needed_by_days);
    lessons.push_back(std::move(l));
  }
  return lessons;
}

}  // namespace lm::netlab
