#include "tests/netlab/garbage_peer.h"

#include <libtorrent/add_torrent_params.hpp>
#include <libtorrent/session.hpp>
#include <libtorrent/settings_pack.hpp>
#include <libtorrent/torrent_handle.hpp>
#include <libtorrent/torrent_info.hpp>
#include <libtorrent/torrent_status.hpp>

#include <cstdio>
#include <stdexcept>

#include "bundle/lesson_manifest.h"
#include "tests/testing/quiet_session.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/wait_for.h"

namespace lm::netlab {

namespace fs = std::filesystem;

struct GarbagePeer::Impl {
  std::unique_ptr<lt::session> session;
  std::vector<lt::torrent_handle> handles;
};

namespace {

// Every byte of every regular file under `dir` XORed with 0x5a, in place (same inode, same size):
// libtorrent reads its files through maps of them, so it serves the new bytes at once.
void Damage(const fs::path& dir) {
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    const std::string name = e.path().filename().string();
    if (name == bundle::kLessonTorrentFile || name == bundle::kV1TwinTorrentFile) continue;
    std::string bytes = testing::ReadFile(e.path());
    for (char& c : bytes) c = static_cast<char>(c ^ 0x5a);
    std::FILE* f = std::fopen(e.path().c_str(), "r+b");
    if (f == nullptr) throw std::runtime_error("garbage peer: cannot open " + e.path().string());
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    if (std::fclose(f) != 0 || !ok) throw std::runtime_error("garbage peer: cannot write " + e.path().string());
  }
}

}  // namespace

GarbagePeer::GarbagePeer(const Lab& lab, const std::string& host, const std::vector<fs::path>& bundles,
                         const fs::path& work_dir, std::uint16_t port, double timeout_seconds)
    : impl_(std::make_unique<Impl>()) {
  lt::settings_pack pack = lm::testing::QuietSessionSettings("0.0.0.0:" + std::to_string(port));
  pack.set_str(lt::settings_pack::user_agent, "netlab-garbage-peer");
  pack.set_bool(lt::settings_pack::enable_outgoing_utp, false);
  pack.set_bool(lt::settings_pack::enable_incoming_utp, false);
  pack.set_bool(lt::settings_pack::allow_multiple_connections_per_ip, true);
  pack.set_int(lt::settings_pack::alert_mask, 0);
  {
    // The session's threads start here and inherit this thread's namespace: every socket it makes
    // (listen, tracker, peers) is the host's.
    InNamespace in(lab.NamespacePath(host));
    impl_->session = std::make_unique<lt::session>(std::move(pack));
  }
  fs::create_directories(work_dir);
  for (const fs::path& bundle : bundles) {
    const fs::path copy = work_dir / bundle.filename();
    fs::copy(bundle, copy, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    lt::error_code ec;
    lt::add_torrent_params p;
    p.ti = std::make_shared<lt::torrent_info>((copy / bundle::kLessonTorrentFile).string(), ec);
    if (ec) throw std::runtime_error("garbage peer: " + copy.string() + ": " + ec.message());
    p.save_path = work_dir.string();
    p.ti->set_web_seeds({});  // it claims pieces itself; the tracker stays, so schools find it
    impl_->handles.push_back(impl_->session->add_torrent(std::move(p), ec));
    if (ec) throw std::runtime_error("garbage peer: add " + copy.string() + ": " + ec.message());
  }
  const bool seeding = testing::WaitFor([&] {
    for (const lt::torrent_handle& h : impl_->handles)
      if (!h.status().is_seeding) return false;
    return true;
  }, timeout_seconds, 100);
  if (!seeding) throw std::runtime_error("garbage peer: its copies did not check out as complete");
  for (const fs::path& bundle : bundles) Damage(work_dir / bundle.filename());
  for (const lt::torrent_handle& h : impl_->handles) h.force_reannounce();
}

GarbagePeer::~GarbagePeer() = default;

std::int64_t GarbagePeer::UploadedBytes() const {
  std::int64_t total = 0;
  for (const lt::torrent_handle& h : impl_->handles) total += h.status().total_payload_upload;
  return total;
}

int GarbagePeer::ConnectedPeers() const {
  int n = 0;
  for (const lt::torrent_handle& h : impl_->handles) n += h.status().num_peers;
  return n;
}

}  // namespace lm::netlab
